using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Web.Hosting;

namespace Appliance.Web.Tests;

/// <summary>The real host, as `appliance serve` runs it, on a temporary data directory and ports 0.</summary>
public sealed class ApplianceHostTests : IAsyncLifetime
{
    private const string Hostname = "mail.appliance.test";

    /// <summary>Failure guard only; every wait ends on an event long before.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-host-tests-" + Guid.NewGuid().ToString("N"));
    private RunningAppliance _host = null!;

    public async Task InitializeAsync() => _host = await StartAsync();

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    private Task<RunningAppliance> StartAsync(params (string Key, string Value)[] extra)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = Hostname,
            ["Appliance:DataDirectory"] = _data,
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
        }
        foreach (var (key, value) in extra)
            overrides[key] = value;
        return ApplianceHost.StartAsync(ApplianceConfiguration.Load(configPath: null, overrides));
    }

    /// <summary>The one certificate file in {DataDirectory}/certs, as a client would pin it.</summary>
    private X509Certificate2 StoredCertificate()
    {
        string file = Assert.Single(Directory.GetFiles(Path.Combine(_data, "certs"), "*.pfx"));
        return X509CertificateLoader.LoadPkcs12FromFile(file, password: null);
    }

    private async Task<(TcpClient Tcp, SslStream Ssl)> ConnectTlsAsync(ListenerKind kind)
    {
        using var expected = StoredCertificate();
        var tcp = new TcpClient();
        await tcp.ConnectAsync(_host.Endpoints[kind]).WaitAsync(Guard);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, errors) =>
        {
            // Self-signed, so the chain is untrusted; trust exactly the stored certificate, and only
            // if it names our host. Anything else fails the handshake.
            if (certificate is null || !certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData))
                return false;
            using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            var san = presented.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            return san.EnumerateDnsNames().SequenceEqual([Hostname])
                && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None;
        });
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = Hostname,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }).WaitAsync(Guard);
        return (tcp, ssl);
    }

    private static async Task<string?> ReadLineAsync(Stream stream)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one).AsTask().WaitAsync(Guard) == 1)
        {
            if (one[0] == '\n')
                return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
            line.Add(one[0]);
        }
        return line.Count == 0 ? null : Encoding.ASCII.GetString([.. line]);
    }

    /// <summary>
    /// The IMAP greeting (RFC 9051 7.1.1) lists the capabilities, which grow as the engine does: the
    /// fixed parts are asserted, and the TLS-dependent ones by the callers.
    /// </summary>
    private const string ImapGreetingStart = "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 ";
    private const string ImapGreetingEnd = "] Appliance IMAP server ready";

    [Theory]
    [InlineData(ListenerKind.Smtps, "220 mail.appliance.test ESMTP Appliance")]
    [InlineData(ListenerKind.Imaps, null)]
    [InlineData(ListenerKind.Pop3s, "+OK Appliance POP3 server ready")]
    public async Task Implicit_TLS_endpoint_presents_the_stored_certificate_and_greets_through_TLS(ListenerKind kind, string? greeting)
    {
        var (tcp, ssl) = await ConnectTlsAsync(kind);
        using (tcp)
        await using (ssl)
        {
            Assert.True(ssl.IsAuthenticated);
            Assert.True(ssl.SslProtocol is SslProtocols.Tls12 or SslProtocols.Tls13);
            string? line = await ReadLineAsync(ssl);
            if (kind == ListenerKind.Imaps)
            {
                // Under TLS: passwords are allowed at once, STARTTLS is not offered.
                Assert.StartsWith(ImapGreetingStart, line);
                Assert.EndsWith(ImapGreetingEnd, line);
                Assert.Contains(" AUTH=PLAIN ", line);
                Assert.DoesNotContain("STARTTLS", line);
                await ssl.WriteAsync("a LOGOUT\r\n"u8.ToArray());
                Assert.Equal("* BYE Appliance IMAP server logging out", await ReadLineAsync(ssl));
                Assert.Equal("a OK LOGOUT completed", await ReadLineAsync(ssl));
            }
            else
            {
                Assert.Equal(greeting, line);
                await ssl.WriteAsync("QUIT\r\n"u8.ToArray());
                Assert.Equal(kind == ListenerKind.Smtps ? "221 2.0.0 mail.appliance.test Bye" : "+OK Bye", await ReadLineAsync(ssl));
            }
            Assert.Null(await ReadLineAsync(ssl));
        }
    }

    [Theory]
    [InlineData(ListenerKind.Smtp, "220 mail.appliance.test ESMTP Appliance")]
    [InlineData(ListenerKind.Submission, "220 mail.appliance.test ESMTP Appliance")]
    [InlineData(ListenerKind.Imap, null)]
    [InlineData(ListenerKind.Pop3, "+OK Appliance POP3 server ready")]
    public async Task Plaintext_mail_endpoint_greets_in_cleartext(ListenerKind kind, string? greeting)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_host.Endpoints[kind]).WaitAsync(Guard);
        string? line = await ReadLineAsync(tcp.GetStream());
        if (kind == ListenerKind.Imap)
        {
            // In cleartext: STARTTLS offered and passwords refused until then (RFC 9051 6.2.3, RFC 8314).
            Assert.StartsWith(ImapGreetingStart, line);
            Assert.EndsWith(ImapGreetingEnd, line);
            Assert.Contains(" STARTTLS LOGINDISABLED ", line);
        }
        else
        {
            Assert.Equal(greeting, line);
        }
    }

    [Fact]
    public async Task Every_endpoint_reports_its_real_port_on_loopback()
    {
        var bound = _host.Endpoints.All;
        Assert.Equal(Enum.GetValues<ListenerKind>(), bound.Select(pair => pair.Key));
        Assert.All(bound, pair =>
        {
            Assert.Equal(IPAddress.Loopback, pair.Value.Address);
            Assert.NotEqual(0, pair.Value.Port);
        });
        Assert.Equal(bound.Count, bound.Select(pair => pair.Value.Port).Distinct().Count());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task HTTP_and_HTTPS_endpoints_answer()
    {
        using var http = new HttpClient { Timeout = Guard };
        var endPoint = _host.Endpoints[ListenerKind.Http];
        Assert.Equal("ok\n", await http.GetStringAsync($"http://{endPoint}{ApplianceHost.HealthPath}"));

        using var expected = StoredCertificate();
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.RawData.AsSpan().SequenceEqual(expected.RawData),
        };
        using var https = new HttpClient(handler) { Timeout = Guard };
        Assert.Equal("ok\n", await https.GetStringAsync($"https://{_host.Endpoints[ListenerKind.Https]}{ApplianceHost.HealthPath}"));
    }

    [Fact]
    public async Task Stops_cleanly_saying_goodbye_to_open_sessions_and_releasing_the_ports()
    {
        using var tcp = new TcpClient();
        var smtp = _host.Endpoints[ListenerKind.Smtp];
        await tcp.ConnectAsync(smtp).WaitAsync(Guard);
        var stream = tcp.GetStream();
        Assert.Equal("220 mail.appliance.test ESMTP Appliance", await ReadLineAsync(stream));

        var stopping = _host.StopAsync();
        Assert.Equal("421 4.3.2 mail.appliance.test Service shutting down, closing connection", await ReadLineAsync(stream));
        await stopping.WaitAsync(Guard);

        using var late = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(smtp).WaitAsync(Guard));
    }

    [Fact]
    public async Task Second_start_on_the_same_data_directory_uses_the_same_certificate()
    {
        using var before = StoredCertificate();
        await _host.StopAsync();
        await _host.DisposeAsync();

        _host = await StartAsync();
        var (tcp, ssl) = await ConnectTlsAsync(ListenerKind.Imaps);
        using (tcp)
        await using (ssl)
        {
            Assert.Equal(before.Thumbprint, new X509Certificate2(ssl.RemoteCertificate!).Thumbprint);
        }
    }

    [Fact]
    public async Task Disabled_endpoints_are_not_bound()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        _host = await StartAsync(("Appliance:Listeners:Pop3:Enabled", "false"), ("Appliance:Listeners:Https:Enabled", "false"));

        Assert.False(_host.Endpoints.TryGet(ListenerKind.Pop3, out _));
        Assert.False(_host.Endpoints.TryGet(ListenerKind.Https, out _));
        Assert.Throws<InvalidOperationException>(() => _host.Endpoints[ListenerKind.Pop3]);
        Assert.True(_host.Endpoints.TryGet(ListenerKind.Pop3s, out _));
    }

    [Fact]
    public async Task A_listener_address_that_is_not_an_IP_fails_start_up_naming_the_setting()
    {
        var error = await Assert.ThrowsAsync<Appliance.Server.Configuration.ApplianceConfigurationException>(() =>
            StartAsync(("Appliance:Listeners:Imap:Address", "mail.example.org")));
        Assert.Contains("Appliance:Listeners:Imap:Address", error.Message);
    }

    [Theory]
    [InlineData("Appliance:Imap:MaxCommandLineLength", "1000")]
    [InlineData("Appliance:Pop3:MaxCommandLineLength", "100")]
    public async Task Mail_engine_options_below_the_RFC_minimums_fail_start_up_naming_the_setting(string key, string value)
    {
        var error = await Assert.ThrowsAsync<Appliance.Server.Configuration.ApplianceConfigurationException>(() =>
            StartAsync((key, value)));
        Assert.Contains(key + " must be at least", error.Message);
    }

    [Fact]
    public void Start_up_block_lists_every_endpoint_the_data_directory_and_the_first_sign_in()
    {
        string banner = StartupBanner.Render(_host.Options, _host.Endpoints, Path.Combine(_data, "certs", "server.pfx"), hasAdministrator: false);
        foreach (var (kind, endPoint) in _host.Endpoints.All)
            Assert.Contains(endPoint.ToString(), banner);
        Assert.Contains(_host.Options.DataPath, banner);
        Assert.Contains("appliance domain add appliance.test", banner);
        Assert.Contains("appliance user add admin@appliance.test --role admin", banner);

        string withAdmin = StartupBanner.Render(_host.Options, _host.Endpoints, Path.Combine(_data, "certs", "server.pfx"), hasAdministrator: true);
        Assert.DoesNotContain("appliance user add", withAdmin);
    }
}
