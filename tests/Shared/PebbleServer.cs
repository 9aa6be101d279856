using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Appliance.Tests.Shared;

/// <summary>
/// A real ACME CA for tests: Debian's pebble (installed by tests/run.sh) on 127.0.0.1 on free high
/// ports, with pebble-challtestsrv as its DNS server answering every A query with 127.0.0.1, so
/// pebble's http-01 validation really fetches http://{name}:{httpPort}/.well-known/acme-challenge/…
/// from a responder the test runs on the loopback. pebble's HTTPS certificate is issued by a
/// throwaway CA made here; clients trust it through <see cref="TrustPath"/> or
/// <see cref="CreateHandler"/>, never by switching validation off. Compiled into every test
/// project that needs it (a linked source file), so there is one harness.
/// </summary>
internal sealed class PebbleServer : IAsyncDisposable
{
    public const string PebbleBinary = "/usr/bin/pebble";
    public const string ChallengeServerBinary = "/usr/bin/pebble-challtestsrv";

    /// <summary>How long pebble gets to answer its directory; it starts in well under a second.</summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly string _directory;
    private readonly StringBuilder _log = new();
    private readonly List<Process> _processes = [];
    private X509Certificate2 _trustAnchor = null!;

    private PebbleServer(string directory) => _directory = directory;

    /// <summary>pebble's ACME directory (RFC 8555 7.1.1).</summary>
    public Uri DirectoryUrl { get; private set; } = null!;

    /// <summary>A PEM file with the CA that issued pebble's HTTPS certificate (for AcmeOptions.DirectoryTrustPath).</summary>
    public string TrustPath { get; private set; } = null!;

    /// <summary>The port pebble's validator fetches http-01 answers from (on 127.0.0.1, through the fake DNS).</summary>
    public int HttpChallengePort { get; private set; }

    /// <summary>The root that signs the certificates pebble issues (its management API's /roots/0); pebble makes a new one per start.</summary>
    public X509Certificate2 IssuingRoot { get; private set; } = null!;

    /// <summary>What pebble and pebble-challtestsrv printed so far, for assertion messages.</summary>
    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    /// <summary>
    /// An HttpClient handler that trusts pebble's HTTPS certificate through the test CA only
    /// (a custom chain root, not "accept everything").
    /// </summary>
    public HttpMessageHandler CreateHandler()
    {
        var anchor = _trustAnchor;
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                        return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(anchor);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
    }

    /// <summary>
    /// Starts pebble-challtestsrv (DNS only) and pebble, validating http-01 against
    /// <paramref name="httpChallengePort"/>, and waits until pebble answers its directory and
    /// management API. <paramref name="nonceRejectPercent"/> is PEBBLE_WFE_NONCEREJECT (pebble's
    /// own default is 5). Ports taken between choosing and binding are retried with others.
    /// </summary>
    public static async Task<PebbleServer> StartAsync(int httpChallengePort, int nonceRejectPercent = 5)
    {
        Assert.True(File.Exists(PebbleBinary), $"{PebbleBinary} is missing: tests/run.sh installs the Debian package pebble.");
        Assert.True(File.Exists(ChallengeServerBinary), $"{ChallengeServerBinary} is missing: tests/run.sh installs the Debian package pebble.");
        var server = new PebbleServer(Directory.CreateTempSubdirectory("pebble").FullName) { HttpChallengePort = httpChallengePort };
        server.WriteCertificates();
        for (int tries = 0; ; tries++)
        {
            if (await server.TryStartAsync(nonceRejectPercent))
                return server;
            string log = server.Log;
            server.Stop();
            if (tries == 2)
            {
                await server.DisposeAsync();
                Assert.Fail($"pebble did not start:\n{log}");
            }
        }
    }

