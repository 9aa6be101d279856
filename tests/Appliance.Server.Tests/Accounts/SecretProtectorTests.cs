using System.Security.Cryptography;
using System.Text;
using Appliance.Server.Security;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SecretProtectorTests
{
    [Fact]
    public async Task Dkim_keys_survive_a_restart_and_are_not_stored_in_clear()
    {
        byte[] key = RSA.Create(2048).ExportPkcs8PrivateKey();
        string data = Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N"));
        string protectedKey;
        await using (var host = await AccountTestHost.StartAsync(data))
        {
            protectedKey = host.Services.GetRequiredService<SecretProtector>().ProtectDkimPrivateKey(key);
            Assert.DoesNotContain(Convert.ToBase64String(key)[..40], protectedKey);
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "keys"), "key-*.xml"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute,
                File.GetUnixFileMode(Path.Combine(data, "keys")));
        }
        // A new process (new service provider) over the same data directory reads it back.
        await using (var host = await AccountTestHost.StartAsync(data, deleteOnDispose: true))
        {
            Assert.Equal(key, host.Services.GetRequiredService<SecretProtector>().UnprotectDkimPrivateKey(protectedKey));
        }
    }

    [Fact]
    public async Task Tampered_values_are_refused()
    {
        await using var host = await AccountTestHost.StartAsync();
        var protector = host.Services.GetRequiredService<SecretProtector>();
        byte[] bytes = Convert.FromBase64String(protector.ProtectDkimPrivateKey(Encoding.ASCII.GetBytes("secret")));
        bytes[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => protector.UnprotectDkimPrivateKey(Convert.ToBase64String(bytes)));
    }
}
