using System.Net;
using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Tests.Ui;
using Microsoft.Extensions.DependencyInjection;

using static Appliance.Web.Tests.Admin.AdminWebHost;

namespace Appliance.Web.Tests.Admin;

/// <summary>Appliance:Admin:RequireTwoFactor over HTTP: admins without two-factor sign-in reach only its set-up page.</summary>
public sealed partial class RequiredTwoFactorTests
{
    internal static readonly Dictionary<string, string?> Required = new() { ["Appliance:Admin:RequireTwoFactor"] = "true" };

    [Fact]
    public async Task An_admin_without_two_factor_reaches_only_its_set_up_page_until_it_is_on()
    {
        await using var web = await AdminWebHost.StartAsync(Required);
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("boss@example.org", "correct horse") { Role = MailboxRole.DomainAdmin, AdministeredDomains = ["example.org"] }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("user@example.org", "correct horse"), "test");

        using var admin = web.Client(out _);
        var signedIn = await SignInAsync(admin, "admin@example.org", "correct horse");
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        foreach (string path in new[] { "/", "/domains", "/logs", "/account", "/account/password", "/mail", "/mail/body/1/1" })
        {
            var response = await admin.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.Redirect, path);
            Assert.Equal("/account/2fa?required=1", response.Headers.Location!.OriginalString);
        }
        string setUp = await admin.GetStringAsync("/account/2fa");
        Assert.Contains("This server requires two-factor sign-in for administrators.", setUp);

        // A form elsewhere, posted with a valid antiforgery token, is refused and changes nothing.
        var post = await admin.PostAsync("/account/password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "password", ["__RequestVerificationToken"] = FormToken(setUp),
            ["Input.Current"] = "correct horse", ["Input.New"] = "battery staple", ["Input.Again"] = "battery staple",
        }));
        Assert.Equal(HttpStatusCode.Forbidden, post.StatusCode);
        Assert.NotNull(await web.Host.Services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync("admin@example.org", "correct horse"));
        // Blazor's circuit hub is closed to it too; the open pages stay open.
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.PostAsync("/_blazor/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/app.css")).StatusCode);

        // A domain admin is held the same way; a plain user is not.
        using (var boss = web.Client(out _))
        {
            await SignInAsync(boss, "boss@example.org", "correct horse");
            Assert.Equal("/account/2fa?required=1", (await boss.GetAsync("/domains")).Headers.Location!.OriginalString);
        }
        using (var user = web.Client(out _))
        {
            await SignInAsync(user, "user@example.org", "correct horse");
            Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/mail")).StatusCode);
        }

        // Turning it on frees the session at once.
        byte[] secret = TwoFactorBrowserTests.FromBase32(TotpKey().Match(setUp).Groups[1].Value);
        var enabled = await admin.PostAsync("/account/2fa", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "enable", ["__RequestVerificationToken"] = FormToken(setUp),
            ["Input.Enrolment"] = WebUtility.HtmlDecode(Enrolment().Match(setUp).Groups[1].Value),
            ["Input.Code"] = Totp.Code(secret, Totp.StepAt(DateTimeOffset.UtcNow)),
        }));
        Assert.Contains("Two-factor sign-in is on.", await enabled.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/domains")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/")).StatusCode);
    }

    [GeneratedRegex("data-testid=\"totp-key\">([A-Z2-7 ]+)</code>")]
    private static partial Regex TotpKey();

    [GeneratedRegex("name=\"Input.Enrolment\" value=\"([^\"]+)\"")]
    private static partial Regex Enrolment();
}
