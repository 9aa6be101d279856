using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Tests.Certificates;

public sealed class CertificateStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-cert-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public void First_start_creates_a_self_signed_certificate_and_the_second_reuses_it()
    {
        var first = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now);
        Assert.Equal(CertificateOrigin.Created, first.Origin);
        Assert.Equal(Path.Combine(_data, "certs", "server.pfx"), first.Path);
        Assert.True(File.Exists(first.Path));
        Assert.True(first.Certificate.HasPrivateKey);

        var second = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now.AddDays(30));
        Assert.Equal(CertificateOrigin.Loaded, second.Origin);
        Assert.Equal(first.Certificate.Thumbprint, second.Certificate.Thumbprint);
        Assert.True(second.Certificate.HasPrivateKey);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes are a Unix notion; the appliance runs on Linux
    public void Stored_file_is_readable_by_the_owner_only()
    {
        var stored = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(stored.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(stored.Path)!));
        Assert.False(File.Exists(stored.Path + ".tmp"));
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes are a Unix notion; the appliance runs on Linux
    public void A_group_readable_stored_key_is_refused_at_start_naming_the_file_and_the_fix_and_left_as_it_is()
    {
        var stored = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now);
        const UnixFileMode groupReadable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(stored.Path, groupReadable);

        var error = Assert.Throws<ApplianceConfigurationException>(() => NewProvider().LoadOrCreate());
        Assert.Equal(
            $"The private key file {stored.Path} is readable or writable by users other than its owner. " +
            $"Run: chmod 600 '{stored.Path}' (and consider replacing the key, since others could read it).",
            error.Message);
        Assert.Equal(groupReadable, File.GetUnixFileMode(stored.Path));

        File.SetUnixFileMode(stored.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal(stored.Certificate.Thumbprint, NewProvider().LoadOrCreate().Thumbprint);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes are a Unix notion; the appliance runs on Linux
    public void A_world_readable_ACME_account_key_is_refused_but_a_readable_file_without_a_key_is_not()
    {
        string acme = Path.Combine(_data, "acme");
        Directory.CreateDirectory(acme);
        string account = Path.Combine(acme, "account.json");
        File.WriteAllText(account, "{\"url\":\"https://ca.example/acct/1\"}");
        File.SetUnixFileMode(account, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        NewProvider().LoadOrCreate();

        string key = Path.Combine(acme, "account-key.pem");
        using (var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            File.WriteAllText(key, ecdsa.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        var error = Assert.Throws<ApplianceConfigurationException>(() => NewProvider().LoadOrCreate());
        Assert.Contains($"The private key file {key} is readable or writable by users other than its owner.", error.Message);
        Assert.Contains($"chmod 600 '{key}'", error.Message);
    }

    private ServerCertificateProvider NewProvider() =>
        new(new ApplianceOptions { Hostname = "mail.example.org", DataDirectory = _data }, new ManualClock(Now), NullLogger<ServerCertificateProvider>.Instance);

    [Fact]
    public void Certificate_names_the_host_in_its_SAN_is_for_server_auth_RSA_2048_and_valid_about_a_year()
    {
        var certificate = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now).Certificate;

        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["mail.example.org"], san.EnumerateDnsNames());
        Assert.Empty(san.EnumerateIPAddresses());
        Assert.Equal("CN=mail.example.org", certificate.Subject);

        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], eku.EnhancedKeyUsages.Cast<Oid>().Select(oid => oid.Value));
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);

        using var rsa = certificate.GetRSAPublicKey();
        Assert.NotNull(rsa);
        Assert.Equal(2048, rsa.KeySize);

        Assert.True(certificate.NotBefore.ToUniversalTime() <= Now.UtcDateTime);
        Assert.Equal(Now.UtcDateTime + SelfSignedCertificate.Validity, certificate.NotAfter.ToUniversalTime());
    }

    [Fact]
    public void Localhost_certificate_also_covers_the_loopback_addresses()
    {
        var certificate = CertificateStore.LoadOrCreate(_data, "localhost", Now).Certificate;
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
    }

    [Fact]
    public void Changed_hostname_recreates_the_certificate_for_the_new_name()
    {
        var old = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now);
        var renamed = CertificateStore.LoadOrCreate(_data, "mx.example.net", Now);

        Assert.Equal(CertificateOrigin.ReplacedHostnameChanged, renamed.Origin);
        Assert.NotEqual(old.Certificate.Thumbprint, renamed.Certificate.Thumbprint);
        Assert.True(CertificateNames.Covers(renamed.Certificate, "mx.example.net"));
        Assert.False(CertificateNames.Covers(renamed.Certificate, "mail.example.org"));

        // And the replacement is what the next start loads.
        var next = CertificateStore.LoadOrCreate(_data, "mx.example.net", Now);
        Assert.Equal(CertificateOrigin.Loaded, next.Origin);
        Assert.Equal(renamed.Certificate.Thumbprint, next.Certificate.Thumbprint);
    }

    [Fact]
    public void Host_name_comparison_ignores_case()
    {
        CertificateStore.LoadOrCreate(_data, "Mail.Example.org", Now);
        Assert.Equal(CertificateOrigin.Loaded, CertificateStore.LoadOrCreate(_data, "mail.example.ORG", Now).Origin);
    }

    [Fact]
    public void Expired_certificate_is_recreated()
    {
        var old = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now);
        var later = Now + SelfSignedCertificate.Validity + TimeSpan.FromDays(1);
        var renewed = CertificateStore.LoadOrCreate(_data, "mail.example.org", later);

        Assert.Equal(CertificateOrigin.ReplacedExpired, renewed.Origin);
        Assert.NotEqual(old.Certificate.Thumbprint, renewed.Certificate.Thumbprint);
        Assert.True(renewed.Certificate.NotAfter.ToUniversalTime() > later.UtcDateTime);
    }

    [Fact]
    public void Unreadable_file_is_replaced()
    {
        Directory.CreateDirectory(Path.Combine(_data, "certs"));
        File.WriteAllText(CertificateStore.PathFor(_data), "not a PKCS#12 file");
        var stored = CertificateStore.LoadOrCreate(_data, "mail.example.org", Now);
        Assert.Equal(CertificateOrigin.ReplacedUnreadable, stored.Origin);
        Assert.True(stored.Certificate.HasPrivateKey);
    }

    [Fact]
    public void Provider_loads_once_and_install_swaps_the_current_certificate_atomically()
    {
        var options = new ApplianceOptions { Hostname = "mail.example.org", DataDirectory = _data };
        var provider = new ServerCertificateProvider(options, TimeProvider.System, NullLogger<ServerCertificateProvider>.Instance);
        Assert.Throws<InvalidOperationException>(() => provider.Current);

        var loaded = provider.LoadOrCreate();
        Assert.Same(loaded, provider.Current);
        Assert.Same(loaded, provider.LoadOrCreate());
        Assert.Equal(CertificateStore.PathFor(Path.GetFullPath(_data)), provider.CertificatePath);

        using var replacement = SelfSignedCertificate.Create("mail.example.org", DateTimeOffset.UtcNow);
        provider.Install(new IssuedCertificate(replacement, []));
        Assert.Same(replacement, provider.Current);
        Assert.Same(replacement, provider.CreateServerAuthenticationOptions().ServerCertificateContext!.TargetCertificate);
        Assert.Equal(CertificateSource.Acme, provider.Issued!.Source);
        Assert.Equal(new[] { replacement, loaded }, provider.All.Select(served => served.Certificate));

        using var publicOnly = X509CertificateLoader.LoadCertificate(replacement.RawData);
        Assert.Throws<ArgumentException>(() => provider.Install(new IssuedCertificate(publicOnly, [])));
    }
}
