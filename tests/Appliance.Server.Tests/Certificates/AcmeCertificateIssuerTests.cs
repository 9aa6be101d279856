using System.Net;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Acme;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Tests.Shared;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Tests.Certificates;

/// <summary>
/// The ACME issuer against Debian's pebble: http-01 answers offered through
/// <see cref="AcmeChallengeResponses"/> and fetched by pebble from a responder on the loopback
/// that serves exactly what that registry holds, as the web host's endpoint does.
/// </summary>
[UnsupportedOSPlatform("windows")] // file modes are a Unix notion; the appliance runs on Linux
public sealed class AcmeCertificateIssuerTests : IDisposable
{
    /// <summary>pebble with PEBBLE_VA_NOSLEEP validates at once; the default 1 s polling would only slow the tests.</summary>
    private static readonly AcmeClientOptions FastPolling = new() { PollInterval = TimeSpan.FromMilliseconds(50) };

    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-acme-tests-" + Guid.NewGuid().ToString("N"));
    private readonly AcmeChallengeResponses _responses = new();

    public void Dispose()
    {
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }

    private ApplianceOptions Options(PebbleServer? pebble, bool trustPebble = true) => new()
    {
        DataDirectory = _data,
        Acme = new AcmeOptions
        {
            Enabled = true,
            // Never contacted when there is no pebble: the tests without one fail before the network.
            DirectoryUrl = pebble?.DirectoryUrl.AbsoluteUri ?? "https://127.0.0.1:9/dir",
            DirectoryTrustPath = trustPebble ? pebble?.TrustPath : null,
            ContactEmail = "postmaster@example.org",
        },
    };

    private AcmeCertificateIssuer Issuer(ApplianceOptions options, HttpClient? http = null) =>
        new(options, _responses, NullLogger.Instance, FastPolling, TimeProvider.System, http);

    private HttpChallengeResponder ServingResponses() =>
        new(token => _responses.TryGet(token, out string answer) ? answer : null);

    [Fact]
    public async Task Issues_a_certificate_with_its_key_and_chain_and_withdraws_the_answers()
    {
        await using var responder = ServingResponses();
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var issuer = Issuer(Options(pebble));

        var issued = await issuer.IssueAsync(["Mail.Example.org.", "mta-sts.example.org", "mail.example.org"]);

        Assert.True(issued.Certificate.HasPrivateKey);
        Assert.Equal("CN=mail.example.org", issued.Certificate.Subject);
        Assert.Equal(["mail.example.org", "mta-sts.example.org"],
            issued.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().Order());
        Assert.IsAssignableFrom<ECDsa>(issued.Certificate.GetECDsaPrivateKey());
        Assert.DoesNotContain(issued.Chain.Cast<X509Certificate2>(), c => c.Thumbprint == issued.Certificate.Thumbprint);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(pebble.IssuingRoot);
        chain.ChainPolicy.ExtraStore.AddRange(issued.Chain);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(issued.Certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));

        // pebble fetched one answer per name, and none is offered any longer.
        var tokens = responder.Requests.Select(r => r[AcmeHttp01.PathPrefix.Length..]).Distinct().ToList();
        Assert.Equal(2, tokens.Count);
        Assert.All(tokens, token => Assert.False(_responses.TryGet(token, out _)));

