using System.Net;
using System.Security.Cryptography;

namespace Appliance.Acme.Tests;

/// <summary>The client against a scripted CA: nonces, badNonce retries, error documents, Retry-After and polling bounds.</summary>
public sealed class AcmeClientTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FakeAcmeHandler _ca = new();
    private readonly RecordingTimeProvider _time = new(Now);

    private AcmeClient Client(AcmeClientOptions? options = null) =>
        new(new HttpClient(_ca), FakeAcmeHandler.DirectoryUrl, _key, options, _time);

    private static HttpResponseMessage Account() =>
        FakeAcmeHandler.Json(HttpStatusCode.Created, """{"status":"valid","contact":["mailto:admin@example.org"]}""", "/acct/1");

    public void Dispose() => _key.Dispose();

    [Fact]
    public async Task The_first_nonce_comes_from_newNonce_and_later_ones_from_each_response()
    {
        _ca.Respond = r => r.Path switch
        {
            "/nonce" => new HttpResponseMessage(HttpStatusCode.OK),
            "/new-acct" => Account(),
            "/new-order" => FakeAcmeHandler.Json(HttpStatusCode.Created,
                """{"status":"pending","identifiers":[{"type":"dns","value":"mail.example.org"}],"authorizations":["https://ca.test/authz/1"],"finalize":"https://ca.test/order/1/finalize"}""", "/order/1"),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
        var client = Client();

        var account = await client.CreateAccountAsync(["admin@example.org"], termsOfServiceAgreed: true);
        var order = await client.CreateOrderAsync(["mail.example.org"]);

        Assert.Equal(new Uri("https://ca.test/acct/1"), account.Url);
        Assert.Equal(new Uri("https://ca.test/order/1"), order.Url);
        Assert.Equal(AcmeOrderStatus.Pending, order.Status);
        Assert.Equal(["GET /dir", "HEAD /nonce", "POST /new-acct", "POST /new-order"], _ca.Requests.Select(r => $"{r.Method} {r.Path}"));
        // The HEAD's nonce signs newAccount, and newAccount's answer's nonce signs newOrder.
        Assert.Equal(["nonce-1", "nonce-2"], _ca.Requests.Where(r => r.Method == HttpMethod.Post).Select(r => r.Nonce));
        Assert.Equal("""{"termsOfServiceAgreed":true,"contact":["mailto:admin@example.org"]}""", _ca.Requests[2].Payload);
        Assert.Equal("""{"identifiers":[{"type":"dns","value":"mail.example.org"}]}""", _ca.Requests[3].Payload);
    }

    [Fact]
    public async Task A_Replay_Nonce_outside_base64url_is_ignored_and_a_new_one_fetched()
    {
        _ca.Respond = r => r.Path switch
        {
            "/nonce" => new HttpResponseMessage(HttpStatusCode.OK),
            "/new-acct" => WithNonce(Account(), "not a nonce!"),
            "/new-order" => FakeAcmeHandler.Problem(HttpStatusCode.BadRequest, "rejectedIdentifier", "no"),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
        var client = Client();
        await client.CreateAccountAsync([], true);

        await Assert.ThrowsAsync<AcmeException>(() => client.CreateOrderAsync(["mail.example.org"]));

        Assert.Equal(["GET /dir", "HEAD /nonce", "POST /new-acct", "HEAD /nonce", "POST /new-order"], _ca.Requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.Equal("nonce-2", _ca.Requests[^1].Nonce);
    }

    [Fact]
    public async Task A_badNonce_is_retried_with_the_nonce_of_the_error_response()
    {
        int rejections = 0;
        _ca.Respond = r => r.Path switch
        {
            "/nonce" => new HttpResponseMessage(HttpStatusCode.OK),
            "/new-acct" when rejections++ < 2 => FakeAcmeHandler.Problem(HttpStatusCode.BadRequest, "badNonce", "JWS has an invalid anti-replay nonce"),
            "/new-acct" => Account(),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };

        var account = await Client().CreateAccountAsync([], termsOfServiceAgreed: true);

        Assert.Equal(AcmeAccountStatus.Valid, account.Status);
        var posts = _ca.Requests.Where(r => r.Path == "/new-acct").ToList();
        Assert.Equal(3, posts.Count);
        // Each retry is signed with the nonce the previous error carried, and no new HEAD is made.
        Assert.Equal(["nonce-1", "nonce-2", "nonce-3"], posts.Select(p => p.Nonce));
        Assert.Single(_ca.Requests, r => r.Path == "/nonce");
    }

    [Fact]
    public async Task BadNonce_retries_are_bounded_and_the_last_error_is_reported()
    {
        _ca.Respond = r => r.Path == "/nonce"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : FakeAcmeHandler.Problem(HttpStatusCode.BadRequest, "badNonce", "JWS has an invalid anti-replay nonce");

        var e = await Assert.ThrowsAsync<AcmeException>(() => Client(new AcmeClientOptions { MaxBadNonceRetries = 3 }).CreateAccountAsync([], true));

        Assert.Equal(4, _ca.Requests.Count(r => r.Path == "/new-acct"));
        Assert.Equal(AcmeProblem.BadNonce, e.Problem!.Type);
        Assert.Equal("Creating the ACME account: badNonce: JWS has an invalid anti-replay nonce", e.Message);
        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
    }

    [Fact]
    public async Task Other_errors_are_not_retried()
    {
        _ca.Respond = r => r.Path == "/nonce"
            ? new HttpResponseMessage(HttpStatusCode.OK)
            : FakeAcmeHandler.Problem(HttpStatusCode.Forbidden, "unauthorized", "account key is blocked");

        var e = await Assert.ThrowsAsync<AcmeException>(() => Client().CreateAccountAsync([], true));

        Assert.Single(_ca.Requests, r => r.Path == "/new-acct");
        Assert.Equal("unauthorized", e.Problem!.Name);
        Assert.Null(e.RetryAfter);
    }

    [Fact]
    public async Task RateLimited_carries_the_Retry_After_in_seconds()
    {
        _ca.Respond = r =>
        {
            if (r.Path == "/nonce")
                return new HttpResponseMessage(HttpStatusCode.OK);
            var limited = FakeAcmeHandler.Problem(HttpStatusCode.TooManyRequests, "rateLimited", "too many new accounts from this IP");
            limited.Headers.Add("Retry-After", "3600");
            return limited;
        };

        var e = await Assert.ThrowsAsync<AcmeException>(() => Client().CreateAccountAsync([], true));

        Assert.Equal(AcmeProblem.RateLimited, e.Problem!.Type);
        Assert.Equal(TimeSpan.FromHours(1), e.RetryAfter);
        Assert.Equal(HttpStatusCode.TooManyRequests, e.Status);
    }

    [Fact]
    public async Task A_503_without_a_problem_document_carries_its_HTTP_date_Retry_After()
    {
        _ca.Respond = r =>
        {
            var unavailable = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { Content = new StringContent("<html>maintenance</html>") };
            unavailable.Headers.Add("Retry-After", Now.AddMinutes(10).ToString("R"));
            return unavailable;
        };

        var e = await Assert.ThrowsAsync<AcmeException>(() => Client().CreateAccountAsync([], true));

        Assert.Null(e.Problem);
        Assert.Equal(TimeSpan.FromMinutes(10), e.RetryAfter);
        Assert.Contains("HTTP 503", e.Message);
    }

    [Fact]
    public async Task Polling_waits_the_Retry_After_of_each_answer_bounded_by_the_option()
    {
        ScriptChallenge(poll => poll switch
        {
            0 => WithRetryAfter(Authorization("pending"), "7"),
            1 => WithRetryAfter(Authorization("pending"), "86400"),
            2 => Authorization("pending"),
            _ => Authorization("valid"),
        });
        var client = Client(new AcmeClientOptions { MaxPollRetryAfter = TimeSpan.FromSeconds(30), PollInterval = TimeSpan.FromSeconds(2) });
        var authorization = await PendingAuthorizationAsync(client);

        var valid = await client.CompleteChallengeAsync(authorization, authorization.Challenge(AcmeHttp01.ChallengeType)!);

        Assert.Equal(AcmeAuthorizationStatus.Valid, valid.Status);
        Assert.Equal("{}", _ca.Requests.Single(r => r.Path == "/chall/1").Payload);
        // 7 s as asked, a day shortened to the 30 s bound, the 2 s default without Retry-After.
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2)], _time.Waits);
        // Every poll is a POST-as-GET (RFC 8555 6.3): an empty payload.
        Assert.All(_ca.Requests.Where(r => r.Path == "/authz/1"), r => Assert.Equal("", r.Payload));
    }

    [Fact]
    public async Task Polling_gives_up_after_MaxPollAttempts()
    {
        ScriptChallenge(_ => Authorization("pending"));
        var client = Client(new AcmeClientOptions { MaxPollAttempts = 4 });
        var authorization = await PendingAuthorizationAsync(client);

        var e = await Assert.ThrowsAsync<AcmeException>(() => client.CompleteChallengeAsync(authorization, authorization.Challenges[0]));

        Assert.Equal("Validating mail.example.org by http-01: still not done after 4 polls; the CA may be overloaded, try again later.", e.Message);
        // The fetch before the challenge, then five polls after it with four waits between.
        Assert.Equal(1 + 5, _ca.Requests.Count(r => r.Path == "/authz/1"));
        Assert.Equal(4, _time.Waits.Count);
    }

    [Fact]
    public async Task An_invalid_authorization_throws_the_challenge_error_with_its_identifier()
    {
        ScriptChallenge(_ => FakeAcmeHandler.Json(HttpStatusCode.OK, """
            {"status":"invalid","identifier":{"type":"dns","value":"mail.example.org"},
             "challenges":[{"type":"http-01","url":"https://ca.test/chall/1","status":"invalid","token":"tok",
               "error":{"type":"urn:ietf:params:acme:error:connection","detail":"127.0.0.1: Connection refused","status":400}}]}
            """));
        var client = Client();
        var authorization = await PendingAuthorizationAsync(client);

        var e = await Assert.ThrowsAsync<AcmeException>(() => client.CompleteChallengeAsync(authorization, authorization.Challenges[0]));

        Assert.Equal(AcmeProblem.Connection, e.Problem!.Type);
        Assert.Equal(AcmeIdentifier.Dns("mail.example.org"), e.Problem.Identifier);
        Assert.Equal("Validating mail.example.org by http-01: mail.example.org: connection: 127.0.0.1: Connection refused", e.Message);
    }

    /// <summary>
    /// A CA with an account, a pending authorization at /authz/1 and its challenge at /chall/1;
    /// after the challenge is answered, the n-th poll of the authorization gets <paramref name="afterChallenge"/>(n).
    /// </summary>
    private void ScriptChallenge(Func<int, HttpResponseMessage> afterChallenge)
    {
        int polls = 0;
        _ca.Respond = r => r.Path switch
        {
            "/nonce" => new HttpResponseMessage(HttpStatusCode.OK),
            "/new-acct" => Account(),
            "/chall/1" => FakeAcmeHandler.Json(HttpStatusCode.OK, """{"type":"http-01","url":"https://ca.test/chall/1","status":"processing","token":"tok"}"""),
            "/authz/1" when !_ca.Requests.Any(x => x.Path == "/chall/1") => Authorization("pending"),
            "/authz/1" => afterChallenge(polls++),
            _ => new HttpResponseMessage(HttpStatusCode.NotFound),
        };
    }

    private static async Task<AcmeAuthorization> PendingAuthorizationAsync(AcmeClient client)
    {
        await client.CreateAccountAsync([], true);
        return await client.GetAuthorizationAsync(new Uri("https://ca.test/authz/1"));
    }

    [Fact]
    public async Task Requests_needing_an_account_refuse_before_it_exists()
    {
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Client().CreateOrderAsync(["mail.example.org"]));
        Assert.Contains("RFC 8555 7.3", e.Message);
    }

    [Theory]
    [InlineData("a@example.org,b@example.org")]
    [InlineData("a@example.org?subject=x")]
    [InlineData("not-an-address")]
    public async Task A_contact_that_is_not_one_plain_address_is_refused(string contact)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Client().CreateAccountAsync([contact], true));
        Assert.DoesNotContain(_ca.Requests, r => r.Path == "/new-acct");
    }

    [Fact]
    public void The_key_authorization_is_the_token_a_dot_and_the_account_key_thumbprint()
    {
        Assert.Equal("tok-1." + AcmeJwk.FromEcdsa(_key).Thumbprint(), Client().KeyAuthorization("tok-1"));
    }

    private static HttpResponseMessage Authorization(string status) => FakeAcmeHandler.Json(HttpStatusCode.OK, $$"""
        {"status":"{{status}}","identifier":{"type":"dns","value":"mail.example.org"},
         "challenges":[{"type":"http-01","url":"https://ca.test/chall/1","status":"pending","token":"tok"}]}
        """);

    private static HttpResponseMessage WithNonce(HttpResponseMessage response, string nonce)
    {
        response.Headers.TryAddWithoutValidation("Replay-Nonce", nonce);
        return response;
    }

    private static HttpResponseMessage WithRetryAfter(HttpResponseMessage response, string value)
    {
        response.Headers.Add("Retry-After", value);
        return response;
    }
}
