using System.Text.RegularExpressions;
using Appliance.Web.Tests.Admin;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>The admin UI in a real browser against the real host: first-run setup, sign-in, the interactive pages, sign-out.</summary>
public sealed class AdminUiBrowserTests
{
    [Fact]
    public async Task First_run_setup_then_sign_in_add_a_domain_and_check_its_dns()
    {
        await using var web = await AdminWebHost.StartAsync();
        web.Dns.AddMx("example.org", 10, "mail.example.org").AddAddress("mail.example.org", "192.0.2.10");
        string token = web.IssueSetupToken();
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(First_run_setup_then_sign_in_add_a_domain_and_check_its_dns), async page =>
        {
            await page.GotoAsync(new Uri(web.Https, "/domains").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/signin\\?ReturnUrl=%2Fdomains$"));
            await page.GetByRole(AriaRole.Link, new() { Name = "set up the server" }).ClickAsync();

            await page.GetByLabel("Setup token").FillAsync("NOT-THE-TOKEN");
            await page.GetByLabel("First domain").FillAsync("example.org");
            await page.GetByLabel("Administrator's address").FillAsync("admin@example.org");
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync("correct horse");
            await page.GetByLabel("Password again").FillAsync("correct horse");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("The setup token is not right");

            await page.GetByLabel("Setup token").FillAsync(token);
            await page.GetByLabel("Password", new() { Exact = true }).FillAsync("correct horse");
            await page.GetByLabel("Password again").FillAsync("correct horse");
            await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
            await Assertions.Expect(page.GetByText("Setup is complete. Sign in")).ToBeVisibleAsync();

            await page.GetByLabel("Address").FillAsync("admin@example.org");
            await page.GetByLabel("Password").FillAsync("correct horse");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("domain-count")).ToHaveTextAsync("1");
            await Assertions.Expect(page.GetByTestId("deliveries")).ToHaveTextAsync("0 delivered, 0 deferred, 0 failed");
            await Assertions.Expect(page.GetByTestId("listeners")).ToContainTextAsync("Imaps on 127.0.0.1:");
            // The fake zone has the MX and the host's address but no SPF, DKIM or PTR: the dashboard says so.
            await Assertions.Expect(page.GetByTestId("dns-warnings")).ToContainTextAsync("example.org: TXT record example.org is missing");
            await Assertions.Expect(page.GetByTestId("dns-warnings")).Not.ToContainTextAsync("MX record");

            // The interactive page: the button is enabled once the circuit is up, and the new row
            // arrives over it without a reload.
            await page.GetByRole(AriaRole.Link, new() { Name = "Domains" }).ClickAsync();
            await page.GetByTestId("new-domain").FillAsync("bad domain");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToBeVisibleAsync();
            await page.GetByTestId("new-domain").FillAsync("second.example");
            await page.GetByRole(AriaRole.Button, new() { Name = "Add" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "second.example", Exact = true })).ToBeVisibleAsync();
            var second = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "second.example" });
            await second.GetByRole(AriaRole.Button, new() { Name = "Disable" }).ClickAsync();
            await Assertions.Expect(second).ToContainTextAsync("disabled");
            var first = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "example.org" }).Filter(new() { HasNotText = "second" });
            await first.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("mailbox");
            await second.GetByRole(AriaRole.Button, new() { Name = "Remove" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Cell, new() { Name = "second.example", Exact = true })).ToHaveCountAsync(0);

            await page.GetByRole(AriaRole.Row, new() { Name = "example.org" }).Filter(new() { HasNotText = "second" })
                .GetByRole(AriaRole.Link, new() { Name = "DNS records" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "DNS records for example.org" })).ToBeVisibleAsync();
            var mx = page.GetByTestId("record").Filter(new() { HasText = "10 mail.example.org" });
            await Assertions.Expect(mx).ToContainTextAsync("required");
            await page.GetByTestId("check").ClickAsync();
            await Assertions.Expect(mx.GetByTestId("status")).ToHaveTextAsync("OK");
            await Assertions.Expect(page.GetByTestId("record").Filter(new() { HasText = "_dmarc.example.org" }).GetByTestId("status")).ToHaveTextAsync("missing");

            // DKIM rotation: the new key is pending and its record appears among the records to publish.
            await Assertions.Expect(page.GetByTestId("dkim-key")).ToHaveCountAsync(1);
            await page.GetByRole(AriaRole.Button, new() { Name = "Rotate the DKIM key" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("dkim-key")).ToHaveCountAsync(2);
            var pending = page.GetByTestId("dkim-key").Filter(new() { HasText = "pending" });
            await Assertions.Expect(pending).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("record").Filter(new() { HasText = "._domainkey.example.org" })).ToHaveCountAsync(2);
            await pending.GetByRole(AriaRole.Button, new() { Name = "Retire" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("is retired");
            await page.GetByTestId("dkim-key").Filter(new() { HasText = "active" }).GetByRole(AriaRole.Button, new() { Name = "Retire" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("rotate first");

            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/signin$"));
            await page.GotoAsync(new Uri(web.Https, "/").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/signin\\?ReturnUrl=%2F$"));
        });
    }
}
