using System.Text;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Appliance.Server.Webmail;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Webmail;

/// <summary>The webmail's operations on a real store and configuration database, with the queue and signer recorded.</summary>
public sealed class WebmailSessionTests : IAsyncLifetime
{
    private sealed class RecordingQueue : IOutboundQueue
    {
        public List<(OutboundEnvelope Envelope, string Message)> Queued { get; } = [];

        public async Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
        {
            using var reader = new StreamReader(message, Encoding.UTF8);
            Queued.Add((envelope, await reader.ReadToEndAsync(cancellationToken)));
            return "Q" + Queued.Count;
        }
    }

    private sealed class FakeSigner : IOutboundSigner
    {
        public Task<string?> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
            Task.FromResult<string?>("DKIM-Signature: v=1; test\r\n");
    }

    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-webmail-tests", Guid.NewGuid().ToString("N"));
    private readonly RecordingQueue _queue = new();
    private ServiceProvider _services = null!;
    private WebmailSession _alice = null!;
    private MailAccount _account = null!;

    public async Task InitializeAsync()
    {
        var options = new ApplianceOptions { DataDirectory = _data, Hostname = "mail.example.org" };
        var services = new ServiceCollection();
        services.AddApplianceServices(options);
        services.AddSingleton<IDnsResolver>(new FakeDnsResolver());
        services.AddSingleton<IOutboundQueue>(_queue);
        services.AddSingleton<IOutboundSigner>(new FakeSigner());
        services.AddWebmail();
        _services = services.BuildServiceProvider();
        await _services.InitializeApplianceAsync();
        var accounts = _services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var alice = await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", "correct horse") { DisplayName = "Alice" }, "test");
        await accounts.AddMailboxAsync(new NewMailbox("bob@example.org", "correct horse"), "test");
        await accounts.AddAliasAsync("sales@example.org", ["alice@example.org"], "test");
        var user = await _services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync("alice@example.org", "correct horse");
        _alice = (await _services.GetRequiredService<WebmailSessions>().OpenAsync(user!.MailboxId))!;
        _account = _services.GetRequiredService<MessageStore>().OpenAccount(alice.StoreId);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<uint> DeliverAsync(string folder, string from, string subject, string body = "Hello.", DateTimeOffset? when = null, string extraHeaders = "")
    {
        string message = $"From: {from}\r\nTo: Alice <alice@example.org>\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.net>\r\n{extraHeaders}\r\n{body}\r\n";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(message));
        return (await _account.AppendAsync(folder, stream, internalDate: when)).Uid;
    }

    [Fact]
    public void Folders_come_inbox_first_then_the_special_ones_then_the_users_by_name()
    {
        _alice.CreateFolder("Zeta");
        _alice.CreateFolder("alpha");
        Assert.Equal(["INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash", "alpha", "Zeta"], _alice.ListFolders().Select(f => f.Name));
    }

    [Fact]
    public void System_folders_cannot_be_renamed_or_deleted_and_errors_are_sentences()
    {
        Assert.Equal("INBOX is a system folder and cannot be renamed.", Assert.Throws<WebmailException>(() => _alice.RenameFolder("INBOX", "Old")).Message);
        Assert.Equal("Trash is a system folder and cannot be deleted.", Assert.Throws<WebmailException>(() => _alice.DeleteFolder("Trash")).Message);
        _alice.CreateFolder("Projects");
        Assert.Equal("A folder with that name exists already.", Assert.Throws<WebmailException>(() => _alice.CreateFolder("Projects")).Message);
        _alice.RenameFolder("Projects", "Work");
        Assert.Contains(_alice.ListFolders(), f => f.Name == "Work");
        _alice.DeleteFolder("Work");
        Assert.DoesNotContain(_alice.ListFolders(), f => f.Name == "Work");
        Assert.Equal("That folder does not exist (any more).", Assert.Throws<WebmailException>(() => _alice.FolderName(9999)).Message);
    }

