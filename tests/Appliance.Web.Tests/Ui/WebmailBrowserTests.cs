using System.Text;
using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Appliance.Web.Tests.Admin;
using Appliance.Web.Tests.Webmail;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Appliance.Web.Tests.Ui;

/// <summary>The webmail in Debian's chromium against the real host: mail arriving over SMTP, reading, replying, organising, searching, and hostile HTML.</summary>
public sealed class WebmailBrowserTests
{
    private static async Task<AdminWebHost> StartWithUsersAsync()
    {
        var web = await AdminWebHost.StartAsync();
        var accounts = web.Host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", "correct horse") { DisplayName = "Alice Liddell" }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("bob@example.org", "battery staple"), "test");
        return web;
    }

    private static async Task<MailAccount> AccountAsync(AdminWebHost web, string address)
    {
        var mailbox = await web.Host.Services.GetRequiredService<AccountService>().GetMailboxAsync(address);
        return web.Host.Services.GetRequiredService<MessageStore>().OpenAccount(mailbox.StoreId);
    }

    [Fact]
    public async Task Mail_arrives_live_is_read_answered_filed_and_found()
    {
        await using var web = await StartWithUsersAsync();
        var smtp = web.Host.Endpoints[ListenerKind.Smtp];
        var bob = await AccountAsync(web, "bob@example.org");
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(Mail_arrives_live_is_read_answered_filed_and_found), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "alice@example.org", "correct horse");
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/mail$"));
            await Assertions.Expect(page.GetByTestId("count")).ToHaveTextAsync("0");
            // Wait until the circuit is live before mail arrives, so the list must update by itself.
            await Assertions.Expect(page.Locator(".webmail[data-live=true]")).ToHaveCountAsync(1);

            await SmtpSender.SendAsync(smtp, "bob@example.org", "alice@example.org",
                "From: Bob <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: Lunch on Friday?\nMessage-ID: <lunch-1@example.org>\nDate: Fri, 20 Nov 2026 10:00:00 +0000\n\nShall we try the new place?\nMenu: https://food.example/menu\n");
            var row = page.GetByTestId("message").Filter(new() { HasText = "Lunch on Friday?" });
            await Assertions.Expect(row).ToHaveCountAsync(1);
            await Assertions.Expect(row).ToHaveClassAsync(new Regex("unread"));
            await Assertions.Expect(page.GetByTestId("folder").Filter(new() { HasText = "INBOX" }).GetByTestId("unread")).ToHaveTextAsync("1");

            await row.ClickAsync();
            await Assertions.Expect(page.GetByTestId("subject")).ToHaveTextAsync("Lunch on Friday?");
            await Assertions.Expect(page.GetByTestId("from")).ToHaveTextAsync("Bob <bob@example.org>");
            await Assertions.Expect(page.GetByTestId("text-body")).ToContainTextAsync("Shall we try the new place?");
            var link = page.GetByTestId("text-body").GetByRole(AriaRole.Link);
            await Assertions.Expect(link).ToHaveAttributeAsync("href", "https://food.example/menu");
            await Assertions.Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
            await Assertions.Expect(row).Not.ToHaveClassAsync(new Regex("unread"));

            // Reply: the recipient is local, so the queue delivers it to bob's INBOX.
            var arrived = bob.Subscribe();
            await page.GetByTestId("reply").ClickAsync();
            await Assertions.Expect(page.GetByTestId("compose-to")).ToHaveValueAsync("\"Bob\" <bob@example.org>");
            await Assertions.Expect(page.GetByTestId("compose-subject")).ToHaveValueAsync("Re: Lunch on Friday?");
            await page.GetByTestId("compose-body").FillAsync("Yes, noon works.\n\n> Shall we try the new place?");
            await page.GetByTestId("send").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/mail\\?sent=1$"));
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Message sent.");
            await Assertions.Expect(page.Locator(".webmail[data-live=true]")).ToHaveCountAsync(1);

