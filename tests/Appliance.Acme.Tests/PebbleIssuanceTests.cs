using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Tests.Shared;

namespace Appliance.Acme.Tests;

/// <summary>
/// The client against a real CA: Debian's pebble, validating http-01 for real by fetching from a
/// responder on the loopback (its DNS answers every name with 127.0.0.1).
/// </summary>
public sealed class PebbleIssuanceTests
{
    private static readonly string[] Names = ["mail.example.org", "mta-sts.example.org"];

    /// <summary>pebble with PEBBLE_VA_NOSLEEP validates at once; polling every second would only slow the tests.</summary>
    private static readonly AcmeClientOptions FastPolling = new() { PollInterval = TimeSpan.FromMilliseconds(50) };

    [Fact]
    public async Task Issues_a_certificate_after_real_http01_validation_and_the_chain_verifies_to_pebbles_root()
    {
        var answers = new ConcurrentDictionary<string, string>();
        await using var responder = new HttpChallengeResponder(token => answers.GetValueOrDefault(token));
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var http = new HttpClient(pebble.CreateHandler());
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = new AcmeClient(http, pebble.DirectoryUrl, accountKey, FastPolling);

        var account = await client.CreateAccountAsync(["admin@example.org"], termsOfServiceAgreed: true);
        using var certificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (order, tokens) = await ValidateAsync(client, Names, answers);
        var chain = await FinishAsync(client, order, certificateKey);

        Assert.Equal(AcmeAccountStatus.Valid, account.Status);
        Assert.Equal(["mailto:admin@example.org"], account.Contact);
        Assert.Equal(2, tokens.Count);
        // pebble really fetched every answer from the responder (RFC 8555 8.3).
        Assert.All(tokens, token => Assert.Contains(AcmeHttp01.PathPrefix + token, responder.Requests));

        var leaf = chain[0];
        Assert.Equal(Names.Order(), DnsNames(leaf).Order());
        Assert.Equal(certificateKey.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(chain.Count >= 2, "pebble sends its intermediate after the leaf");
        using var verify = new X509Chain();
        verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verify.ChainPolicy.CustomTrustStore.Add(pebble.IssuingRoot);
        verify.ChainPolicy.ExtraStore.AddRange(chain.Skip(1).ToArray());
        verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(verify.Build(leaf), string.Join("; ", verify.ChainStatus.Select(s => s.StatusInformation)));
        Assert.Equal(pebble.IssuingRoot.Thumbprint, verify.ChainElements[^1].Certificate.Thumbprint);
    }

    [Fact]
    public async Task The_account_of_a_key_is_found_again_and_an_unknown_key_has_none()
    {
        await using var responder = new HttpChallengeResponder(_ => null);
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var http = new HttpClient(pebble.CreateHandler());
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var created = await new AcmeClient(http, pebble.DirectoryUrl, accountKey).CreateAccountAsync([], termsOfServiceAgreed: true);
        var found = await new AcmeClient(http, pebble.DirectoryUrl, accountKey).FindAccountAsync();
        var again = await new AcmeClient(http, pebble.DirectoryUrl, accountKey).CreateAccountAsync([], termsOfServiceAgreed: true);
        var e = await Assert.ThrowsAsync<AcmeException>(() => new AcmeClient(http, pebble.DirectoryUrl, otherKey).FindAccountAsync());

        Assert.Equal(created.Url, found.Url);
        Assert.Equal(created.Url, again.Url);
        Assert.Equal(AcmeProblem.AccountDoesNotExist, e.Problem!.Type);
        Assert.StartsWith("Looking up the ACME account: accountDoesNotExist: ", e.Message);
    }

    [Fact]
    public async Task A_wrong_answer_fails_validation_with_the_CAs_problem_naming_the_name()
    {
        await using var responder = new HttpChallengeResponder(token => token + ".not-the-thumbprint");
        await using var pebble = await PebbleServer.StartAsync(responder.Port);
        using var http = new HttpClient(pebble.CreateHandler());
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = new AcmeClient(http, pebble.DirectoryUrl, accountKey, FastPolling);
        await client.CreateAccountAsync([], termsOfServiceAgreed: true);

        var e = await Assert.ThrowsAsync<AcmeException>(() => ValidateAsync(client, ["mail.example.org"], new()));

        Assert.Equal(AcmeProblem.Unauthorized, e.Problem!.Type);
        Assert.Equal(AcmeIdentifier.Dns("mail.example.org"), e.Problem.Identifier);
        Assert.StartsWith("Validating mail.example.org by http-01: mail.example.org: unauthorized: ", e.Message);
        Assert.Contains(".not-the-thumbprint", e.Message);
    }

    [Fact]
    public async Task Nothing_listening_fails_validation_with_a_connection_problem()
    {
        // Bound but not listening: connections are refused, and no other test can take the port meanwhile.
        using var closed = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var pebble = await PebbleServer.StartAsync(((IPEndPoint)closed.LocalEndPoint!).Port);
        using var http = new HttpClient(pebble.CreateHandler());
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var client = new AcmeClient(http, pebble.DirectoryUrl, accountKey, FastPolling);
        await client.CreateAccountAsync([], termsOfServiceAgreed: true);

        var e = await Assert.ThrowsAsync<AcmeException>(() => ValidateAsync(client, ["mail.example.org"], new()));

        Assert.Equal(AcmeProblem.Connection, e.Problem!.Type);
        Assert.StartsWith("Validating mail.example.org by http-01: mail.example.org: connection: ", e.Message);
        Assert.Contains("connection refused", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Issuance_succeeds_when_pebble_rejects_half_of_all_nonces()
    {
        var answers = new ConcurrentDictionary<string, string>();
        await using var responder = new HttpChallengeResponder(token => answers.GetValueOrDefault(token));
        await using var pebble = await PebbleServer.StartAsync(responder.Port, nonceRejectPercent: 50);
        var counting = new BadNonceCounter(pebble.CreateHandler());
        using var http = new HttpClient(counting);
        using var accountKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // 30 retries: a request fails only after 31 rejections in a row, 0.5^31 at this rate.
        var client = new AcmeClient(http, pebble.DirectoryUrl, accountKey, new AcmeClientOptions { MaxBadNonceRetries = 30, PollInterval = FastPolling.PollInterval });

        await client.CreateAccountAsync([], termsOfServiceAgreed: true);
        using var certificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var (order, _) = await ValidateAsync(client, Names, answers);
        var chain = await FinishAsync(client, order, certificateKey);

        Assert.Equal(Names.Order(), DnsNames(chain[0]).Order());
        Assert.True(counting.BadNonces > 0, "pebble rejected some nonces (at 50% over a dozen requests)");
    }

    /// <summary>Orders <paramref name="names"/> and answers every pending authorization's http-01 challenge.</summary>
    private static async Task<(AcmeOrder Order, List<string> Tokens)> ValidateAsync(AcmeClient client, string[] names, ConcurrentDictionary<string, string> answers)
    {
        var order = await client.CreateOrderAsync(names);
        Assert.Equal(names.Length, order.Authorizations.Count);
        var tokens = new List<string>();
        foreach (var url in order.Authorizations)
        {
            var authorization = await client.GetAuthorizationAsync(url);
            if (authorization.Status == AcmeAuthorizationStatus.Valid)
                continue;
            var challenge = authorization.Challenge(AcmeHttp01.ChallengeType)!;
            Assert.True(AcmeHttp01.IsValidToken(challenge.Token));
            answers[challenge.Token!] = client.KeyAuthorization(challenge.Token!);
            tokens.Add(challenge.Token!);
            var valid = await client.CompleteChallengeAsync(authorization, challenge);
            Assert.Equal(AcmeAuthorizationStatus.Valid, valid.Status);
        }
        return (order, tokens);
    }

    private static async Task<X509Certificate2Collection> FinishAsync(AcmeClient client, AcmeOrder order, ECDsa certificateKey)
    {
        var request = new CertificateRequest("CN=" + order.Identifiers[0].Value, certificateKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var identifier in order.Identifiers)
            san.AddDnsName(identifier.Value);
        request.CertificateExtensions.Add(san.Build());
        var valid = await client.FinalizeAsync(order, request.CreateSigningRequest());
        Assert.Equal(AcmeOrderStatus.Valid, valid.Status);
        return await client.DownloadCertificateAsync(valid.Certificate!);
    }

    private static IEnumerable<string> DnsNames(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames();

    /// <summary>Counts the CA's badNonce answers on the way through.</summary>
    private sealed class BadNonceCounter(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private int _badNonces;

        public int BadNonces => Volatile.Read(ref _badNonces);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if (response.StatusCode == HttpStatusCode.BadRequest
                && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains(AcmeProblem.BadNonce, StringComparison.Ordinal))
                Interlocked.Increment(ref _badNonces);
            return response;
        }
    }
}
