using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>Turning on TOTP in the browser, then signing in with a code and with a recovery code.</summary>
public sealed class TwoFactorBrowserTests
{
    internal static byte[] FromBase32(string text)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        var bytes = new List<byte>();
        int buffer = 0, bits = 0;
        foreach (char c in text.Replace(" ", ""))
        {
            buffer = (buffer << 5) | alphabet.IndexOf(c);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }

    [Fact]
    public async Task An_admin_turns_on_two_factor_sign_in_and_then_needs_a_code()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(An_admin_turns_on_two_factor_sign_in_and_then_needs_a_code), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse", "/domains");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));
            await page.GetByRole(AriaRole.Link, new() { Name = "admin@example.org" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "Two-factor sign-in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "QR code for the authenticator app" })).ToBeVisibleAsync();
            byte[] secret = FromBase32(await page.GetByTestId("totp-key").InnerTextAsync());
            long step = Totp.StepAt(DateTimeOffset.UtcNow);

            await page.GetByLabel("Code from the app").FillAsync(Totp.Code(secret, step + 5));
            await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("That code is not right");
            await page.GetByLabel("Code from the app").FillAsync(Totp.Code(secret, step));
            await page.GetByRole(AriaRole.Button, new() { Name = "Turn on two-factor sign-in" }).ClickAsync();
            var codes = await page.GetByTestId("recovery-codes").Locator("code").AllInnerTextsAsync();
            Assert.Equal(10, codes.Count);

            // This session goes on; a new sign-in needs the second step.
            await page.GotoAsync(new Uri(web.Https, "/domains").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse", "/domains");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/signin/code\\?ReturnUrl=%2Fdomains$"));
            await page.GotoAsync(new Uri(web.Https, "/domains").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/signin\\?ReturnUrl")); // not signed in yet
            await page.GoBackAsync();
            await page.GetByLabel("Code").FillAsync(Totp.Code(secret, step)); // spent when it was turned on
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("That code is not right.");
            await page.GetByLabel("Code").FillAsync(codes[0]);
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse", "/domains");
            await page.GetByLabel("Code").FillAsync(Totp.Code(secret, Totp.StepAt(DateTimeOffset.UtcNow) + 1));
            await page.GetByRole(AriaRole.Button, new() { Name = "Verify" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/domains$"));

            // Without the password step there is no code step.
            await page.Context.ClearCookiesAsync();
            await page.GotoAsync(new Uri(web.Https, "/signin/code").ToString());
            await Assertions.Expect(page.GetByText("This step has expired.")).ToBeVisibleAsync();
        });
    }
}
