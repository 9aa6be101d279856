using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Tests.Shared;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests;

/// <summary>
/// The whole certificate path on the real host: ACME on, pebble as the CA validating http-01
/// against the host's own HTTP listener, the manager ordering at start, and the running TLS
/// listeners serving the new certificate without a restart, and a new certificate when a domain's
/// names start pointing at us.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AcmeEndToEndTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task At_first_start_the_host_gets_a_certificate_from_the_CA_and_serves_it_on_the_running_listeners()
    {
        // Pebble fetches http-01 answers from one fixed port: the host's HTTP listener is put there.
        int httpPort = LoopbackPorts.FreeTcp();
        await using var pebble = await PebbleServer.StartAsync(httpPort);
        string data = Path.Combine(Path.GetTempPath(), "appliance-acme-e2e-" + Guid.NewGuid().ToString("N"));
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = "mail.example.org",
            ["Appliance:DataDirectory"] = data,
            ["Appliance:Acme:Enabled"] = "true",
            ["Appliance:Acme:DirectoryUrl"] = pebble.DirectoryUrl.AbsoluteUri,
            ["Appliance:Acme:DirectoryTrustPath"] = pebble.TrustPath,
            ["Appliance:Acme:ContactEmail"] = "admin@example.org",
            ["Appliance:PublicAddresses:0"] = "192.0.2.10",
            // The names are checked every second here, so a new domain's names are ordered during the test.
            ["Appliance:Acme:NameCheckInterval"] = "00:00:01",
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = kind == ListenerKind.Http ? httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0";
        }
        // Our resolver's view of DNS decides which names are ordered; pebble's own DNS sends every name to 127.0.0.1.
        var dns = new FakeDnsResolver();
        var app = ApplianceHost.Build(ApplianceConfiguration.Load(configPath: null, overrides),
            builder => builder.Services.AddSingleton<IDnsResolver>(dns));
        var installed = System.Threading.Channels.Channel.CreateUnbounded<ServedCertificate>();
        app.Services.GetRequiredService<ServerCertificateProvider>().Installed += served => installed.Writer.TryWrite(served);
        await using var host = await ApplianceHost.StartAsync(app);
        try
        {
            // Before the order completes the listeners already serve (the self-signed bootstrap).
            var served = await installed.Reader.ReadAsync().AsTask().WaitAsync(Guard);
            Assert.Equal(CertificateSource.Acme, served.Source);
            Assert.Equal(["mail.example.org"], served.Names);
            foreach (var kind in new[] { ListenerKind.Imaps, ListenerKind.Https, ListenerKind.Smtps })
                Assert.Equal(served.Certificate.Thumbprint, await PresentedThumbprintAsync(host, kind, "mail.example.org", pebble));
            Assert.True(File.Exists(Path.Combine(data, "certs", "issued.pfx")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, "certs", "issued.pfx")));

            // A new domain whose names point at us: the next name check orders a new certificate
            // from the CA, and the same running listeners serve it (SNI picks it by name).
            await host.Services.GetRequiredService<AccountService>().AddDomainAsync("example.net", "test");
            foreach (string prefix in new[] { "autoconfig", "autodiscover", "mta-sts" })
                dns.AddAddress($"{prefix}.example.net", "192.0.2.10");
            var reissued = await installed.Reader.ReadAsync().AsTask().WaitAsync(Guard);
            Assert.Equal(["mail.example.org", "autoconfig.example.net", "autodiscover.example.net", "mta-sts.example.net"], reissued.Names);
            Assert.NotEqual(served.Certificate.Thumbprint, reissued.Certificate.Thumbprint);
            Assert.Equal(reissued.Certificate.Thumbprint, await PresentedThumbprintAsync(host, ListenerKind.Imaps, "autoconfig.example.net", pebble));
            Assert.Equal(reissued.Certificate.Thumbprint, await PresentedThumbprintAsync(host, ListenerKind.Https, "mail.example.org", pebble));
        }
        finally
        {
            await host.StopAsync();
            if (Directory.Exists(data))
                Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The certificate a TLS client asking for <paramref name="serverName"/> gets, checked to chain to pebble's root (the intermediate came with it).</summary>
    private static async Task<string> PresentedThumbprintAsync(RunningAppliance host, ListenerKind kind, string serverName, PebbleServer pebble)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(host.Endpoints[kind]).WaitAsync(Guard);
        X509Certificate2? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, chain, _) =>
        {
            presented = certificate is null ? null : new X509Certificate2(certificate);
            using var verify = new X509Chain();
            verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            verify.ChainPolicy.CustomTrustStore.Add(pebble.IssuingRoot);
            verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            if (chain is not null)
                verify.ChainPolicy.ExtraStore.AddRange(chain.ChainElements.Select(e => e.Certificate).ToArray());
            return presented is not null && verify.Build(presented);
        });
        await tls.AuthenticateAsClientAsync(serverName).WaitAsync(Guard);
        return presented!.Thumbprint;
    }
}
