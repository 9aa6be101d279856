using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Api;

/// <summary>The REST API over real HTTPS with real tokens: operations, refusals, scoping, and what does not authenticate.</summary>
public sealed class RestApiTests
{
    private static async Task<(AdminWebHost Web, string AdminToken, string BossToken)> StartAsync()
    {
        var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddDomainAsync("other.example", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("boss@other.example", "correct horse") { Role = MailboxRole.DomainAdmin, AdministeredDomains = ["other.example"] }, "test");
        var tokens = web.Host.Services.GetRequiredService<ApiTokenService>();
        var (_, admin) = await tokens.CreateAsync("admin@example.org", "tests");
        var (_, boss) = await tokens.CreateAsync("boss@other.example", "tests");
        return (web, admin, boss);
    }

    private static HttpClient Client(AdminWebHost web, string? token)
    {
        var client = web.Client(out _);
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task An_admin_token_manages_domains_mailboxes_aliases_and_reads_dns()
    {
        var (web, token, _) = await StartAsync();
        await using var host = web;
        using var api = Client(web, token);

        var created = await api.PostAsJsonAsync("/api/v1/domains", new { name = "new.example" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("new.example", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString());
        var again = await api.PostAsJsonAsync("/api/v1/domains", new { name = "new.example" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("application/problem+json", again.Content.Headers.ContentType!.MediaType);
        var problem = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("The domain new.example already exists.", problem.GetProperty("detail").GetString());
        Assert.Equal("DomainExists", problem.GetProperty("error").GetString());

        var domains = await api.GetFromJsonAsync<JsonElement>("/api/v1/domains");
        Assert.Equal(["example.org", "new.example", "other.example"], domains.EnumerateArray().Select(d => d.GetProperty("name").GetString()));

        var mailbox = await api.PostAsJsonAsync("/api/v1/mailboxes", new { address = "carol@new.example", password = "first password", quotaBytes = 1048576 });
        Assert.Equal(HttpStatusCode.Created, mailbox.StatusCode);
        Assert.Equal("User", (await mailbox.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("role").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await api.PostAsJsonAsync("/api/v1/mailboxes", new { address = "dave@new.example", password = "short" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.PutAsJsonAsync("/api/v1/mailboxes/carol@new.example/password", new { password = "second password" })).StatusCode);
        Assert.NotNull(await web.Host.Services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync("carol@new.example", "second password"));

        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/v1/aliases", new { source = "@new.example", destinations = new[] { "carol@new.example" } })).StatusCode);
        Assert.Contains("@new.example", await api.GetStringAsync("/api/v1/aliases?domain=new.example"));

        var records = await api.GetFromJsonAsync<JsonElement>("/api/v1/domains/new.example/dns");
        Assert.Equal("MX", records[0].GetProperty("type").GetString());
        Assert.Equal("10 mail.example.org", records[0].GetProperty("value").GetString());
        var checks = await api.GetFromJsonAsync<JsonElement>("/api/v1/domains/new.example/dns/check");
        Assert.Equal("Missing", checks[0].GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/api/v1/aliases/@new.example")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await api.DeleteAsync("/api/v1/domains/new.example")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/api/v1/mailboxes/carol@new.example")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await api.DeleteAsync("/api/v1/domains/new.example")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/v1/domains/new.example/dns")).StatusCode);
        Assert.Equal("[]", await api.GetStringAsync("/api/v1/queue"));

        var certificates = await api.GetFromJsonAsync<JsonElement>("/api/v1/certificates");
        Assert.False(certificates.GetProperty("renewalEnabled").GetBoolean());
        var bootstrap = Assert.Single(certificates.GetProperty("certificates").EnumerateArray());
        Assert.Equal(["mail.example.org"], bootstrap.GetProperty("names").EnumerateArray().Select(name => name.GetString()));
        Assert.Equal("SelfSigned", bootstrap.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, bootstrap.GetProperty("lastError").ValueKind);
        Assert.Empty(certificates.GetProperty("leftOut").EnumerateArray());
    }

    [Fact]
    public async Task A_domain_admin_token_reaches_only_its_domain()
    {
        var (web, _, token) = await StartAsync();
        await using var host = web;
        using var api = Client(web, token);

        var domains = await api.GetFromJsonAsync<JsonElement>("/api/v1/domains");
        Assert.Equal(["other.example"], domains.EnumerateArray().Select(d => d.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/v1/domains/example.org/dns")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsJsonAsync("/api/v1/domains", new { name = "mine.example" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsJsonAsync("/api/v1/mailboxes", new { address = "x@example.org", password = "long enough" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PostAsJsonAsync("/api/v1/mailboxes", new { address = "x@other.example", password = "long enough", role = "Admin" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.PostAsJsonAsync("/api/v1/mailboxes", new { address = "x@other.example", password = "long enough" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.PutAsJsonAsync("/api/v1/mailboxes/admin@example.org/password", new { password = "takeover!!" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.DeleteAsync("/api/v1/mailboxes/admin@example.org")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/v1/queue")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await api.GetAsync("/api/v1/certificates")).StatusCode);
        Assert.DoesNotContain("admin@example.org", await api.GetStringAsync("/api/v1/mailboxes"));
    }

    [Fact]
    public async Task Only_valid_tokens_over_https_authenticate_and_never_the_session_cookie()
    {
        var (web, token, _) = await StartAsync();
        await using var host = web;

        using (var anonymous = Client(web, null))
        {
            var refused = await anonymous.GetAsync("/api/v1/domains");
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
            // The description is public.
            var openApi = await anonymous.GetFromJsonAsync<JsonElement>("/api/v1/openapi.json");
            Assert.Equal("3.1.0", openApi.GetProperty("openapi").GetString());
            Assert.True(openApi.GetProperty("paths").TryGetProperty("/domains/{name}/dns/check", out _));
        }
        // The last character differs in its spare bits too (E..F share the top four bits with A..D): a non-canonical spelling is refused.
        char last = token[^1];
        string[] bads = [token[..^1] + (last == 'A' ? 'B' : 'A'), token[..^1] + (char)(last ^ 1), "apl_999_" + token[(token.IndexOf('_', 4) + 1)..], "apl_x", token + "x", ""];
        foreach (string bad in bads)
        {
            using var client = Client(web, bad);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/domains")).StatusCode);
        }

        // A signed-in browser session does not reach the API (so no cross-site request can use it).
        using var browser = web.Client(out _);
        string page = await browser.GetStringAsync("/signin");
        var signIn = await browser.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin", ["__RequestVerificationToken"] = AdminWebHost.FormToken(page),
            ["Input.Address"] = "admin@example.org", ["Input.Password"] = "correct horse",
        }));
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await browser.GetAsync("/api/v1/domains")).StatusCode);

        // Plain HTTP is refused, not redirected: the token has been sent in clear already, and must not be sent twice.
        using var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = web.Http };
        plain.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.Forbidden, (await plain.GetAsync("/api/v1/domains")).StatusCode);

