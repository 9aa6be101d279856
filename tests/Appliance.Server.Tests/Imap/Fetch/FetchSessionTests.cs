using System.Text;
using Appliance.Server.Tests.Imap.Selected;
using Appliance.Storage.Mail;
using static Appliance.Server.Tests.Imap.Fetch.FetchTestSupport;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>
/// FETCH in a session: streaming a large message, another session's expunge (RFC 9051 7.1
/// EXPUNGEISSUED, 7.4.1), CHANGEDSINCE and VANISHED (RFC 7162 3.1.4.1, 3.2.6), split input and
/// hostile arguments.
/// </summary>
public sealed class FetchSessionTests
{
    [Fact]
    public async Task A_three_megabyte_message_is_streamed_intact()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var body = new StringBuilder();
        for (int i = 0; body.Length < 3 * 1024 * 1024; i++)
            body.Append("line ").Append(i).Append(" 0123456789abcdefghijklmnopqrstuvwxyz\r\n");
        string message = "Subject: large\r\n\r\n" + body;
        await server.AppendAsync(message);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await client.Raw.SendAsync("a FETCH 1 (RFC822.SIZE BODY.PEEK[])\r\n");
        Assert.Equal($"* 1 FETCH (RFC822.SIZE {message.Length} BODY[] {{{message.Length}}}", await client.ReadLineAsync());
        Assert.Equal(Encoding.ASCII.GetBytes(message), await ReadOctetsAsync(client, message.Length));
        Assert.Equal(")", await client.ReadLineAsync());
        Assert.Equal("a OK FETCH completed", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Another_sessions_expunge_is_skipped_with_expungeissued_and_told_at_the_next_noop()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        var c = await server.AppendAsync(ImapStoreTestServer.Message("c"));
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        var d = await server.AppendAsync(ImapStoreTestServer.Message("d"));
        server.AliceAccount.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");

        // RFC 9051 7.4.1: no EXPUNGE during FETCH; the new message may be announced.
        Assert.Equal(
        [
            "* 1 FETCH (FLAGS ())",
            "* 3 FETCH (FLAGS ())",
            $"* 2 FETCH (UID {b} FLAGS (\\Deleted))",
            "* 4 EXISTS",
            "f NO [EXPUNGEISSUED] Some of the requested messages were expunged by another session",
        ], await client.CommandAsync("f", "FETCH 1:3 FLAGS"));
        Assert.Equal(["* 2 EXPUNGE", "n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        Assert.Equal([$"* 1 FETCH (UID {a})", $"* 2 FETCH (UID {c})", $"* 3 FETCH (UID {d})", "g OK FETCH completed"],
            await client.CommandAsync("g", "FETCH 1:* UID"));
    }

    [Fact]
    public async Task Changedsince_returns_only_messages_changed_after_the_modseq_with_their_modseq()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        await server.AppendAsync(ImapStoreTestServer.Message("c"));
        var before = server.AliceAccount.GetMailbox("INBOX").HighestModSeq;
        var stored = server.AliceAccount.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Flagged);
        var modSeq = stored.Updated[0].ModSeq;
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal([$"* 2 FETCH (FLAGS (\\Flagged) MODSEQ ({modSeq}))", "a OK FETCH completed"],
            await client.CommandAsync("a", $"FETCH 1:* (FLAGS) (CHANGEDSINCE {before})"));
        Assert.Equal([$"* 2 FETCH (UID {b} MODSEQ ({modSeq}))", "b OK UID FETCH completed"],
            await client.CommandAsync("b", $"UID FETCH {a}:* (UID) (CHANGEDSINCE {before})"));
        Assert.Equal(["c OK FETCH completed"], await client.CommandAsync("c", $"FETCH 1:* (FLAGS) (CHANGEDSINCE {modSeq})"));
        // Without QRESYNC enabled VANISHED is a client error (RFC 7162 3.2.6).
        Assert.Equal(["d BAD VANISHED needs ENABLE QRESYNC first"], await client.CommandAsync("d", $"UID FETCH 1:* FLAGS (CHANGEDSINCE {before} VANISHED)"));
    }

    [Fact]
    public async Task Vanished_earlier_lists_the_uids_expunged_since_the_modseq()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uids = new List<uint>();
        for (int i = 0; i < 5; i++)
            uids.Add(await server.AppendAsync(ImapStoreTestServer.Message("m" + i)));
        var before = server.AliceAccount.GetMailbox("INBOX").HighestModSeq;
        server.AliceAccount.StoreFlags("INBOX", [uids[1], uids[3]], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");
        var flagged = server.AliceAccount.StoreFlags("INBOX", [uids[2]], FlagOperation.Add, MessageFlags.Flagged).Updated[0].ModSeq;
        using var client = await server.LoginAsync();
        await client.EnableQResyncAsync();
        await SelectAsync(client);

        Assert.Equal(
        [
            $"* VANISHED (EARLIER) {uids[1]},{uids[3]}",
            $"* 2 FETCH (UID {uids[2]} FLAGS (\\Flagged) MODSEQ ({flagged}))",
            "a OK UID FETCH completed",
        ], await client.CommandAsync("a", $"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before} VANISHED)"));
        // Only UIDs of the set are reported.
        Assert.Equal([$"* VANISHED (EARLIER) {uids[3]}", "b OK UID FETCH completed"],
            await client.CommandAsync("b", $"UID FETCH {uids[3]}:{uids[4]} (FLAGS) (CHANGEDSINCE {before} VANISHED)"));

        // An expunge this session has not been told of yet is reported once, as VANISHED at the completion.
        server.AliceAccount.StoreFlags("INBOX", [uids[0]], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");
        var lines = await client.CommandAsync("c", $"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {flagged} VANISHED)");
        Assert.Equal($"* VANISHED {uids[0]}", lines[^2]);
        Assert.Equal("c NO [EXPUNGEISSUED] Some of the requested messages were expunged by another session", lines[^1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("* VANISHED (EARLIER)", StringComparison.Ordinal));
        // With QRESYNC every FETCH response carries UID, and MODSEQ (QRESYNC implies CONDSTORE).
        var modSeq = server.AliceAccount.GetMessage("INBOX", uids[2]).ModSeq;
        Assert.Equal([$"* 1 FETCH (UID {uids[2]} FLAGS (\\Flagged) MODSEQ ({modSeq}))", "f OK FETCH completed"], await client.CommandAsync("f", "FETCH 1 FLAGS"));
        Assert.Equal(["d BAD VANISHED is only allowed in UID FETCH"], await client.CommandAsync("d", $"FETCH 1:* FLAGS (CHANGEDSINCE {before} VANISHED)"));
        Assert.Equal(["e BAD VANISHED needs CHANGEDSINCE"], await client.CommandAsync("e", "UID FETCH 1:* FLAGS (VANISHED)"));
    }

    [Fact]
    public async Task A_fetch_sent_one_byte_at_a_time_gets_the_same_answer()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        const string command = "a FETCH 1 (BODY.PEEK[HEADER.FIELDS (Subject \"From\")]<0.20> BINARY.SIZE[2])\r\n";
        foreach (char c in command)
        {
            await client.Raw.SendAsync(c.ToString());
            await Task.Delay(2);
        }
        Assert.Equal("* 1 FETCH (BODY[HEADER.FIELDS (Subject From)]<0> {20}", await client.ReadLineAsync());
        Assert.Equal("From: Carol <carol@e BINARY.SIZE[2] 6)", await client.ReadLineAsync());
        Assert.Equal("a OK FETCH completed", await client.ReadLineAsync());
    }

    [Theory]
    [InlineData("FETCH 1 BODY[]<0.99999999999999999999>", "a BAD Invalid FETCH data item BODY[]<0.99999999999999999999>: invalid partial")]
    [InlineData("FETCH 1 BODY[]<0.0>", "a BAD Invalid FETCH data item BODY[]<0.0>: invalid partial")]
    [InlineData("FETCH 1 BODY[0]", "a BAD Invalid FETCH data item BODY[0]: invalid part number")]
    [InlineData("FETCH 1 BODY[1.0.2]", "a BAD Invalid FETCH data item BODY[1.0.2]: invalid part number")]
    [InlineData("FETCH 1 BODY[1.]", "a BAD Invalid FETCH data item BODY[1.]: a part number must follow \".\"")]
    [InlineData("FETCH 1 BODY[99999999999]", "a BAD Invalid FETCH data item BODY[99999999999]: invalid part number")]
    [InlineData("FETCH 1 (BODY[HEADER FLAGS)", "a BAD Invalid section")]
    [InlineData("FETCH 1 BODY]", "a BAD Unknown FETCH data item BODY]")]
    [InlineData("FETCH 1 BODY[MIME]", "a BAD Invalid FETCH data item BODY[MIME]: unknown section MIME")]
    [InlineData("FETCH 1 BINARY[1.MIME]", "a BAD Invalid FETCH data item BINARY[1.MIME]: BINARY sections hold part numbers only")]
    [InlineData("FETCH 1 FLAGS[1]", "a BAD Invalid FETCH data item FLAGS[1]: FLAGS takes no section")]
    [InlineData("FETCH 1 (FLAGS ALL)", "a BAD ALL is a macro and must stand alone")]
    [InlineData("FETCH 1 ()", "a BAD FETCH needs at least one data item")]
    [InlineData("FETCH 1 NOTHING", "a BAD Unknown FETCH data item NOTHING")]
    [InlineData("FETCH 0 FLAGS", "a BAD Invalid sequence set 0")]
    [InlineData("FETCH 1", "a BAD Syntax: FETCH sequence-set (item ...) [(CHANGEDSINCE modseq [VANISHED])]")]
    [InlineData("FETCH 1 FLAGS (CHANGEDSINCE)", "a BAD CHANGEDSINCE needs a mod-sequence value")]
    [InlineData("FETCH 1 FLAGS (CHANGEDSINCE 1 FOO)", "a BAD Unknown FETCH modifier FOO")]
    [InlineData("FETCH 1 FLAGS UID", "a BAD Syntax: FETCH sequence-set (item ...) [(CHANGEDSINCE modseq [VANISHED])]")]
    [InlineData("FETCH 1 (\"FLAGS\")", "a BAD Invalid FETCH data item \"FLAGS\"")]
    public async Task Hostile_and_invalid_arguments_are_answered_bad(string command, string answer)
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal([answer], await client.CommandAsync("a", command));
        // The session goes on.
        Assert.Equal(["* 1 FETCH (BINARY.SIZE[3.1] 5)", "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 BINARY.SIZE[3.1]"));
    }

    [Fact]
    public async Task Fetch_needs_a_selected_mailbox()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        Assert.Equal(["a BAD FETCH needs a selected mailbox; SELECT or EXAMINE one first"], await client.CommandAsync("a", "FETCH 1 FLAGS"));
    }
}
