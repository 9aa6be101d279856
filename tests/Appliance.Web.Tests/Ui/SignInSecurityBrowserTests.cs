using System.Net;
using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Admin;
using Appliance.Web.Tests.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>Sign-in throttling, forged cross-origin forms and required two-factor sign-in, in chromium.</summary>
public sealed class SignInSecurityBrowserTests
{
    private static async Task<AdminWebHost> StartWithAdminAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var web = await AdminWebHost.StartAsync(settings);
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        return web;
    }

    [Fact]
    public async Task Wrong_passwords_in_the_browser_slow_the_account_down_and_the_right_one_still_signs_in()
    {
        await using var web = await StartWithAdminAsync();
        var throttle = web.Host.Services.GetRequiredService<SignInThrottle>();
        const int failures = SignInThrottle.FreeFailures + 1;
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(Wrong_passwords_in_the_browser_slow_the_account_down_and_the_right_one_still_signs_in), async page =>
        {
            for (int i = 0; i < failures; i++)
            {
                await Browser.SignInAsync(page, web.Https, "admin@example.org", "guess " + i);
                await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("The address or the password is wrong.");
            }
            // The throttle counted every failure from the browser's address and for the account:
            // the next attempt waits BaseDelay doubled once per failure past the free ones.
            var expected = SignInThrottle.BaseDelay * Math.Pow(2, failures - SignInThrottle.FreeFailures);
            Assert.Equal(expected, throttle.DelayFor("127.0.0.1", "admin@example.org"));
            Assert.Equal(expected, throttle.DelayFor("198.51.100.1", "admin@example.org")); // the account, from anywhere
            Assert.Equal(expected, throttle.DelayFor("127.0.0.1", "nobody@example.org")); // the address, for any name
            Assert.Equal(failures, (await web.Host.Services.GetRequiredService<SignInFailureLog>().QueryAsync("admin@example.org", 100)).Count);

            // Slowed, never locked out: the right password signs in, and clears the account's count (not the address's).
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse", "/domains");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "admin@example.org" })).ToBeVisibleAsync();
            Assert.Equal(TimeSpan.Zero, throttle.DelayFor("198.51.100.1", "admin@example.org"));
            Assert.Equal(expected, throttle.DelayFor("127.0.0.1", "nobody@example.org"));
        });
    }

    [Fact]
    public async Task Forms_posted_from_another_origin_are_refused_and_change_nothing()
    {
        await using var web = await StartWithAdminAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddMailboxAsync(new NewMailbox("mallory@example.org", "mallory's password"), "test");
        await using var attacker = await CrossOriginSite.StartAsync(web.Https);
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(Forms_posted_from_another_origin_are_refused_and_change_nothing), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse", "/domains");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));

            // Each attacker page submits its form to us as soon as it loads, without our antiforgery token.
            // (Matched by exact URL: the open page's own circuit also POSTs to us, to /_blazor/negotiate.)
            foreach (var (form, (action, _)) in CrossOriginSite.Forms)
            {
                string target = new Uri(web.Https, action).ToString();
                var response = await page.RunAndWaitForResponseAsync(() => page.GotoAsync(attacker.PageUrl(form)),
                    r => r.Request.Method == "POST" && r.Url == target);
                Assert.Equal((form, (int)HttpStatusCode.BadRequest), (form, response.Status));
            }

            // Still signed in as the admin (not signed out, not switched to the attacker's account), password unchanged.
            await page.GotoAsync(new Uri(web.Https, "/domains").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "admin@example.org" })).ToBeVisibleAsync();
            Assert.NotNull(await web.Host.Services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync("admin@example.org", "correct horse"));
        });
    }

    [Fact]
    public async Task With_two_factor_required_an_admin_is_held_on_its_set_up_page_until_it_is_on()
    {
        await using var web = await StartWithAdminAsync(RequiredTwoFactorTests.Required);
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(With_two_factor_required_an_admin_is_held_on_its_set_up_page_until_it_is_on), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse", "/domains");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/2fa\\?required=1$"));
            await Assertions.Expect(page.GetByTestId("two-factor-required")).ToContainTextAsync("This server requires two-factor sign-in for administrators.");
            await page.GetByRole(AriaRole.Link, new() { Name = "Domains" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/account/2fa\\?required=1$"));

            byte[] secret = TwoFactorBrowserTests.FromBase32(await page.GetByTestId("totp-key").InnerTextAsync());
            await page.GetByLabel("Code from the app").FillAsync(Totp.Code(secret, Totp.StepAt(DateTimeOffset.UtcNow)));
            await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("recovery-codes").Locator("code")).ToHaveCountAsync(TwoFactorService.RecoveryCodeCount);

            await page.GetByRole(AriaRole.Link, new() { Name = "Domains" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Domains" })).ToBeVisibleAsync();
        });
    }

    /// <summary>
    /// Another origin (plain HTTP on its own loopback port) serving pages whose forms post to the
    /// appliance as soon as they load: what a malicious site a signed-in admin visits would do.
    /// </summary>
    private sealed class CrossOriginSite : IAsyncDisposable
    {
        /// <summary>Form name → the appliance path it posts to and its fields (no antiforgery token: the attacker cannot read one).</summary>
        public static readonly Dictionary<string, (string Action, (string Name, string Value)[] Fields)> Forms = new()
        {
            ["signout"] = (AdminUi.SignOutPath, []),
            // Login CSRF: signing the victim into the attacker's account.
            ["signin"] = (AdminAuthentication.SignInPath, [("_handler", "signin"), ("Input.Address", "mallory@example.org"), ("Input.Password", "mallory's password")]),
        };

        private readonly WebApplication _app;

        private CrossOriginSite(WebApplication app, Uri origin)
        {
            _app = app;
            Origin = origin;
        }

        public Uri Origin { get; }

        public string PageUrl(string form) => new Uri(Origin, "/" + form).ToString();

        public static async Task<CrossOriginSite> StartAsync(Uri target)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            app.MapGet("/{form}", (string form) =>
            {
                var (action, fields) = Forms[form];
                string inputs = string.Concat(fields.Select(f => $"<input type=\"hidden\" name=\"{WebUtility.HtmlEncode(f.Name)}\" value=\"{WebUtility.HtmlEncode(f.Value)}\">"));
                string html = $"<!DOCTYPE html><html><body><form id=\"forged\" method=\"post\" action=\"{new Uri(target, action)}\">{inputs}</form>" +
                    "<script>document.getElementById('forged').submit();</script></body></html>";
                return Results.Content(html, "text/html; charset=utf-8");
            });
            await app.StartAsync();
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            return new CrossOriginSite(app, new Uri(address));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
