using System.Net;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Admin;
using Microsoft.Extensions.DependencyInjection;

using static Appliance.Web.Tests.Admin.AdminWebHost;

namespace Appliance.Web.Tests.Admin;

/// <summary>First-run setup, sign-in, cookies, CSRF and access rules over real HTTPS, without a browser.</summary>
public sealed class AdminSignInTests
{
    [Fact]
    public async Task First_run_needs_the_token_then_the_admin_signs_in_with_a_secure_cookie()
    {
        await using var web = await AdminWebHost.StartAsync();
        using var client = web.Client(out var cookies);
        string token = web.IssueSetupToken();

        // Pages redirect to HTTPS and to the sign-in page.
        using (var plain = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = web.Http })
        {
            var redirect = await plain.GetAsync("/domains");
            Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
            Assert.Equal(new Uri(web.Https, "/domains"), redirect.Headers.Location);
            Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync("/healthz")).StatusCode);
        }
        var home = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith("/signin", home.Headers.Location!.PathAndQuery);

        var wrong = await PostFormAsync(client, "/setup", "setup", ("Input.Token", "AAAAAAAAAAAAAAAAAAAA"), ("Input.Hostname", "mail.example.org"), ("Input.Domain", "example.org"),
            ("Input.AdminAddress", "admin@example.org"), ("Input.Password", "correct horse"), ("Input.PasswordAgain", "correct horse"));
        Assert.Contains("The setup token is not right", await wrong.Content.ReadAsStringAsync());
        Assert.False(await web.Host.Services.GetRequiredService<AccountService>().HasAdministratorAsync());

        var weak = await PostFormAsync(client, "/setup", "setup", ("Input.Token", token), ("Input.Hostname", "mail.example.org"), ("Input.Domain", "example.org"),
            ("Input.AdminAddress", "admin@example.org"), ("Input.Password", "short"), ("Input.PasswordAgain", "short"));
        Assert.Contains("at least 8 characters", await weak.Content.ReadAsStringAsync());
        Assert.Empty(await web.Host.Services.GetRequiredService<AccountService>().ListDomainsAsync());

        var done = await PostFormAsync(client, "/setup", "setup", ("Input.Token", token.ToLowerInvariant()), ("Input.Hostname", "mail.example.org"), ("Input.Domain", "example.org"),
            ("Input.AdminAddress", "admin@example.org"), ("Input.Password", "correct horse"), ("Input.PasswordAgain", "correct horse"));
        Assert.Equal(HttpStatusCode.Redirect, done.StatusCode);
        Assert.Equal("/signin?setup=done", done.Headers.Location!.PathAndQuery);
        Assert.True(await web.Host.Services.GetRequiredService<AccountService>().HasAdministratorAsync());
        Assert.Contains("Setup is complete", await client.GetStringAsync("/setup"));

        // Once done, the same token does nothing.
        string? again = await web.Host.Services.GetRequiredService<FirstRunSetup>().CompleteAsync(new FirstRunRequest
        {
            Token = token, Hostname = "mail.evil.example", Domain = "evil.example", AdminAddress = "evil@evil.example", Password = "correct horse", PasswordAgain = "correct horse",
        });
        Assert.Equal("Setup is already complete; sign in instead.", again);
        Assert.DoesNotContain(await web.Host.Services.GetRequiredService<AccountService>().ListDomainsAsync(), d => d.Name == "evil.example");

        var failed = await SignInAsync(client, "admin@example.org", "wrong password");
        Assert.Contains("The address or the password is wrong.", await failed.Content.ReadAsStringAsync());
        var unknown = await SignInAsync(client, "nobody@example.org", "wrong password");
        Assert.Contains("The address or the password is wrong.", await unknown.Content.ReadAsStringAsync());

        var signedIn = await SignInAsync(client, "admin@example.org", "correct horse");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        string setCookie = Assert.Single(signedIn.Headers.GetValues("Set-Cookie"), c => c.StartsWith(AdminAuthentication.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("secure", setCookie);
        Assert.Contains("httponly", setCookie);
        Assert.Contains("samesite=strict", setCookie);
        string dashboard = await client.GetStringAsync("/");
        Assert.Contains("data-testid=\"domain-count\">1<", dashboard);
        // The certificates section: the self-signed bootstrap certificate, ACME being off here.
        Assert.Matches(@"<tr data-testid=""certificate""><td><code>mail\.example\.org</code></td>\s*<td>self-signed</td>\s*<td>CN=mail\.example\.org</td>", dashboard);
        Assert.Contains("data-testid=\"acme-off\"", dashboard);
        Assert.Contains("IN MX 10 mail.example.org.", await client.GetStringAsync("/domains/example.org/zone"));
    }

    [Fact]
    public async Task Forms_without_the_antiforgery_token_are_refused_and_signing_out_needs_a_post()
    {
        await using var web = await AdminWebHost.StartAsync();
        await web.Host.Services.GetRequiredService<AccountService>().AddDomainAsync("example.org", "test");
        await web.Host.Services.GetRequiredService<AccountService>().AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        using var client = web.Client(out _);

        // A cross-site form post carries no token (and SameSite=Strict keeps the cookies home): refused.
        var forged = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin", ["Input.Address"] = "admin@example.org", ["Input.Password"] = "correct horse",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, "admin@example.org", "correct horse")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
        Assert.NotEqual(HttpStatusCode.Redirect, (await client.GetAsync(AdminUi.SignOutPath)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync(AdminUi.SignOutPath, new FormUrlEncodedContent([]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);

        string page = await client.GetStringAsync("/");
        var signOut = await client.PostAsync(AdminUi.SignOutPath, new FormUrlEncodedContent(new Dictionary<string, string> { ["__RequestVerificationToken"] = AdminWebHost.FormToken(page) }));
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.GetAsync("/")).StatusCode);
    }

    [Fact]
    public async Task Users_and_domain_admins_see_only_what_is_theirs()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddDomainAsync("other.example", "test");
        await accounts.AddMailboxAsync(new NewMailbox("boss@example.org", "correct horse") { Role = MailboxRole.DomainAdmin, AdministeredDomains = ["example.org"] }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("user@example.org", "correct horse"), "test");

        using var boss = web.Client(out _);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(boss, "boss@example.org", "correct horse")).StatusCode);
        Assert.Contains("data-testid=\"domain-count\">1<", await boss.GetStringAsync("/"));
        Assert.Equal(HttpStatusCode.OK, (await boss.GetAsync("/domains/example.org/zone")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await boss.GetAsync("/domains/other.example/zone")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await boss.GetAsync("/domains/missing.example/zone")).StatusCode);
        Assert.Contains("There is no such domain.", await boss.GetStringAsync("/domains/other.example/dns"));

        using var user = web.Client(out _);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(user, "user@example.org", "correct horse")).StatusCode);
        var home = await user.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.Equal("/mail", home.Headers.Location!.AbsolutePath);
        Assert.Contains("Settings for mail apps", await user.GetStringAsync("/account"));
        var denied = await user.GetAsync("/domains");
        Assert.Equal("/denied", denied.Headers.Location!.AbsolutePath);
        Assert.Contains("This page is for administrators.", await user.GetStringAsync("/denied"));
        Assert.NotEqual(HttpStatusCode.OK, (await user.GetAsync("/domains/example.org/zone")).StatusCode);
    }

    [Fact]
    public async Task Changing_the_password_ends_the_other_sessions_and_keeps_this_one()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        using var laptop = web.Client(out _);
        using var phone = web.Client(out _);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(laptop, "admin@example.org", "correct horse")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(phone, "admin@example.org", "correct horse")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/")).StatusCode);

        var wrong = await PostFormAsync(laptop, "/account/password", "password", ("Input.Current", "not it"), ("Input.New", "battery staple"), ("Input.Again", "battery staple"));
        Assert.Contains("The current password is wrong.", await wrong.Content.ReadAsStringAsync());
        var differ = await PostFormAsync(laptop, "/account/password", "password", ("Input.Current", "correct horse"), ("Input.New", "battery staple"), ("Input.Again", "battery stapler"));
        Assert.Contains("The two new passwords differ.", await differ.Content.ReadAsStringAsync());
        var changed = await PostFormAsync(laptop, "/account/password", "password", ("Input.Current", "correct horse"), ("Input.New", "battery staple"), ("Input.Again", "battery staple"));
        Assert.Contains("Your password is changed.", await changed.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await laptop.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await phone.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(phone, "admin@example.org", "battery staple")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await phone.GetAsync("/")).StatusCode);

        // Disabling the account, or demoting it, ends its sessions as well.
        await accounts.UpdateMailboxAsync("admin@example.org", new MailboxUpdate { Role = MailboxRole.User }, "test");
        Assert.Equal(HttpStatusCode.Redirect, (await laptop.GetAsync("/")).StatusCode);
        Assert.StartsWith("/signin", (await laptop.GetAsync("/")).Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task Failed_sign_ins_slow_down_but_never_lock_the_owner_out()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        var throttle = web.Host.Services.GetRequiredService<SignInThrottle>();
        using var attacker = web.Client(out _);
        for (int i = 0; i < SignInThrottle.FreeFailures + 2; i++)
            Assert.Contains("The address or the password is wrong.", await (await SignInAsync(attacker, "admin@example.org", "guess " + i)).Content.ReadAsStringAsync());
        // The account and the address are now slowed down (the same for an unknown account)...
        Assert.True(throttle.DelayFor("127.0.0.1", "admin@example.org") > TimeSpan.Zero);
        Assert.True(throttle.DelayFor("127.0.0.1", "nobody@example.org") > TimeSpan.Zero);
        // ...but the right password still signs in: slowed, never refused.
        using var owner = web.Client(out _);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(owner, "admin@example.org", "correct horse")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/")).StatusCode);
        Assert.Contains(await web.Host.Services.GetRequiredService<SignInFailureLog>().QueryAsync("admin@", 10), f => f.Address == "admin@example.org");
    }

    [Fact]
    public async Task The_blazor_script_and_the_stylesheet_are_served()
    {
        await using var web = await AdminWebHost.StartAsync();
        using var client = web.Client(out _);
        var script = await client.GetAsync("/_framework/blazor.web.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType!.MediaType);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
        var css = await client.GetAsync("/app.css");
        Assert.Equal("text/css", css.Content.Headers.ContentType!.MediaType);

        var page = await client.GetAsync("/signin");
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());
        Assert.StartsWith("max-age=", page.Headers.GetValues("Strict-Transport-Security").Single());
        string csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
    }

    [Fact]
    public async Task A_return_url_elsewhere_is_not_followed()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        using var client = web.Client(out _);
        foreach (string returnUrl in new[] { "https://evil.example/", "//evil.example/", "/\\evil.example" })
        {
            string path = "/signin?ReturnUrl=" + Uri.EscapeDataString(returnUrl);
            string page = await client.GetStringAsync(path);
            var response = await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "signin", ["__RequestVerificationToken"] = AdminWebHost.FormToken(page),
                ["Input.Address"] = "admin@example.org", ["Input.Password"] = "correct horse",
            }));
            Assert.Equal(new Uri(web.Https, "/"), response.Headers.Location);
        }
    }
}