    [Fact]
    public async Task The_list_sorts_by_each_key_and_pages_without_repeating()
    {
        var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        await DeliverAsync("INBOX", "carol@example.net", "b subject", "x", start);
        await DeliverAsync("INBOX", "Alan <alan@example.net>", "C subject", new string('x', 5000), start.AddDays(1));
        await DeliverAsync("INBOX", "bea@example.net", "a subject", "xx", start.AddDays(2));

        Assert.Equal(["a subject", "C subject", "b subject"], Subjects(_alice.ListMessages("INBOX", MessageSortKey.Date, true, 0, 10)));
        Assert.Equal(["b subject", "C subject", "a subject"], Subjects(_alice.ListMessages("INBOX", MessageSortKey.Date, false, 0, 10)));
        Assert.Equal(["a subject", "b subject", "C subject"], Subjects(_alice.ListMessages("INBOX", MessageSortKey.Subject, false, 0, 10)));
        Assert.Equal(["C subject", "a subject", "b subject"], Subjects(_alice.ListMessages("INBOX", MessageSortKey.From, false, 0, 10)));
        Assert.Equal("C subject", Subjects(_alice.ListMessages("INBOX", MessageSortKey.Size, true, 0, 10))[0]);
        var first = _alice.ListMessages("INBOX", MessageSortKey.Subject, true, 0, 2);
        var second = _alice.ListMessages("INBOX", MessageSortKey.Subject, true, 2, 2);
        Assert.Equal(3, first.Total);
        Assert.Equal(["C subject", "b subject", "a subject"], Subjects(first).Concat(Subjects(second)));

        static List<string> Subjects(MessagePage page) => page.Messages.Select(m => m.Summary.Subject).ToList();
    }

    [Fact]
    public async Task Search_finds_by_sender_subject_text_date_and_attachment_in_one_folder_or_all()
    {
        var start = new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);
        await DeliverAsync("INBOX", "Carol <carol@example.net>", "Quarterly report", "The numbers for Q3 are in.", start);
        await DeliverAsync("Archive", "dan@example.net", "Old quarterly report", "Q2 numbers, 100% final_draft", start.AddDays(-30));
        await DeliverAsync("INBOX", "erin@example.net", "Holiday", "See attached.", start.AddDays(1),
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n");

        Assert.Equal(["Quarterly report"], Found(_alice.Search("INBOX", new MessageQuery(Subject: "quarterly"), 10)));
        Assert.Equal(["Quarterly report", "Old quarterly report"], Found(_alice.Search(null, new MessageQuery(Subject: "quarterly"), 10)));
        Assert.Equal(["Quarterly report"], Found(_alice.Search(null, new MessageQuery(From: "CAROL"), 10)));
        Assert.Equal(["Old quarterly report"], Found(_alice.Search(null, new MessageQuery(Text: "Q2 numbers"), 10)));
        // LIKE's wildcards in the user's text are literal characters.
        Assert.Empty(Found(_alice.Search(null, new MessageQuery(Subject: "%"), 10)));
        Assert.Equal(["Old quarterly report"], Found(_alice.Search(null, new MessageQuery(Text: "100%"), 10)));
        Assert.Equal(["Old quarterly report"], Found(_alice.Search(null, new MessageQuery(Before: start.AddDays(-1)), 10)));
        Assert.Equal(["Holiday", "Quarterly report"], Found(_alice.Search(null, new MessageQuery(Since: start), 10)));
        var truncated = _alice.Search(null, new MessageQuery(Since: start.AddDays(-60)), 2);
        Assert.True(truncated.Truncated);
        Assert.Equal(2, truncated.Messages.Count);
        Assert.Equal("Archive", _alice.Search(null, new MessageQuery(Text: "Q2"), 10).Messages.Single().Mailbox);

        static List<string> Found(FoundMessages found) => found.Messages.Select(m => m.Message.Summary.Subject).ToList();
    }