        // Revoked, demoted or disabled: the token stops working.
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        using var api = Client(web, token);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync("/api/v1/domains")).StatusCode);
        await accounts.UpdateMailboxAsync("admin@example.org", new MailboxUpdate { Enabled = false }, "test");
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/domains")).StatusCode);
        await accounts.UpdateMailboxAsync("admin@example.org", new MailboxUpdate { Enabled = true }, "test");
        var tokens = web.Host.Services.GetRequiredService<ApiTokenService>();
        var listed = Assert.Single(await tokens.ListAsync("admin@example.org"));
        Assert.NotNull(listed.LastUsedUtc);
        Assert.True(await tokens.RevokeAsync("admin@example.org", listed.Id));
        Assert.Equal(HttpStatusCode.Unauthorized, (await api.GetAsync("/api/v1/domains")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_description_lists_exactly_the_api_routes()
    {
        var (web, _, _) = await StartAsync();
        await using var host = web;
        var routes = web.Host.Services.GetServices<Microsoft.AspNetCore.Routing.EndpointDataSource>()
            .SelectMany(s => s.Endpoints).OfType<Microsoft.AspNetCore.Routing.RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1/", StringComparison.Ordinal) == true && !e.RoutePattern.RawText.EndsWith("openapi.json", StringComparison.Ordinal))
            .SelectMany(e => e.Metadata.OfType<Microsoft.AspNetCore.Routing.HttpMethodMetadata>().SelectMany(m => m.HttpMethods)
                .Select(method => $"{method.ToLowerInvariant()} {e.RoutePattern.RawText!["/api/v1".Length..]}"))
            .Order().ToList();
        var described = Appliance.Web.Api.OpenApiDocument.Operations.Select(o => $"{o.Method} {o.Path}").Order().ToList();
        Assert.Equal(described, routes);
    }

    [Fact]
    public async Task Users_cannot_have_tokens_and_names_are_checked()
    {
        var (web, _, _) = await StartAsync();
        await using var host = web;
        await web.Host.Services.GetRequiredService<AccountService>().AddMailboxAsync(new NewMailbox("user@example.org", "correct horse"), "test");
        var tokens = web.Host.Services.GetRequiredService<ApiTokenService>();
        Assert.Equal(AccountError.TokenRefused, (await Assert.ThrowsAsync<AccountException>(() => tokens.CreateAsync("user@example.org", "mine"))).Error);
        Assert.Equal(AccountError.InvalidTokenName, (await Assert.ThrowsAsync<AccountException>(() => tokens.CreateAsync("admin@example.org", " "))).Error);
        Assert.Equal(AccountError.InvalidTokenName, (await Assert.ThrowsAsync<AccountException>(() => tokens.CreateAsync("admin@example.org", "a\nb"))).Error);

        // The secret's last base64url character carries two spare bits: its other spellings decode to
        // the same secret, and each is refused; only the canonical token works.
        var (_, token) = await tokens.CreateAsync("admin@example.org", "spare bits");
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        int value = alphabet.IndexOf(token[^1]);
        Assert.Equal(0, value & 3);
        for (int spare = 1; spare < 4; spare++)
            Assert.Null(await tokens.AuthenticateAsync(token[..^1] + alphabet[value | spare]));
        Assert.NotNull(await tokens.AuthenticateAsync(token));
    }
}
