using System.Text;
using System.Text.RegularExpressions;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Appliance.Storage.Entities;
using Appliance.Web.Tests.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>The queue and logs pages in a real browser; admins only.</summary>
public sealed class QueueAndLogsBrowserTests
{
    [Fact]
    public async Task The_admin_sees_retries_and_deletes_queued_mail_and_searches_the_logs()
    {
        await using var web = await AdminWebHost.StartAsync();
        var services = web.Host.Services;
        var accounts = services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("admin@example.org", "correct horse") { Role = MailboxRole.Admin }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("boss@example.org", "correct horse") { Role = MailboxRole.DomainAdmin, AdministeredDomains = ["example.org"] }, "test");
        // The recipient's domain fails temporarily, so the message stays queued.
        web.Dns.Fail("slow.example", DnsResponseStatus.ServerFailure);
        string id = await services.GetRequiredService<IOutboundQueue>().EnqueueAsync(
            new OutboundEnvelope("admin@example.org", [new OutboundRecipient("friend@slow.example")], Origin: "test"),
            new MemoryStream(Encoding.ASCII.GetBytes("Subject: hi\r\n\r\nhello\r\n")));
        var log = (DeliveryLog)services.GetRequiredService<IDeliveryLog>();
        log.Record(new SmtpTransactionRecord(DateTimeOffset.UtcNow, "smtp", "203.0.113.7", "mx.sender.example", "TLSv1.3", null,
            "someone@sender.example", ["admin@example.org"], 1234, 250, "2.0.0 OK", null));
        log.Record(new SmtpTransactionRecord(DateTimeOffset.UtcNow, "smtp", "198.51.100.66", "spammer", null, null,
            "spam@spam.example", ["nobody@example.org"], 0, 550, "5.1.1 No such user", null));
        await log.FlushAsync();
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(The_admin_sees_retries_and_deletes_queued_mail_and_searches_the_logs), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "admin@example.org", "wrong");
            await page.GetByLabel("Address").FillAsync("admin@example.org");
            await page.GetByLabel("Password").FillAsync("correct horse");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

            await page.GetByRole(AriaRole.Link, new() { Name = "Logs" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("transaction")).ToHaveCountAsync(2);
            await page.GetByTestId("log-search").FillAsync("203.0.113.7");
            await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("transaction")).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("transaction")).ToContainTextAsync("someone@sender.example");
            await page.GetByTestId("log-search").FillAsync("admin@");
            await page.GetByRole(AriaRole.Button, new() { Name = "Search" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("signin-failure")).ToContainTextAsync("admin@example.org");

            await page.GetByRole(AriaRole.Link, new() { Name = "Queue" }).ClickAsync();
            var row = page.GetByTestId("queued").Filter(new() { HasText = id });
            await Assertions.Expect(row).ToContainTextAsync("friend@slow.example");
            await row.GetByRole(AriaRole.Button, new() { Name = "Retry now" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync($"{id} will be retried now.");
            await row.GetByRole(AriaRole.Button, new() { Name = "Delete…" }).ClickAsync();
            await row.GetByRole(AriaRole.Button, new() { Name = "Delete without notice" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("queue-empty")).ToBeVisibleAsync();

            // A domain admin has neither page.
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
            await page.GetByLabel("Address").FillAsync("boss@example.org");
            await page.GetByLabel("Password").FillAsync("correct horse");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Mailboxes" })).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Link, new() { Name = "Queue" })).ToHaveCountAsync(0);
            await page.GotoAsync(new Uri(web.Https, "/queue").ToString());
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/denied"));
        });
    }
}