    [Fact]
    public async Task Reading_decodes_the_header_marks_seen_and_lists_attachments_with_cid_images_inlined()
    {
        byte[] png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");
        string message = "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.net>\r\nTo: alice@example.org\r\nCc: bob@example.org\r\nSubject: =?utf-8?q?Caf=C3=A9?=\r\n" +
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=outer\r\n\r\n" +
            "--outer\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n" +
            "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Look: <img src=\"cid:logo@example.net\"></p>\r\n" +
            "--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@example.net>\r\nContent-Transfer-Encoding: base64\r\n\r\n" + Convert.ToBase64String(png) + "\r\n--rel--\r\n" +
            "--outer\r\nContent-Type: application/pdf; name=report.pdf\r\nContent-Disposition: attachment; filename=report.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            Convert.ToBase64String(Encoding.ASCII.GetBytes("%PDF-1.4 fake")) + "\r\n--outer--\r\n";
        uint uid;
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(message)))
            uid = (await _account.AppendAsync("INBOX", stream)).Uid;

        var read = _alice.Read("INBOX", uid);
        Assert.Equal("Café", read.Subject);
        Assert.Equal("Zoë", read.From.Single().DisplayName);
        Assert.Equal("bob@example.org", read.Cc.Single().Address);
        Assert.Contains($"src=\"data:image/png;base64,{Convert.ToBase64String(png)}\"", read.HtmlBody);
        var attachment = Assert.Single(read.Attachments);
        Assert.Equal(("report.pdf", "application/pdf"), (attachment.FileName, attachment.MediaType));
        Assert.True(read.Flags.HasFlag(MessageFlags.Seen));
        Assert.Equal("%PDF-1.4 fake", Encoding.ASCII.GetString(_alice.ReadPart("INBOX", uid, attachment.PartNumber).Content));
        Assert.Equal("That attachment is not in the message.", Assert.Throws<WebmailException>(() => _alice.ReadPart("INBOX", uid, "9")).Message);
    }

    [Fact]
    public async Task Delete_moves_to_trash_and_deletes_for_good_only_from_trash_junk_goes_both_ways()
    {
        uint uid = await DeliverAsync("INBOX", "spam@example.net", "Win big");
        _alice.MarkJunk("INBOX", [uid], junk: true);
        var junk = _account.ListNewest("Junk", 0, 10).Messages.Single();
        _alice.MarkJunk("Junk", [junk.Uid], junk: false);
        uid = _account.ListNewest("INBOX", 0, 10).Messages.Single().Uid;

        _alice.Delete("INBOX", [uid]);
        Assert.Empty(_account.ListNewest("INBOX", 0, 10).Messages);
        var inTrash = _account.ListNewest("Trash", 0, 10).Messages.Single();
        Assert.Equal("Win big", inTrash.Summary.Subject);
        await DeliverAsync("Trash", "other@example.net", "Second");
        _alice.Delete("Trash", [inTrash.Uid]);
        Assert.Equal(["Second"], _account.ListNewest("Trash", 0, 10).Messages.Select(m => m.Summary.Subject));
        Assert.Equal(1, _alice.EmptyTrash());
        Assert.Empty(_account.ListNewest("Trash", 0, 10).Messages);
    }

    [Fact]
    public async Task Sending_queues_signed_mail_without_bcc_files_it_in_sent_with_bcc_and_marks_the_original_answered()
    {
        uint original = await DeliverAsync("INBOX", "Carol <carol@example.net>", "Plans");
        var form = _alice.Reply("INBOX", original, replyAll: false);
        Assert.Equal("\"Carol\" <carol@example.net>", form.To);
        Assert.Equal("Re: Plans", form.Subject);
        form.Bcc = "bob@example.org";
        form.Body = "Sounds good.\r\n" + form.Body;
        form.Attachments.Add(new ComposeAttachment("notes.txt", "text/plain", Encoding.UTF8.GetBytes("note")));
        uint draft = await _alice.SaveDraftAsync(form);
        Assert.Equal(draft, form.DraftUid);

        string id = await _alice.SendAsync(form);

        Assert.Equal("Q1", id);
        var (envelope, sent) = Assert.Single(_queue.Queued);
        Assert.Equal("alice@example.org", envelope.ReversePath);
        Assert.Equal(["carol@example.net", "bob@example.org"], envelope.Recipients.Select(r => r.Address));
        Assert.StartsWith("DKIM-Signature: v=1; test\r\n", sent);
        Assert.DoesNotContain("Bcc:", sent);
        Assert.Contains("From: Alice <alice@example.org>", sent);
        Assert.Contains("In-Reply-To: <", sent);
        Assert.Contains("notes.txt", sent);
        var sentCopy = _account.ListNewest("Sent", 0, 10).Messages.Single();
        Assert.True(sentCopy.Flags.HasFlag(MessageFlags.Seen));
        using (var reader = new StreamReader(_account.OpenMessage("Sent", sentCopy.Uid)))
            Assert.Contains("Bcc: bob@example.org", await reader.ReadToEndAsync());
        Assert.Empty(_account.ListNewest("Drafts", 0, 10).Messages);
        Assert.True(_account.GetMessage("INBOX", original).Flags.HasFlag(MessageFlags.Answered));
    }

    [Fact]
    public async Task An_alias_that_delivers_to_the_user_may_be_the_sender_others_may_not()
    {
        var form = new ComposeForm { From = "sales@example.org", To = "bob@example.org", Subject = "Offer", Body = "Hi" };
        await _alice.SendAsync(form);
        Assert.Contains("From: Alice <sales@example.org>", _queue.Queued.Single().Message);

        form = new ComposeForm { From = "bob@example.org", To = "carol@example.net", Subject = "Spoof", Body = "Hi" };
        var problems = await _alice.ValidateAsync(form, forSending: true);
        Assert.Equal(["You cannot send as bob@example.org: that address does not deliver to alice@example.org."], problems);
        await Assert.ThrowsAsync<WebmailException>(() => _alice.SendAsync(form));
        Assert.Single(_queue.Queued);
    }

    [Theory]
    [InlineData("Subject", "Hello\r\nBcc: victim@example.net")]
    [InlineData("To", "bob@example.org\nBcc: victim@example.net")]
    [InlineData("From", "alice@example.org\rX-Evil: 1")]
    public async Task Line_breaks_in_single_line_fields_are_refused_not_written(string field, string value)
    {
        var form = new ComposeForm { To = "bob@example.org", Subject = "Hi", Body = "text" };
        typeof(ComposeForm).GetProperty(field)!.SetValue(form, value);
        var problems = await _alice.ValidateAsync(form, forSending: true);
        Assert.Equal([$"{field} must be one line (it contains a line break)."], problems);
        await Assert.ThrowsAsync<WebmailException>(() => _alice.SendAsync(form));
        await Assert.ThrowsAsync<WebmailException>(() => _alice.SaveDraftAsync(form));
        Assert.Empty(_queue.Queued);
        Assert.Empty(_account.ListNewest("Drafts", 0, 10).Messages);
    }

    [Fact]
    public async Task Bad_addresses_and_no_recipients_are_named()
    {
        var problems = await _alice.ValidateAsync(new ComposeForm { To = "bob@example.org, not an address", Body = "x" }, forSending: true);
        Assert.Equal(["To: \"not an address\" is not an e-mail address."], problems);
        problems = await _alice.ValidateAsync(new ComposeForm { Body = "x" }, forSending: true);
        Assert.Equal(["Give at least one recipient."], problems);
        problems = await _alice.ValidateAsync(new ComposeForm { From = "nonsense", To = "bob@example.org" }, forSending: true);
        Assert.Equal(["From: \"nonsense\" is not an e-mail address."], problems);
    }

    [Fact]
    public async Task A_draft_opens_again_with_its_fields_and_attachments_and_saving_replaces_it()
    {
        var form = new ComposeForm { To = "\"Bob B\" <bob@example.org>", Cc = "carol@example.net", Bcc = "dan@example.net", Subject = "Draft one", Body = "Unfinished" };
        form.Attachments.Add(new ComposeAttachment("a.bin", "application/octet-stream", [1, 2, 3]));
        uint first = await _alice.SaveDraftAsync(form);
        form.Subject = "Draft two";
        uint second = await _alice.SaveDraftAsync(form);
        Assert.NotEqual(first, second);
        Assert.Equal(["Draft two"], _account.ListNewest("Drafts", 0, 10).Messages.Select(m => m.Summary.Subject));
        Assert.True(_account.GetMessage("Drafts", second).Flags.HasFlag(MessageFlags.Draft));

        var opened = _alice.OpenDraft(second);
        Assert.Equal(("\"Bob B\" <bob@example.org>", "carol@example.net", "dan@example.net", "Draft two"), (opened.To, opened.Cc, opened.Bcc, opened.Subject));
        Assert.Equal("Unfinished", opened.Body.TrimEnd());
        Assert.Equal(new byte[] { 1, 2, 3 }, opened.Attachments.Single().Content);
        Assert.Equal(second, opened.DraftUid);
    }

    [Fact]
    public async Task Forwarding_as_attachment_carries_the_whole_message()
    {
        uint uid = await DeliverAsync("INBOX", "carol@example.net", "Original", "Body text");
        var form = _alice.Forward("INBOX", uid, asAttachment: true);
        Assert.Equal("Fwd: Original", form.Subject);
        var attached = Assert.Single(form.Attachments);
        Assert.True(attached.IsMessage);
        Assert.Contains("Body text", Encoding.UTF8.GetString(attached.Content));
        form.To = "bob@example.org";
        await _alice.SendAsync(form);
        Assert.Contains("Content-Type: message/rfc822", _queue.Queued.Single().Message);
    }

    [Fact]
    public void Simple_rich_text_encodes_everything_the_user_typed()
    {
        Assert.Equal(
            "<div><p><b>bold</b> <i>it</i><br>&lt;script&gt;x&lt;/script&gt; <a href=\"https://e.example/?a=1&amp;b=2\">https://e.example/?a=1&amp;b=2</a></p><p>next</p></div>",
            SimpleRichText.ToHtml("*bold* _it_\n<script>x</script> https://e.example/?a=1&b=2\n\nnext"));
    }
}