            await page.GetByTestId("folder").Filter(new() { HasText = "Sent" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "Re: Lunch on Friday?" })).ToHaveCountAsync(1);

            using (arrived)
            {
                var change = await arrived.Changes.ReadAsync().AsTask().WaitAsync(AdminWebHost.Guard);
                Assert.IsType<MessageAdded>(change);
            }
            var inBobsInbox = bob.ListNewest("INBOX", 0, 10).Messages.Single();
            Assert.Equal("Re: Lunch on Friday?", inBobsInbox.Summary.Subject);
            Assert.Contains("Alice Liddell", inBobsInbox.Summary.From);
            using (var raw = new StreamReader(bob.OpenMessage("INBOX", inBobsInbox.Uid)))
            {
                string text = await raw.ReadToEndAsync();
                Assert.Contains("In-Reply-To: <lunch-1@example.org>", text);
                Assert.Contains("DKIM-Signature:", text);
            }

            // The original is marked answered; file it in Archive by the menu, then delete it to Trash.
            await page.GetByTestId("folder").Filter(new() { HasText = "INBOX" }).ClickAsync();
            row = page.GetByTestId("message").Filter(new() { HasText = "Lunch on Friday?" });
            await Assertions.Expect(row).ToContainTextAsync("↩");
            await row.GetByRole(AriaRole.Checkbox).CheckAsync();
            await page.GetByTestId("move-to").SelectOptionAsync(new SelectOptionValue { Label = "Archive" });
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("1 message moved to Archive.");
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(0);

            await page.GetByTestId("folder").Filter(new() { HasText = "Archive" }).ClickAsync();
            row = page.GetByTestId("message").Filter(new() { HasText = "Lunch on Friday?" });
            await row.GetByRole(AriaRole.Checkbox).CheckAsync();
            await page.GetByTestId("delete").ClickAsync();
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(0);

            // Search all folders: the original (now in Trash) and the reply (in Sent).
            await page.GetByTestId("search").FillAsync("Lunch");
            await page.GetByText("More").ClickAsync();
            await page.GetByTestId("search-all").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Search", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(2);
            await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "Trash" })).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "Sent" })).ToHaveCountAsync(1);

            // Empty Trash.
            await page.GetByRole(AriaRole.Button, new() { Name = "Clear" }).ClickAsync();
            await page.GetByTestId("folder").Filter(new() { HasText = "Trash" }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(1);
            await page.GetByTestId("empty-trash").ClickAsync();
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("Trash emptied (1 message).");
        });
    }

    [Fact]
    public async Task A_message_full_of_xss_runs_nothing_and_requests_nothing_from_elsewhere()
    {
        await using var web = await StartWithUsersAsync();
        var smtp = web.Host.Endpoints[ListenerKind.Smtp];
        await using var browser = await Browser.LaunchAsync();
        var dialogs = new List<string>();
        var console = new List<string>();
        var foreign = new List<string>();
        string origin = web.Https.GetLeftPart(UriPartial.Authority);
        browser.Page.Dialog += (_, dialog) => { dialogs.Add(dialog.Message); _ = dialog.DismissAsync(); };
        browser.Page.Console += (_, message) => console.Add(message.Text);
        browser.Context.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(origin, StringComparison.Ordinal) && !request.Url.StartsWith("data:", StringComparison.Ordinal)
                && !request.Url.StartsWith("about:", StringComparison.Ordinal))
                foreign.Add(request.Url);
        };

        string html = string.Join("\n",
            "<p class=hello>Hello from the attacker</p>",
            "<script>alert('XSS-script');console.log('XSS-MARKER')</script>",
            "<img src=x onerror=\"alert('XSS-onerror');console.log('XSS-MARKER')\">",
            "<svg><animate onbegin=\"alert('XSS-svg')\" attributeName=x dur=1s></svg>",
            "<a href=\"javascript:alert('XSS-link')\">click</a>",
            "<iframe src=\"javascript:alert('XSS-iframe')\"></iframe>",
            "<img src=\"http://127.0.0.2:9/tracker.gif\">",
            "<div style=\"background:url(http://127.0.0.2:9/bg.png)\">styled</div>",
            "<link rel=stylesheet href=\"http://127.0.0.2:9/x.css\">",
            "<form action=\"http://127.0.0.2:9/steal\"><input name=p><button>go</button></form>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert('XSS-mxss')></style></mglyph></table></mtext></math>",
            "<body onload=\"alert('XSS-body')\">");
        await SmtpSender.SendAsync(smtp, "mallory@elsewhere.example", "alice@example.org",
            "From: Mallory <mallory@elsewhere.example>\nTo: alice@example.org\nSubject: Invoice <script>alert(1)</script>\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n" + html + "\n");

        await browser.StepsAsync(nameof(A_message_full_of_xss_runs_nothing_and_requests_nothing_from_elsewhere), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "alice@example.org", "correct horse");
            await Assertions.Expect(page.Locator(".webmail[data-live=true]")).ToHaveCountAsync(1);
            var row = page.GetByTestId("message").Filter(new() { HasText = "Invoice" });
            await row.ClickAsync();
            // The subject is text, not markup.
            await Assertions.Expect(page.GetByTestId("subject")).ToHaveTextAsync("Invoice <script>alert(1)</script>");
            await Assertions.Expect(page.GetByTestId("remote-blocked")).ToBeVisibleAsync();
            var frame = page.FrameLocator("[data-testid=body-frame]");
            await Assertions.Expect(frame.GetByText("Hello from the attacker")).ToBeVisibleAsync();
            await Assertions.Expect(frame.Locator("text=styled")).ToBeVisibleAsync();
            // The frame's own document has no script, form, svg, iframe or link left.
            Assert.Equal(0, await frame.Locator("script, form, svg, iframe, link, [onerror], [onload]").CountAsync());
            Assert.Equal(0, await frame.Locator("a[href^='javascript']").CountAsync());
            Assert.Empty(dialogs);
            Assert.DoesNotContain(console, line => line.Contains("XSS-MARKER", StringComparison.Ordinal));
            Assert.Empty(foreign);

            // Only when the user asks does the tracker image load (and still no script runs).
            var tracker = page.WaitForRequestAsync("http://127.0.0.2:9/tracker.gif");
            await page.GetByTestId("load-remote").ClickAsync();
            await tracker;
            await Assertions.Expect(frame.GetByText("Hello from the attacker")).ToBeVisibleAsync();
        });
        Assert.Empty(dialogs);
        Assert.DoesNotContain(console, line => line.Contains("XSS-MARKER", StringComparison.Ordinal));
        Assert.Equal(["http://127.0.0.2:9/tracker.gif"], foreign.Distinct());
    }

    [Fact]
    public async Task Settings_give_a_signature_to_new_mail_and_a_vacation_reply_answers_the_sender()
    {
        await using var web = await StartWithUsersAsync();
        var bob = await AccountAsync(web, "bob@example.org");
        await using var browser = await Browser.LaunchAsync();

        await browser.StepsAsync(nameof(Settings_give_a_signature_to_new_mail_and_a_vacation_reply_answers_the_sender), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "alice@example.org", "correct horse");
            await page.GetByRole(AriaRole.Link, new() { Name = "Settings", Exact = true }).ClickAsync();
            await Assertions.Expect(page.GetByTestId("settings-name")).ToHaveValueAsync("Alice Liddell");
            await page.GetByTestId("settings-signature").FillAsync("Alice\nWonderland Ltd.");
            await page.GetByTestId("vacation-on").CheckAsync();
            await page.GetByTestId("settings-save").ClickAsync();
            // A reply turned on without a text is refused next to the field, and nothing is saved.
            await Assertions.Expect(page.GetByTestId("field-error")).ToHaveTextAsync(new Regex("text"));
            await Assertions.Expect(page.GetByTestId("settings-saved")).ToHaveCountAsync(0);
            await page.GetByTestId("vacation-subject").FillAsync("Away until Monday");
            await page.GetByTestId("vacation-text").FillAsync("I am away and will answer on Monday.");
            await page.GetByTestId("settings-save").ClickAsync();
            await Assertions.Expect(page.GetByTestId("settings-saved")).ToBeVisibleAsync();

            await page.GotoAsync(new Uri(web.Https, "/mail/compose").ToString());
            await Assertions.Expect(page.GetByTestId("compose-body")).ToHaveValueAsync(new Regex("^\\s*-- \\r?\\nAlice\\r?\\nWonderland Ltd\\.\\s*$"));
        });

        using var arrived = bob.Subscribe();
        await SmtpSender.SendAsync(web.Host.Endpoints[ListenerKind.Smtp], "bob@example.org", "alice@example.org",
            "From: bob@example.org\nTo: alice@example.org\nSubject: Are you there?\nMessage-ID: <q-1@example.org>\n\nHello?\n");
        Assert.IsType<MessageAdded>(await arrived.Changes.ReadAsync().AsTask().WaitAsync(AdminWebHost.Guard));
        var reply = bob.ListNewest("INBOX", 0, 10).Messages.Single();
        Assert.Equal("Away until Monday", reply.Summary.Subject);
        using var raw = new StreamReader(bob.OpenMessage("INBOX", reply.Uid));
        string text = await raw.ReadToEndAsync();
        Assert.Contains("Auto-Submitted: auto-replied", text);
        Assert.Contains("I am away and will answer on Monday.", text);
    }

    [Fact]
    public async Task The_list_works_from_the_keyboard_and_fits_a_phone_screen()
    {
        await using var web = await StartWithUsersAsync();
        var smtp = web.Host.Endpoints[ListenerKind.Smtp];
        foreach (string subject in new[] { "First", "Second", "Third" })
            await SmtpSender.SendAsync(smtp, "bob@example.org", "alice@example.org", $"From: bob@example.org\nTo: alice@example.org\nSubject: {subject}\n\nBody of {subject}\n");
        await using var browser = await Browser.LaunchAsync();
        await browser.Page.SetViewportSizeAsync(390, 844);

        await browser.StepsAsync(nameof(The_list_works_from_the_keyboard_and_fits_a_phone_screen), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "alice@example.org", "correct horse");
            await Assertions.Expect(page.Locator(".webmail[data-live=true]")).ToHaveCountAsync(1);
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(3);
            // Nothing is wider than the phone's screen.
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth + 1"));

            await page.GetByTestId("messages").FocusAsync();
            await page.Keyboard.PressAsync("ArrowDown");
            await Assertions.Expect(page.GetByTestId("subject")).ToHaveTextAsync("Third");
            await page.Keyboard.PressAsync("ArrowDown");
            await Assertions.Expect(page.GetByTestId("subject")).ToHaveTextAsync("Second");
            await page.Keyboard.PressAsync("ArrowUp");
            await Assertions.Expect(page.GetByTestId("subject")).ToHaveTextAsync("Third");
            await page.Keyboard.PressAsync("Delete");
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(2);
            await Assertions.Expect(page.GetByTestId("message").Filter(new() { HasText = "Third" })).ToHaveCountAsync(0);

            // Drag and drop a message onto a folder.
            await page.GetByTestId("message").Filter(new() { HasText = "First" }).DragToAsync(page.GetByTestId("folder").Filter(new() { HasText = "Archive" }));
            await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToHaveTextAsync("1 message moved to Archive.");
            await Assertions.Expect(page.GetByTestId("message")).ToHaveCountAsync(1);
        });
    }

    [Fact]
    public async Task A_new_message_with_an_attachment_reaches_a_local_recipient_and_a_foreign_sender_is_refused()
    {
        await using var web = await StartWithUsersAsync();
        var bob = await AccountAsync(web, "bob@example.org");
        await using var browser = await Browser.LaunchAsync();
        using var arrived = bob.Subscribe();

        await browser.StepsAsync(nameof(A_new_message_with_an_attachment_reaches_a_local_recipient_and_a_foreign_sender_is_refused), async page =>
        {
            await Browser.SignInAsync(page, web.Https, "alice@example.org", "correct horse");
            await page.GetByTestId("compose").ClickAsync();
            await Assertions.Expect(page.GetByTestId("send")).ToBeEnabledAsync();
            await page.GetByTestId("compose-to").FillAsync("Bob <bob@example.org>");
            await page.GetByTestId("compose-subject").FillAsync("The report");
            await page.GetByTestId("compose-body").FillAsync("Here it is.");
            await page.GetByTestId("compose-attach").SetInputFilesAsync(new FilePayload { Name = "report.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes("a,b\n1,2\n") });
            await Assertions.Expect(page.GetByTestId("compose-attachment")).ToContainTextAsync("report.csv");

            // A From that is not the user's own is refused before anything is sent.
            await page.GetByTestId("compose-from").FillAsync("ceo@example.org");
            await page.GetByTestId("send").ClickAsync();
            await Assertions.Expect(page.GetByTestId("compose-errors")).ToHaveTextAsync("You cannot send as ceo@example.org: that address does not deliver to alice@example.org.");
            await page.GetByTestId("compose-from").FillAsync("");
            await page.GetByTestId("send").ClickAsync();
            await Assertions.Expect(page).ToHaveURLAsync(new Regex("/mail\\?sent=1$"));
        });

        Assert.IsType<MessageAdded>(await arrived.Changes.ReadAsync().AsTask().WaitAsync(AdminWebHost.Guard));
        var message = bob.ListNewest("INBOX", 0, 10).Messages.Single();
        Assert.Equal("The report", message.Summary.Subject);
        Assert.True(message.Summary.HasAttachment);
        using var raw = new StreamReader(bob.OpenMessage("INBOX", message.Uid));
        string text = await raw.ReadToEndAsync();
        Assert.Contains("filename=\"report.csv\"", text);
        Assert.Contains("From: Alice Liddell <alice@example.org>", text);
    }
}