        Assert.Equal(AcmeAccountKey.FileMode, File.GetUnixFileMode(issuer.AccountKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(issuer.AccountKeyPath)!));
        Assert.Equal(Path.Combine(_data, "acme", "account-key.pem"), issuer.AccountKeyPath);
        Assert.False(File.Exists(issuer.AccountKeyPath + ".tmp"));
    }

    [Fact]
    public async Task A_second_issuance_reuses_the_account_key_and_its_account()
    {
        await using var responder = ServingResponses();
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var issuer = Issuer(Options(pebble));

        var first = await issuer.IssueAsync(["mail.example.org"]);
        string key = await File.ReadAllTextAsync(issuer.AccountKeyPath);
        var second = await issuer.IssueAsync(["mail.example.org"]);

        Assert.Equal(key, await File.ReadAllTextAsync(issuer.AccountKeyPath));
        Assert.Equal(AcmeAccountKey.FileMode, File.GetUnixFileMode(issuer.AccountKeyPath));
        Assert.NotEqual(first.Certificate.SerialNumber, second.Certificate.SerialNumber);
        // A fresh certificate key each time; the account key stays.
        Assert.NotEqual(first.Certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo(), second.Certificate.GetECDsaPublicKey()!.ExportSubjectPublicKeyInfo());
        using var accountKey = ECDsa.Create();
        accountKey.ImportFromPem(key);
        using var http = new HttpClient(pebble.CreateHandler());
        var account = await new AcmeClient(http, pebble.DirectoryUrl, accountKey).FindAccountAsync();
        Assert.Equal(["mailto:postmaster@example.org"], account.Contact);
    }

    [Fact]
    public async Task A_group_readable_account_key_is_refused_and_left_alone()
    {
        string path = AcmeAccountKey.PathFor(_data);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            await File.WriteAllTextAsync(path, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        string before = await File.ReadAllTextAsync(path);
        using var issuer = Issuer(Options(null));

        var e = await Assert.ThrowsAsync<CertificateIssuanceException>(() => issuer.IssueAsync(["mail.example.org"]));

        Assert.Equal(
            $"The ACME account key {path} is readable or writable by other users (mode 0640); it must be 0600. " +
            $"If nobody else could have copied it, run: chmod 600 {path}. Otherwise delete it, and a new account is made on the next issuance.",
            e.Message);
        Assert.Equal(before, await File.ReadAllTextAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_wrong_answer_on_port_80_says_the_names_records_must_point_here_and_withdraws_the_answer()
    {
        // Another web server answers port 80: it knows nothing of our tokens.
        await using var responder = new HttpChallengeResponder(_ => null);
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var issuer = Issuer(Options(pebble));

        var e = await Assert.ThrowsAsync<CertificateIssuanceException>(() => issuer.IssueAsync(["mail.example.org"]));

        string token = Assert.Single(responder.Requests.Distinct())[AcmeHttp01.PathPrefix.Length..];
        Assert.StartsWith($"The CA fetched http://mail.example.org/.well-known/acme-challenge/{token} but did not get this server's answer: ", e.Message);
        Assert.EndsWith("The A and AAAA records of mail.example.org must point at this server, and port 80 must reach it rather than another web server.", e.Message);
        Assert.Contains("404", e.Message);
        Assert.Null(e.RetryAfter);
        Assert.IsType<AcmeException>(e.InnerException);
        Assert.False(_responses.TryGet(token, out _));
    }

    [Fact]
    public async Task Nothing_on_port_80_says_port_80_must_reach_this_server()
    {
        // Bound but not listening: connections are refused, and no other test can take the port meanwhile.
        using var closed = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var pebble = await PebbleServer.StartAsync(((IPEndPoint)closed.LocalEndPoint!).Port);
        using var issuer = Issuer(Options(pebble));

        var e = await Assert.ThrowsAsync<CertificateIssuanceException>(() => issuer.IssueAsync(["mail.example.org"]));

        Assert.Matches(@"^The CA could not fetch http://mail\.example\.org/\.well-known/acme-challenge/[A-Za-z0-9_-]+: .*connection refused\. " +
                       @"Port 80 of mail\.example\.org must reach this server's HTTP listener \(Appliance:Listeners:Http\), through any firewall or port forwarding\.$", e.Message);
    }

    [Fact]
    public async Task A_directory_whose_certificate_is_not_trusted_is_not_contacted()
    {
        await using var responder = ServingResponses();
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var issuer = Issuer(Options(pebble, trustPebble: false));

        var e = await Assert.ThrowsAsync<CertificateIssuanceException>(() => issuer.IssueAsync(["mail.example.org"]));

        Assert.StartsWith($"The ACME CA at {pebble.DirectoryUrl.AbsoluteUri} could not be reached: ", e.Message);
        Assert.IsType<HttpRequestException>(e.InnerException);
        Assert.IsType<System.Security.Authentication.AuthenticationException>(e.InnerException!.InnerException);
        Assert.Empty(responder.Requests);
    }

    [Fact]
    public async Task A_rate_limit_carries_the_CAs_Retry_After()
    {
        using var http = new HttpClient(new RateLimitedCa());
        var options = Options(null);
        options.Acme.DirectoryUrl = RateLimitedCa.Directory;
        using var issuer = Issuer(options, http);

        var e = await Assert.ThrowsAsync<CertificateIssuanceException>(() => issuer.IssueAsync(["mail.example.org"]));

        Assert.Equal("The CA's rate limit was reached: too many new orders recently. Try again after 180 minutes.", e.Message);
        Assert.Equal(TimeSpan.FromHours(3), e.RetryAfter);
    }

    [Theory]
    [InlineData("*.example.org", "*.example.org: wildcard certificates need the dns-01 challenge; this server uses http-01 only.")]
    [InlineData("192.0.2.1", "'192.0.2.1' is an address literal, not a domain name.")]
    public async Task Names_http01_cannot_prove_are_refused_before_the_CA_is_asked(string name, string message)
    {
        using var issuer = Issuer(Options(null));

        var e = await Assert.ThrowsAsync<CertificateIssuanceException>(() => issuer.IssueAsync([name]));

        Assert.Equal(message, e.Message);
        Assert.False(File.Exists(issuer.AccountKeyPath));
    }

    /// <summary>A CA that creates the account and then refuses every order with rateLimited and Retry-After: 10800.</summary>
    private sealed class RateLimitedCa : HttpMessageHandler
    {
        public const string Directory = "https://ca.test/dir";

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = request.RequestUri!.AbsolutePath switch
            {
                "/dir" => Json(HttpStatusCode.OK, """{"newNonce":"https://ca.test/nonce","newAccount":"https://ca.test/acct","newOrder":"https://ca.test/order"}"""),
                "/nonce" => new HttpResponseMessage(HttpStatusCode.OK),
                "/acct" => Json(HttpStatusCode.Created, """{"status":"valid"}"""),
                _ => Json(HttpStatusCode.TooManyRequests, """{"type":"urn:ietf:params:acme:error:rateLimited","detail":"too many new orders recently","status":429}"""),
            };
            response.Headers.Add("Replay-Nonce", "n" + Guid.NewGuid().ToString("N"));
            if (request.RequestUri.AbsolutePath == "/acct")
                response.Headers.Location = new Uri("https://ca.test/acct/1");
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                response.Headers.Add("Retry-After", "10800");
            return Task.FromResult(response);
        }

        private static HttpResponseMessage Json(HttpStatusCode status, string json) =>
            new(status) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
    }
}