    /// <summary>A throwaway CA and pebble's server certificate for localhost and 127.0.0.1, as PEM files.</summary>
    private void WriteCertificates()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Appliance test CA for pebble", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var serverCertificate = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        TrustPath = Path.Combine(_directory, "ca.pem");
        File.WriteAllText(TrustPath, ca.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(_directory, "cert.pem"), serverCertificate.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(_directory, "key.pem"), serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        _trustAnchor = X509CertificateLoader.LoadCertificate(ca.RawData);
    }

    private async Task<bool> TryStartAsync(int nonceRejectPercent)
    {
        int dnsPort = LoopbackPorts.FreeUdpAndTcp();
        int acmePort = LoopbackPorts.FreeTcp();
        int managementPort = LoopbackPorts.FreeTcp();
        int challengeManagementPort = LoopbackPorts.FreeTcp();
        int tlsAlpnPort = LoopbackPorts.FreeTcp();
        string config = Path.Combine(_directory, "pebble-config.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            pebble = new
            {
                listenAddress = $"127.0.0.1:{acmePort}",
                managementListenAddress = $"127.0.0.1:{managementPort}",
                certificate = Path.Combine(_directory, "cert.pem"),
                privateKey = Path.Combine(_directory, "key.pem"),
                httpPort = HttpChallengePort,
                // tls-alpn-01 is not used; the port only has to be a number nobody answers on.
                tlsPort = tlsAlpnPort,
                ocspResponderURL = "",
                externalAccountBindingRequired = false,
            },
        }));

        // DNS only: every other listener of the challenge test server off (an empty -management
        // would mean port 80, so it gets a free loopback port). No AAAA answers: the responder is IPv4.
        Start(ChallengeServerBinary,
            ["-dns01", $"127.0.0.1:{dnsPort}", "-http01", "", "-https01", "", "-tlsalpn01", "",
             "-management", $"127.0.0.1:{challengeManagementPort}", "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""],
            []);
        if (!await WaitAsync(() => TcpAnswersAsync(dnsPort)))
            return false;

        Start(PebbleBinary, ["-config", config, "-dnsserver", $"127.0.0.1:{dnsPort}"],
            new()
            {
                ["PEBBLE_VA_NOSLEEP"] = "1",
                ["PEBBLE_WFE_NONCEREJECT"] = nonceRejectPercent.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
        DirectoryUrl = new Uri($"https://127.0.0.1:{acmePort}/dir");
        using var http = new HttpClient(CreateHandler()) { Timeout = TimeSpan.FromSeconds(5) };
        if (!await WaitAsync(async () => (await TryGetAsync(http, DirectoryUrl)) is not null))
            return false;
        string? root = await TryGetAsync(http, new Uri($"https://127.0.0.1:{managementPort}/roots/0"));
        if (root is null)
            return false;
        IssuingRoot = X509Certificate2.CreateFromPem(root);
        return true;
    }

    private void Start(string binary, string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(binary, arguments)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        var process = Process.Start(start)!;
        process.ErrorDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.OutputDataReceived += (_, e) => { lock (_log) _log.AppendLine(e.Data); };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        _processes.Add(process);
    }

    /// <summary>Polls <paramref name="ready"/> until it holds, a process exits (a port was taken) or the start times out.</summary>
    private async Task<bool> WaitAsync(Func<Task<bool>> ready)
    {
        var elapsed = Stopwatch.StartNew();
        while (elapsed.Elapsed < StartTimeout)
        {
            if (_processes.Any(p => p.HasExited))
                return false;
            if (await ready())
                return true;
            // A refused connection returns at once; pace the polls a little.
            await Task.Delay(50);
        }
        return false;
    }

    private static async Task<bool> TcpAnswersAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<string?> TryGetAsync(HttpClient http, Uri url)
    {
        try
        {
            using var response = await http.GetAsync(url);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync() : null;
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private void Stop()
    {
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit();
            }
            process.Dispose();
        }
        _processes.Clear();
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        _trustAnchor?.Dispose();
        IssuingRoot?.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
