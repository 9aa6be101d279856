using System.Security.Cryptography;
using Appliance.Server.Certificates;

namespace Appliance.Server.Delivery;

/// <summary>
/// The SRS signing key (32 random bytes) in {data}/keys/srs.key, mode 0600, created on first use
/// and kept forever: forwarded mail's bounces must still verify after a restart.
/// </summary>
internal static class SrsKeyFile
{
    /// <summary>HMAC-SHA256's block is 64 bytes; 32 random bytes is its full security (RFC 2104 section 3).</summary>
    private const int KeyLength = 32;

    public static byte[] LoadOrCreate(string keysDirectory)
    {
        Directory.CreateDirectory(keysDirectory);
        string path = Path.Combine(keysDirectory, "srs.key");
        if (File.Exists(path))
        {
            var existing = File.ReadAllBytes(path);
            if (existing.Length >= 16)
                return existing;
        }
        var key = RandomNumberGenerator.GetBytes(KeyLength);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = CertificateStore.PrivateFileMode;
        using (var file = new FileStream(path + ".tmp", options))
        {
            file.Write(key);
            file.Flush(flushToDisk: true);
        }
        File.Move(path + ".tmp", path, overwrite: true);
        return key;
    }
}
