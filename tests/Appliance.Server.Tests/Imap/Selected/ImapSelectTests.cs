using Appliance.Storage.Mail;

namespace Appliance.Server.Tests.Imap.Selected;

/// <summary>
/// SELECT, EXAMINE, CLOSE, UNSELECT, CHECK and the reporting of other sessions' changes (RFC 9051
/// 6.3.2, 6.3.3, 6.4.1, 6.4.2, 5.2, 7.4.1; RFC 3501 6.3.1; RFC 7162 3.1.2.1, 3.2.11) as exact
/// transcripts over a real socket against the real store.
/// </summary>
public sealed class ImapSelectTests
{
    private static (uint Validity, uint Next, ulong ModSeq) Status(MailAccount account, string mailbox = "INBOX")
    {
        var info = account.GetMailbox(mailbox);
        return (info.UidValidity, info.UidNext, info.HighestModSeq);
    }

    [Fact]
    public async Task Select_for_a_rev1_client_lists_flags_counts_recent_unseen_and_uid_data()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("one"), flags: MessageFlags.Seen);
        await server.AppendAsync(ImapStoreTestServer.Message("two"), keywords: ["$Work"]);
        await server.AppendAsync(ImapStoreTestServer.Message("three"), flags: MessageFlags.Seen, keywords: ["$work", "Later"]);
        var (validity, next, modSeq) = Status(server.AliceAccount);
        using var client = await server.LoginAsync();

        Assert.Equal(
        [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work Later)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work Later \\*)] Flags permitted",
            "* 3 EXISTS",
            "* 0 RECENT",
            "* OK [UNSEEN 2] First unseen",
            $"* OK [UIDVALIDITY {validity}] UIDs valid",
            $"* OK [UIDNEXT {next}] Predicted next UID",
            $"* OK [HIGHESTMODSEQ {modSeq}] Highest",
            "a OK [READ-WRITE] SELECT completed",
        ], await client.CommandAsync("a", "SELECT inbox"));
        Assert.Equal(["b OK CHECK completed"], await client.CommandAsync("b", "CHECK"));
        Assert.Equal(["c OK NOOP completed"], await client.CommandAsync("c", "NOOP"));
    }

    [Fact]
    public async Task Select_for_a_rev2_client_sends_list_and_examine_is_read_only_and_reselect_says_closed()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("one"), mailbox: "Sent", flags: MessageFlags.Seen);
        var (validity, next, modSeq) = Status(server.AliceAccount, "Sent");
        var inbox = Status(server.AliceAccount);
        using var client = await server.LoginAsync();
        Assert.Equal(["* ENABLED IMAP4rev2", "e OK ENABLE completed"], await client.CommandAsync("e", "ENABLE IMAP4rev2"));

        Assert.Equal(
        [
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS ()] Read-only mailbox",
            "* 1 EXISTS",
            $"* OK [UIDVALIDITY {validity}] UIDs valid",
            $"* OK [UIDNEXT {next}] Predicted next UID",
            $"* OK [HIGHESTMODSEQ {modSeq}] Highest",
            "* LIST (\\Sent) \"/\" Sent",
            "a OK [READ-ONLY] EXAMINE completed",
        ], await client.CommandAsync("a", "EXAMINE Sent"));
        Assert.Equal(
        [
            "* OK [CLOSED] Previous mailbox closed",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
            "* 0 EXISTS",
            $"* OK [UIDVALIDITY {inbox.Validity}] UIDs valid",
            $"* OK [UIDNEXT {inbox.Next}] Predicted next UID",
            $"* OK [HIGHESTMODSEQ {inbox.ModSeq}] Highest",
            "* LIST () \"/\" INBOX",
            "b OK [READ-WRITE] SELECT completed",
        ], await client.CommandAsync("b", "SELECT INBOX"));
    }

    [Fact]
    public async Task A_failed_select_leaves_the_previous_mailbox_and_the_session_is_authenticated()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        Assert.EndsWith("a OK [READ-WRITE] SELECT completed", (await client.CommandAsync("a", "SELECT INBOX"))[^1]);

        Assert.Equal(["* OK [CLOSED] Previous mailbox closed", "b NO [NONEXISTENT] No such mailbox"], await client.CommandAsync("b", "SELECT Nowhere"));
        Assert.Equal(["c BAD CLOSE needs a selected mailbox; SELECT or EXAMINE one first"], await client.CommandAsync("c", "CLOSE"));
        Assert.Equal(["d BAD Syntax: SELECT mailbox [(CONDSTORE)]"], await client.CommandAsync("d", "SELECT"));
        Assert.Equal(["e BAD Unknown SELECT parameter FOO"], await client.CommandAsync("e", "SELECT INBOX (FOO)"));
        Assert.Equal(["f BAD ENABLE is not allowed after a mailbox was selected"], await client.CommandAsync("f", "ENABLE CONDSTORE"));
    }

    [Fact]
    public async Task Close_expunges_deleted_messages_silently_and_unselect_and_examine_do_not()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"), flags: MessageFlags.Deleted);
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        var c = await server.AppendAsync(ImapStoreTestServer.Message("c"), flags: MessageFlags.Deleted);
        using var client = await server.LoginAsync();

        await client.CommandAsync("a", "EXAMINE INBOX");
        Assert.Equal(["b OK CLOSE completed"], await client.CommandAsync("b", "CLOSE"));
        Assert.Equal([a, b, c], server.AliceAccount.Snapshot("INBOX").Messages.Select(m => m.Uid));

        await client.CommandAsync("c", "SELECT INBOX");
        Assert.Equal(["d OK UNSELECT completed"], await client.CommandAsync("d", "UNSELECT"));
        Assert.Equal([a, b, c], server.AliceAccount.Snapshot("INBOX").Messages.Select(m => m.Uid));

        await client.CommandAsync("e", "SELECT INBOX");
        Assert.Equal(["f OK CLOSE completed"], await client.CommandAsync("f", "CLOSE"));
        Assert.Equal([b], server.AliceAccount.Snapshot("INBOX").Messages.Select(m => m.Uid));
        Assert.Equal(["g BAD UNSELECT needs a selected mailbox; SELECT or EXAMINE one first"], await client.CommandAsync("g", "UNSELECT"));
    }

    [Fact]
    public async Task Other_sessions_changes_are_reported_at_the_next_command()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        var c = await server.AppendAsync(ImapStoreTestServer.Message("c"));
        using var client = await server.LoginAsync();
        await client.CommandAsync("a", "SELECT INBOX");

        var d = await server.AppendAsync(ImapStoreTestServer.Message("d"));
        Assert.Equal(["* 4 EXISTS", "b OK NOOP completed"], await client.CommandAsync("b", "NOOP"));

        server.AliceAccount.StoreFlags("INBOX", [a, d], FlagOperation.Add, MessageFlags.Seen | MessageFlags.Flagged, ["$Work"]);
        Assert.Equal(
        [
            $"* 1 FETCH (UID {a} FLAGS (\\Flagged \\Seen $Work))",
            $"* 4 FETCH (UID {d} FLAGS (\\Flagged \\Seen $Work))",
            "c OK NOOP completed",
        ], await client.CommandAsync("c", "NOOP"));

        // Expunges in ascending order, each number as the client counts after the previous one.
        server.AliceAccount.StoreFlags("INBOX", [b, c], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");
        var e = await server.AppendAsync(ImapStoreTestServer.Message("e"));
        var lines = await client.CommandAsync("d", "NOOP");
        Assert.Equal(
        [
            $"* 2 FETCH (UID {b} FLAGS (\\Deleted))",
            $"* 3 FETCH (UID {c} FLAGS (\\Deleted))",
            "* 2 EXPUNGE",
            "* 2 EXPUNGE",
            "* 3 EXISTS",
            "d OK NOOP completed",
        ], lines);

        // A message added and expunged between two commands appears and disappears in order.
        var f = await server.AppendAsync(ImapStoreTestServer.Message("f"));
        server.AliceAccount.StoreFlags("INBOX", [f], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX", [f]);
        Assert.Equal(["* 4 EXISTS", $"* 4 FETCH (UID {f} FLAGS (\\Deleted))", "* 4 EXPUNGE", "e OK NOOP completed"], await client.CommandAsync("e", "NOOP"));
        Assert.Equal(["f OK NOOP completed"], await client.CommandAsync("f", "NOOP"));
        Assert.Equal([a, d, e], server.AliceAccount.Snapshot("INBOX").Messages.Select(m => m.Uid));

        // Changes in other mailboxes are not this session's business.
        await server.AppendAsync(ImapStoreTestServer.Message("elsewhere"), mailbox: "Archive");
        Assert.Equal(["g OK NOOP completed"], await client.CommandAsync("g", "NOOP"));
    }

    [Fact]
    public async Task Condstore_select_reports_modseq_with_flag_changes()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        using var client = await server.LoginAsync();
        var select = await client.CommandAsync("a", "SELECT INBOX (CONDSTORE)");
        Assert.Contains($"* OK [HIGHESTMODSEQ {Status(server.AliceAccount).ModSeq}] Highest", select);

        var result = server.AliceAccount.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Answered);
        Assert.Equal([$"* 1 FETCH (UID {a} FLAGS (\\Answered) MODSEQ ({result.Updated[0].ModSeq}))", "b OK NOOP completed"], await client.CommandAsync("b", "NOOP"));
    }

    [Fact]
    public async Task Rename_of_the_selected_mailbox_is_followed_and_its_deletion_ends_the_session()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        server.AliceAccount.CreateMailbox("Projects");
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"), mailbox: "Projects");
        using var client = await server.LoginAsync();
        await client.CommandAsync("a", "SELECT Projects");

        server.AliceAccount.RenameMailbox("Projects", "Old");
        server.AliceAccount.StoreFlags("Old", [a], FlagOperation.Add, MessageFlags.Seen);
        Assert.Equal([$"* 1 FETCH (UID {a} FLAGS (\\Seen))", "b OK NOOP completed"], await client.CommandAsync("b", "NOOP"));
        Assert.Equal(["c OK CLOSE completed"], await client.CommandAsync("c", "CLOSE"));

        await client.CommandAsync("d", "SELECT Old");
        server.AliceAccount.DeleteMailbox("Old");
        Assert.Equal(["* BYE The selected mailbox was deleted by another session", "e OK NOOP completed"], await client.CommandAsync("e", "NOOP", untilEnd: true));
    }

    [Fact]
    public async Task Uid_needs_a_known_subcommand()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        await client.CommandAsync("a", "SELECT INBOX");
        Assert.Equal(["b BAD Syntax: UID COPY, MOVE, FETCH, SEARCH, STORE, EXPUNGE, SORT or THREAD"], await client.CommandAsync("b", "UID NOOP"));
        Assert.Equal(["c BAD Syntax: UID COPY, MOVE, FETCH, SEARCH, STORE, EXPUNGE, SORT or THREAD"], await client.CommandAsync("c", "UID"));
    }
}
