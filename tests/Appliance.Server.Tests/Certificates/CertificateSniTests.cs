using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Listeners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Tests.Certificates;

/// <summary>
/// Real listeners, real TLS clients: the certificate a client gets depends on the name it sends
/// (SNI, RFC 6066 3), on STARTTLS, implicit TLS and HTTPS alike, and a renewed certificate is
/// served by the same running listener.
/// </summary>
public sealed class CertificateSniTests
{
    private const string Hostname = "mail.example.org";
    private static readonly TimeSpan Guard = TestMailServer.Guard;

    /// <summary>What a client saw in one handshake.</summary>
    private sealed record Presented(string Thumbprint, SslPolicyErrors ErrorsTrustingTheTestRoot);

    private static Task<TestMailServer> StartMailAsync(ListenerKind kind) =>
        TestMailServer.StartAsync<StartTlsTests.LineProtocolHandler>(
            kind,
            options => options.Hostname = Hostname,
            services => services.AddSingleton(new StartTlsTests.Recorder()));

    /// <summary>
    /// Connects, does STARTTLS first unless the port is implicit TLS, and handshakes asking for
    /// <paramref name="serverName"/>. The client trusts only <paramref name="root"/> and downloads
    /// nothing, so a chain without errors proves the server sent the intermediate.
    /// </summary>
    private static async Task<Presented> HandshakeAsync(IPEndPoint endPoint, string serverName, ListenerKind kind, X509Certificate2 root)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint).WaitAsync(Guard);
        var client = new TestClient(tcp);
        if (kind.IsMail() && !kind.IsImplicitTls())
        {
            Assert.Equal("READY", await client.ReadLineAsync());
            await client.SendAsync("STARTTLS\r\n");
            Assert.Equal("GO", await client.ReadLineAsync());
        }
        var errors = SslPolicyErrors.None;
        await using var ssl = new SslStream(client.Stream, leaveInnerStreamOpen: false, (_, _, _, policyErrors) =>
        {
            errors = policyErrors;
            return true;
        });
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.Add(root);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateChainPolicy = policy,
        }).WaitAsync(Guard);
        return new Presented(ssl.RemoteCertificate!.GetCertHashString(), errors);
    }

    [Theory]
    [InlineData(ListenerKind.Smtp)]
    [InlineData(ListenerKind.Smtps)]
    [InlineData(ListenerKind.Imaps)]
    [InlineData(ListenerKind.Pop3)]
    public async Task Each_client_gets_the_certificate_for_the_name_it_asked_for_on_mail_listeners(ListenerKind kind)
    {
        await using var server = await StartMailAsync(kind);
        await AssertSelectionBySniAsync(server.Services.GetRequiredService<ServerCertificateProvider>(), server.EndPoint, kind);
    }

    [Fact]
    public async Task Each_client_gets_the_certificate_for_the_name_it_asked_for_on_HTTPS()
    {
        await using var https = await TestMailServer.StartHttpsAsync(options => options.Hostname = Hostname);
        await AssertSelectionBySniAsync(https.Services.GetRequiredService<ServerCertificateProvider>(), https.EndPoint, ListenerKind.Https);
    }

    private static async Task AssertSelectionBySniAsync(ServerCertificateProvider provider, IPEndPoint endPoint, ListenerKind kind)
    {
        using var ca = new TestCertificateAuthority(TimeProvider.System);
        string bootstrap = provider.Current.Thumbprint;

        // An issued certificate for a hosted domain's name only: the mail host name stays self-signed.
        var autoconfig = ca.Issue(["autoconfig.example.net"], DateTimeOffset.UtcNow.AddMinutes(-5));
        provider.Install(autoconfig);
        Assert.Equal(bootstrap, (await HandshakeAsync(endPoint, "mail.example.org", kind, ca.Root)).Thumbprint);
        var forAutoconfig = await HandshakeAsync(endPoint, "autoconfig.example.net", kind, ca.Root);
        Assert.Equal(autoconfig.Certificate.Thumbprint, forAutoconfig.Thumbprint);
        Assert.Equal(SslPolicyErrors.None, forAutoconfig.ErrorsTrustingTheTestRoot);
        Assert.Equal(bootstrap, (await HandshakeAsync(endPoint, "unknown.example.com", kind, ca.Root)).Thumbprint);

        // Once the issued certificate names the mail host too, it is also the fallback for unknown names.
        var both = ca.Issue(["mail.example.org", "autoconfig.example.net"], DateTimeOffset.UtcNow.AddMinutes(-5));
        provider.Install(both);
        Assert.Equal(both.Certificate.Thumbprint, (await HandshakeAsync(endPoint, "mail.example.org", kind, ca.Root)).Thumbprint);
        Assert.Equal(both.Certificate.Thumbprint, (await HandshakeAsync(endPoint, "autoconfig.example.net", kind, ca.Root)).Thumbprint);
        var unknown = await HandshakeAsync(endPoint, "unknown.example.com", kind, ca.Root);
        Assert.Equal(both.Certificate.Thumbprint, unknown.Thumbprint);
        Assert.Equal(SslPolicyErrors.RemoteCertificateNameMismatch, unknown.ErrorsTrustingTheTestRoot);
    }

    [Theory]
    [InlineData(ListenerKind.Smtp)]
    [InlineData(ListenerKind.Imaps)]
    public async Task After_a_renewal_the_same_running_listener_serves_the_new_certificate(ListenerKind kind)
    {
        await using var server = await StartMailAsync(kind);
        await server.Services.InitializeApplianceAsync();
        var options = server.Services.GetRequiredService<ApplianceOptions>();
        options.Acme.NameCheckInterval = TimeSpan.FromDays(1000);
        var provider = server.Services.GetRequiredService<ServerCertificateProvider>();
        // Whole seconds: certificate times have no finer precision, so the clock and NotBefore agree.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var clock = new ManualClock(start);
        using var ca = new TestCertificateAuthority(clock, TimeSpan.FromDays(30));
        var manager = new CertificateManager(options, ca,
            new CertificateNamePlanner(server.Services.GetRequiredService<Appliance.Server.Accounts.AccountService>(), new Appliance.Dns.FakeDnsResolver(), options),
            provider, new CertificateStatus(provider), clock, NullLogger<CertificateManager>.Instance);
        try
        {
            string bootstrap = provider.Current.Thumbprint;
            Assert.Equal(bootstrap, (await HandshakeAsync(server.EndPoint, Hostname, kind, ca.Root)).Thumbprint);

            await manager.StartAsync(CancellationToken.None);
            var renewAt = await clock.WhenTimerArmedAsync().WaitAsync(Guard);
            Assert.Equal(start + TimeSpan.FromDays(20), renewAt);
            var first = await HandshakeAsync(server.EndPoint, Hostname, kind, ca.Root);
            Assert.Equal(ca.Issued[0].Certificate.Thumbprint, first.Thumbprint);
            Assert.NotEqual(bootstrap, first.Thumbprint);

            clock.AdvanceTo(renewAt);
            await clock.WhenTimerArmedAsync().WaitAsync(Guard);
            Assert.Equal(2, ca.Issued.Count);
            var renewed = await HandshakeAsync(server.EndPoint, Hostname, kind, ca.Root);
            Assert.Equal(ca.Issued[1].Certificate.Thumbprint, renewed.Thumbprint);
            Assert.NotEqual(first.Thumbprint, renewed.Thumbprint);
        }
        finally
        {
            await manager.StopAsync(CancellationToken.None);
            manager.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        }
    }
}
