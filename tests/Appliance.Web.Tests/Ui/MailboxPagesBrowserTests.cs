using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Appliance.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>Mailboxes and aliases in a real browser, including what a domain admin may not do.</summary>
public sealed class MailboxPagesBrowserTests
{
    [Fact]
    public async Task An_admin_adds_a_mailbox_sets_its_password_and_the_user_changes_it()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(An_admin_adds_a_mailbox_sets_its_password_and_the_user_changes_it), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "correct horse");
            await page.GetByRole(AriaRole.Link, new() { Name = "Mailboxes" }).ClickAsync();
            await page.GetByTestId("new-address").FillAsync("carol@example.org");
            await page.GetByTestId("new-password").FillAsync("short");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add mailbox" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("at least 8 characters");
            await page.GetByTestId("new-password").FillAsync("first password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add mailbox" }).ClickAsync();
            var carol = page.GetByTestId("mailbox").Filter(new() { HasText = "carol@example.org" });
            await Assertions.Expect(carol).ToContainTextAsync("enabled");

            await carol.GetByPlaceholder("new password").FillAsync("second password");
            await carol.GetByRole(AriaRole.Button, new() { Name = "Set password" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Password set.");

            // The alias page: a forward to an outside address.
            await page.GetByRole(AriaRole.Link, new() { Name = "Aliases" }).ClickAsync();
            await page.GetByTestId("alias-source").FillAsync("sales@example.org");
            await page.GetByTestId("alias-destinations").FillAsync("carol@example.org, partner@elsewhere.example");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add alias" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("alias").Filter(new() { HasText = "sales@example.org" })).ToContainTextAsync("partner@elsewhere.example");

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Browser.SignInAsync(page, web.Https, "carol@example.org", "second password");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/mail$"));
            await page.GotoAsync(new Uri(web.Https, "/account").ToString());
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Set up an iPhone, iPad or Mac" })).ToHaveAttributeAsync("href", "/mail/appliance.mobileconfig?emailaddress=carol%40example.org");
            await page.GetByRole(AriaRole.Link, new() { Name = "Change your password" }).ClickAsync();
            await page.GetByLabel("Current password").FillAsync("second password");
            await page.GetByLabel("New password", new() { Exact = true }).FillAsync("third password");
            await page.GetByLabel("New password again").FillAsync("third password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Your password is changed.");
        });
        Assert.NotNull(await web.Host.Services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync("carol@example.org", "third password"));
        Assert.Equal(["carol@example.org", "partner@elsewhere.example"], (await accounts.ListAliasesAsync()).Single().Destinations);
    }

    [Fact]
    public async Task A_domain_admin_manages_only_users_of_their_domain()
    {
        await using var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddDomainAsync("other.example", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("boss@example.org", "correct horse") { Role = MailboxRole.DomainAdmin, AdministeredDomains = ["example.org"] }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("dave@example.org", "correct horse"), "test");
        await accounts.AddMailboxAsync(new NewMailbox("erin@other.example", "correct horse"), "test");
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(A_domain_admin_manages_only_users_of_their_domain), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "boss@example.org", "correct horse");
            await page.GetByRole(AriaRole.Link, new() { Name = "Mailboxes" }).ClickAsync();
            var rows = page.GetByTestId("mailbox");
            await Assertions.Expect(rows.Filter(new() { HasText = "dave@example.org" })).ToHaveCountAsync(1);
            await Assertions.Expect(rows.Filter(new() { HasText = "erin@other.example" })).ToHaveCountAsync(0);
            // The administrator is listed (same domain) but offers no actions to a domain admin.
            await Assertions.Expect(rows.Filter(new() { HasText = "admin@example.org" }).GetByRole(AriaRole.Button)).ToHaveCountAsync(0);
            await Assertions.Expect(rows.Filter(new() { HasText = "dave@example.org" }).GetByRole(AriaRole.Button, new() { Name = "Set password" })).ToBeEnabledAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Combobox)).ToHaveCountAsync(0);

            await page.GetByTestId("new-address").FillAsync("mallory@other.example");
            await page.GetByTestId("new-password").FillAsync("first password");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add mailbox" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("only to your own domains");
        });
        Assert.DoesNotContain(await accounts.ListMailboxesAsync(), m => m.Address == "mallory@other.example");
    }
}
