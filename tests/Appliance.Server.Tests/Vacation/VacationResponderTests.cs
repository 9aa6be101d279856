using System.Text;
using Appliance.MailAuth.Dkim;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Delivery;
using Appliance.Server.Dkim;
using Appliance.Server.Tests.Dkim;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Tests.Vacation;

/// <summary>Each rule of RFC 3834 and RFC 5230 the vacation responder applies, one test per rule, and the reply it sends.</summary>
public sealed class VacationResponderTests
{
    [Fact]
    public async Task The_reply_goes_to_the_envelope_sender_with_the_null_reverse_path_and_exact_headers()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        // From and Reply-To name others: RFC 5230 4 answers the return path only.
        byte[] message = VacationTestHost.Message("Reply-To: list-of-friends@elsewhere.example\r\n");

        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(message, sender: "bounces+friend@elsewhere.example"));

        var (_, envelope, text) = Assert.Single(host.Queue.Entries);
        Assert.Equal("", envelope.ReversePath);
        Assert.Equal("bounces+friend@elsewhere.example", Assert.Single(envelope.Recipients).Address);
        Assert.Equal("vacation alice@example.org", envelope.Origin);
        Assert.False(envelope.RequiresSmtpUtf8);

        var header = HeaderBlock.Parse(Encoding.UTF8.GetBytes(text));
        Assert.Equal("DKIM-Signature", header[0].Name);
        Assert.Equal("Sat, 21 Nov 2026 12:00:00 +0000", header.Get("Date")!.Value);
        Assert.Equal("Alice Liddell <alice@example.org>", header.Get("From")!.Value);
        Assert.Equal("bounces+friend@elsewhere.example", header.Get("To")!.Value);
        Assert.Null(header.Get("Cc"));
        Assert.Equal("Auto: Lunch on Friday?", header.Get("Subject")!.Value);
        Assert.Equal("<lunch-2@elsewhere.example>", header.Get("In-Reply-To")!.Value);
        Assert.Equal("<lunch-1@elsewhere.example> <lunch-2@elsewhere.example>", header.Get("References")!.Value);
        Assert.Equal("auto-replied", header.Get("Auto-Submitted")!.Value);
        Assert.Matches(@"^<[a-z2-7]{24}@example\.org>$", header.Get("Message-ID")!.Value);
        Assert.Equal("text/plain; charset=utf-8", header.Get("Content-Type")!.Value);
        Assert.EndsWith("\r\n\r\nI am away until Monday.\r\nYour mail will be read then.\r\n", text);
    }

    /// <summary>With vacation on, the message gets <paramref name="expected"/> and nothing is queued.</summary>
    private static async Task AssertNoReplyAsync(VacationOutcome expected, byte[] message, string sender = VacationTestHost.Friend)
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        Assert.Equal(expected, await host.RespondAsync(message, sender));
        Assert.Empty(host.Queue.Entries);
    }

    [Fact]
    public async Task The_subject_from_the_settings_replaces_the_automatic_one()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync(subject: "Out of the office");
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));
        var header = HeaderBlock.Parse(Encoding.UTF8.GetBytes(Assert.Single(host.Queue.Entries).Message));
        Assert.Equal("Out of the office", header.Get("Subject")!.Value);
    }

    [Fact]
    public async Task Non_ASCII_text_is_encoded_and_a_UTF8_sender_needs_SMTPUTF8()
    {
        await using var host = await VacationTestHost.StartAsync();
        var saved = await host.Settings.UpdateAsync(VacationTestHost.Alice, new UserSettingsUpdate("Zoë Liddell", "",
            new VacationSettings(true, null, null, "Abwesend – zurück am Montag", "Grüße aus dem Urlaub.\n")));
        Assert.True(saved.Succeeded);

        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message(), sender: "jörg@bücher.example"));

        var (_, envelope, text) = Assert.Single(host.Queue.Entries);
        Assert.True(envelope.RequiresSmtpUtf8);
        Assert.Equal("jörg@bücher.example", Assert.Single(envelope.Recipients).Address);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        MimeEntity reply = MimeParser.Parse(bytes);
        Assert.Equal("Abwesend – zurück am Montag", reply.Header.Get("Subject")!.DecodeText());
        Assert.Equal("Zoë Liddell", Assert.Single(MailboxAddress.ParseList(reply.Header.Get("From")!.Value)).DisplayName);
        using var raw = new MemoryStream(bytes);
        Assert.Equal("Grüße aus dem Urlaub.\r\n", MessageParts.FindDisplayBody(reply, allowHtml: false)!.ReadText(raw));
    }

    [Fact]
    public async Task The_reply_carries_a_DKIM_signature_of_our_domain_that_verifies()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));

        byte[] reply = Encoding.UTF8.GetBytes(Assert.Single(host.Queue.Entries).Message);
        var key = (await host.Keys.GetActiveKeyAsync("example.org"))!;
        var result = Assert.Single(await new DkimVerifier(DkimTestHost.Dns(key)).VerifyAsync(reply));
        Assert.True(result.Verdict == DkimVerdict.Pass, result.Reason);
        Assert.Contains("d=example.org;", HeaderBlock.Parse(reply).Get("DKIM-Signature")!.Value);
    }

    [Fact]
    public async Task The_null_sender_gets_no_reply()
    {
        await AssertNoReplyAsync(VacationOutcome.NullSender, VacationTestHost.Message(), sender: "");
    }

    [Theory]
    [InlineData("MAILER-DAEMON@elsewhere.example")]
    [InlineData("mailer-daemon@elsewhere.example")]
    [InlineData("owner-friends@lists.example")]
    [InlineData("friends-request@lists.example")]
    [InlineData("LISTSERV@lists.example")]
    [InlineData("majordomo@lists.example")]
    public async Task Automated_senders_get_no_reply(string sender)
    {
        await AssertNoReplyAsync(VacationOutcome.AutomatedSender, VacationTestHost.Message(), sender);
    }

    [Fact]
    public async Task A_sender_longer_than_any_address_gets_no_reply()
    {
        await AssertNoReplyAsync(VacationOutcome.UnusableSender, VacationTestHost.Message(), sender: new string('x', 320) + "@elsewhere.example");
    }

    [Theory]
    [InlineData("auto-generated")]
    [InlineData("auto-replied")]
    [InlineData("Auto-Notified; owner-email=\"x@elsewhere.example\"")]
    [InlineData("yes")]
    public async Task Auto_submitted_mail_gets_no_reply(string value)
    {
        await AssertNoReplyAsync(VacationOutcome.AutoSubmitted, VacationTestHost.Message($"Auto-Submitted: {value}\r\n"));
    }

    [Theory]
    [InlineData("no")]
    [InlineData("No (sent by a person)")]
    public async Task Auto_submitted_no_is_answered(string value)
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message($"Auto-Submitted: {value}\r\n")));
        Assert.Single(host.Queue.Entries);
    }

    [Theory]
    [InlineData("List-Id: Friends <friends.lists.example>")]
    [InlineData("List-Unsubscribe: <mailto:friends-leave@lists.example>")]
    [InlineData("List-Post: <mailto:friends@lists.example>")]
    [InlineData("list-help: <mailto:friends-help@lists.example>")]
    public async Task Mailing_list_mail_gets_no_reply(string field)
    {
        await AssertNoReplyAsync(VacationOutcome.MailingList, VacationTestHost.Message(field + "\r\n"));
    }

    [Theory]
    [InlineData("bulk")]
    [InlineData("junk")]
    [InlineData("List")]
    [InlineData(" bulk (newsletter)")]
    public async Task Bulk_precedence_gets_no_reply(string precedence)
    {
        await AssertNoReplyAsync(VacationOutcome.BulkPrecedence, VacationTestHost.Message($"Precedence: {precedence}\r\n"));
    }

    [Theory]
    [InlineData("friends@lists.example")]
    [InlineData("bob@example.org")]
    [InlineData("undisclosed-recipients:;")]
    public async Task Mail_not_addressed_to_the_user_gets_no_reply(string to)
    {
        await AssertNoReplyAsync(VacationOutcome.NotAddressedToUser, VacationTestHost.Message(to: to));
    }

    [Theory]
    [InlineData("Cc: Alice <ALICE@Example.org>\r\n", "friends@lists.example", "alice@example.org")]        // in Cc, any case
    [InlineData("", "Alice <alice+lunch@example.org>", "alice+lunch@example.org")]                       // plus-addressed
    [InlineData("", "The team <team@example.org>", "team@example.org")]                                  // an alias leading to her
    [InlineData("Resent-To: alice@example.org\r\n", "friends@lists.example", "alice@example.org")]      // resent to her
    public async Task Mail_addressed_to_one_of_the_users_addresses_is_answered(string extra, string to, string envelopeRecipient)
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message(extra, to), envelopeRecipient: envelopeRecipient));
        Assert.Single(host.Queue.Entries);
    }

    [Theory]
    [InlineData("alice@example.org")]
    [InlineData("Alice+self@Example.org")]
    public async Task The_user_never_gets_a_reply_to_their_own_mail(string sender)
    {
        await AssertNoReplyAsync(VacationOutcome.OwnAddress, VacationTestHost.Message(), sender);
    }

    [Fact]
    public async Task Without_vacation_on_nothing_is_sent()
    {
        await using var host = await VacationTestHost.StartAsync();
        Assert.Equal(VacationOutcome.NotEnabled, await host.RespondAsync(VacationTestHost.Message()));
        await host.EnableVacationAsync();
        var off = await host.Settings.UpdateAsync(VacationTestHost.Alice, new UserSettingsUpdate("Alice Liddell", "", VacationSettings.Off));
        Assert.True(off.Succeeded);
        Assert.Equal(VacationOutcome.NotEnabled, await host.RespondAsync(VacationTestHost.Message()));
        Assert.Empty(host.Queue.Entries);
    }

    [Fact]
    public async Task One_reply_per_sender_per_interval_then_again_once_it_has_passed()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync(days: 3);
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));

        host.Time.Advance(TimeSpan.FromDays(3) - TimeSpan.FromSeconds(1));
        Assert.Equal(VacationOutcome.AlreadyReplied, await host.RespondAsync(VacationTestHost.Message()));
        Assert.Equal(VacationOutcome.AlreadyReplied, await host.RespondAsync(VacationTestHost.Message(), sender: "FRIEND@elsewhere.example"));
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message(), sender: "other@elsewhere.example"));
        Assert.Equal(2, host.Queue.Entries.Count);

        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));
        Assert.Equal(3, host.Queue.Entries.Count);
        Assert.Equal([VacationTestHost.Friend, "other@elsewhere.example", VacationTestHost.Friend],
            host.Queue.Entries.Select(e => Assert.Single(e.Envelope.Recipients).Address));

        // The expired row was replaced, not kept beside the new one.
        await using var db = host.CreateDb();
        Assert.Equal(2, await db.VacationReplies.CountAsync());
    }

    [Fact]
    public async Task Two_messages_from_one_sender_at_the_same_moment_get_one_reply()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.RespondAsync(VacationTestHost.Message())));
        Assert.Equal([VacationOutcome.Replied, VacationOutcome.AlreadyReplied, VacationOutcome.AlreadyReplied, VacationOutcome.AlreadyReplied], outcomes.Order());
        Assert.Single(host.Queue.Entries);
    }

    [Fact]
    public async Task A_new_reply_text_starts_the_tracking_over()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));
        await host.EnableVacationAsync(subject: "Back on Tuesday now");
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));
        await host.EnableVacationAsync(subject: "Back on Tuesday now"); // unchanged: still remembered
        Assert.Equal(VacationOutcome.AlreadyReplied, await host.RespondAsync(VacationTestHost.Message()));
        Assert.Equal(2, host.Queue.Entries.Count);
    }

    [Fact]
    public async Task Replies_are_sent_only_from_the_first_to_the_last_day_inclusive_in_UTC()
    {
        await using var host = await VacationTestHost.StartAsync();
        var saturday = DateOnly.FromDateTime(VacationTestHost.Start.UtcDateTime);
        await host.EnableVacationAsync(start: saturday.AddDays(1), end: saturday.AddDays(1));

        Assert.Equal(VacationOutcome.OutsideDates, await host.RespondAsync(VacationTestHost.Message()));
        host.Time.Advance(TimeSpan.FromHours(12)); // Sunday 00:00 UTC: the first day has begun
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));
        host.Time.Advance(TimeSpan.FromDays(1) - TimeSpan.FromTicks(1)); // the last moment of the last day
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message(), sender: "other@elsewhere.example"));
        host.Time.Advance(TimeSpan.FromTicks(1)); // Monday: over
        Assert.Equal(VacationOutcome.OutsideDates, await host.RespondAsync(VacationTestHost.Message(), sender: "third@elsewhere.example"));
        Assert.Equal(2, host.Queue.Entries.Count);
    }

    [Fact]
    public async Task Local_delivery_answers_INBOX_copies_but_not_Junk_ones()
    {
        await using var host = await VacationTestHost.StartAsync();
        await host.EnableVacationAsync();

        var junk = await host.Delivery.DeliverAsync(new LocalDeliveryRequest(VacationTestHost.Friend, [VacationTestHost.Alice], null,
            () => new MemoryStream(VacationTestHost.Message()), Folder: "Junk"));
        Assert.Equal(LocalDeliveryStatus.Delivered, Assert.Single(junk).Status);
        await host.Responder.WhenIdleAsync();
        Assert.Empty(host.Queue.Entries);

        var inbox = await host.Delivery.DeliverAsync(VacationTestHost.Friend, ["team@example.org"], new MemoryStream(VacationTestHost.Message(to: "team@example.org")));
        Assert.Equal(LocalDeliveryStatus.Delivered, Assert.Single(inbox).Status);
        await host.Responder.WhenIdleAsync();
        var (_, envelope, _) = Assert.Single(host.Queue.Entries);
        Assert.Equal("", envelope.ReversePath);
        Assert.Equal(VacationTestHost.Friend, Assert.Single(envelope.Recipients).Address);
    }

    [Fact]
    public async Task A_queue_failure_never_fails_the_delivery_and_leaves_the_sender_unanswered_for_next_time()
    {
        var failing = new FailingQueue();
        await using var host = await VacationTestHost.StartAsync(failing);
        await host.EnableVacationAsync();

        var results = await host.Delivery.DeliverAsync(VacationTestHost.Friend, [VacationTestHost.Alice], new MemoryStream(VacationTestHost.Message()));
        Assert.Equal(LocalDeliveryStatus.Delivered, Assert.Single(results).Status);
        await host.Responder.WhenIdleAsync();
        Assert.Equal(1, failing.Attempts);

        // The claim was released: the next message tries again instead of counting as answered.
        Assert.Equal(VacationOutcome.Failed, await host.RespondAsync(VacationTestHost.Message()));
        Assert.Equal(2, failing.Attempts);
        await using var db = host.CreateDb();
        Assert.Equal(0, await db.VacationReplies.CountAsync());
    }

    [Fact]
    public async Task Stopping_waits_for_a_reply_in_progress()
    {
        var gated = new GatedQueue();
        await using var host = await VacationTestHost.StartAsync(gated);
        await host.EnableVacationAsync();
        await host.Delivery.DeliverAsync(VacationTestHost.Friend, [VacationTestHost.Alice], new MemoryStream(VacationTestHost.Message()));
        await gated.Entered.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Task stopping = host.Services.DisposeAsync().AsTask();
        Assert.False(stopping.IsCompleted);
        gated.Open();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(VacationTestHost.Friend, Assert.Single(Assert.Single(gated.Inner.Entries).Envelope.Recipients).Address);
    }
}
