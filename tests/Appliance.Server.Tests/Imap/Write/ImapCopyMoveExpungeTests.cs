using Appliance.Storage.Mail;

using Appliance.Server.Tests.Imap.Selected;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// COPY, MOVE and EXPUNGE with their UID forms (RFC 9051 6.4.3, 6.4.7, 6.4.9; RFC 6851; RFC 4315
/// COPYUID and UID EXPUNGE; RFC 9208 OVERQUOTA) as exact transcripts, and what other sessions see.
/// </summary>
public sealed class ImapCopyMoveExpungeTests
{
    [Fact]
    public async Task Copy_keeps_flags_and_answers_copyuid_and_the_target_session_sees_exists()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"), flags: MessageFlags.Seen, keywords: ["$Work"]);
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        var c = await server.AppendAsync(ImapStoreTestServer.Message("c"));
        using var client = await server.LoginAsync();
        using var watcher = await server.LoginAsync();
        await client.SelectAsync();
        await watcher.SelectAsync("Archive");
        var (validity, next, _) = server.Status("Archive");

        Assert.Equal([$"k OK [COPYUID {validity} {a},{c} {next}:{next + 1}] COPY completed"], await client.CommandAsync("k", "COPY 1,3 Archive"));
        Assert.Equal([$"u OK [COPYUID {validity} {b} {next + 2}] COPY completed"], await client.CommandAsync("u", $"UID COPY {b} Archive"));
        // No message matched: no COPYUID (nothing to map).
        Assert.Equal(["v OK COPY completed"], await client.CommandAsync("v", "UID COPY 999 Archive"));
        Assert.Equal(["* 3 EXISTS", "n OK NOOP completed"], await watcher.CommandAsync("n", "NOOP"));

        // A copy into the selected mailbox itself: its EXISTS comes before the tagged OK.
        var inbox = server.Status();
        Assert.Equal(["* 4 EXISTS", $"s OK [COPYUID {inbox.Validity} {a} {inbox.Next}] COPY completed"], await client.CommandAsync("s", "COPY 1 INBOX"));

        var copy = server.AliceAccount.GetMessage("Archive", next);
        Assert.Equal(MessageFlags.Seen, copy.Flags);
        Assert.Equal(["$Work"], copy.Keywords);
        Assert.Equal(server.Read(a), server.Read(next, "Archive"));
        Assert.Equal(4, server.AliceAccount.GetMailbox("INBOX").MessageCount);
    }

    [Fact]
    public async Task Copy_and_move_to_a_missing_mailbox_say_trycreate_and_bad_arguments_are_bad()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(ImapStoreTestServer.Message("a"));
        using var client = await server.LoginAsync();
        await client.SelectAsync();

        Assert.Equal(["a NO [TRYCREATE] No such mailbox"], await client.CommandAsync("a", "COPY 1 Nowhere"));
        Assert.Equal(["b NO [TRYCREATE] No such mailbox"], await client.CommandAsync("b", "UID MOVE 1 Nowhere"));
        Assert.Equal(["c BAD Syntax: COPY sequence-set mailbox"], await client.CommandAsync("c", "COPY 1"));
        Assert.Equal(["d BAD Syntax: MOVE sequence-set mailbox"], await client.CommandAsync("d", "MOVE x:y Archive"));
        Assert.Equal(["e BAD Invalid message sequence number: 2"], await client.CommandAsync("e", "COPY 2 Archive"));
        Assert.Equal(1, server.AliceAccount.GetMailbox("INBOX").MessageCount);
        Assert.Equal(0, server.AliceAccount.GetMailbox("Archive").MessageCount);
    }

    [Fact]
    public async Task Copy_over_quota_is_refused_whole()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var body = new string('x', 4000);
        await server.AppendAsync(ImapStoreTestServer.Message("a", body));
        await server.AppendAsync(ImapStoreTestServer.Message("b", body));
        long used = server.AliceAccount.GetQuotaUsage();
        await server.SetQuotaAsync(used + 5000);
        using var client = await server.LoginAsync();
        await client.SelectAsync();

        Assert.Equal([$"a NO [OVERQUOTA] Over quota: {(used + 1023) / 1024} of {(used + 5000) / 1024} KiB used"], await client.CommandAsync("a", "COPY 1:2 Archive"));
        Assert.Equal(0, server.AliceAccount.GetMailbox("Archive").MessageCount);
        Assert.StartsWith("b OK [COPYUID ", (await client.CommandAsync("b", "COPY 1 Archive"))[0]);
        // A move stays within the account: the quota does not stand in its way.
        Assert.StartsWith("* OK [COPYUID ", (await client.CommandAsync("c", "MOVE 2 Archive"))[0]);
    }

    [Fact]
    public async Task Move_sends_copyuid_then_expunge_and_both_mailboxes_other_sessions_follow()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"), flags: MessageFlags.Flagged);
        var c = await server.AppendAsync(ImapStoreTestServer.Message("c"));
        using var client = await server.LoginAsync();
        using var inbox = await server.LoginAsync();
        using var archive = await server.LoginAsync();
        await client.SelectAsync();
        await inbox.SelectAsync();
        await archive.SelectAsync("Archive");
        var (validity, next, _) = server.Status("Archive");
        var original = server.Read(b);

        // RFC 6851 4.3: COPYUID in an untagged OK, then the EXPUNGE responses, then the tagged OK.
        Assert.Equal(
        [
            $"* OK [COPYUID {validity} {b} {next}] Moved",
            "* 2 EXPUNGE",
            "m OK MOVE completed",
        ], await client.CommandAsync("m", "MOVE 2 Archive"));
        Assert.Equal(
        [
            $"* OK [COPYUID {validity} {a},{c} {next + 1}:{next + 2}] Moved",
            "* 1 EXPUNGE",
            "* 1 EXPUNGE",
            "u OK MOVE completed",
        ], await client.CommandAsync("u", $"UID MOVE {a}:{c} Archive"));

        Assert.Equal(["* 1 EXPUNGE", "* 1 EXPUNGE", "* 1 EXPUNGE", "n OK NOOP completed"], await inbox.CommandAsync("n", "NOOP"));
        Assert.Equal(["* 3 EXISTS", "n OK NOOP completed"], await archive.CommandAsync("n", "NOOP"));
        Assert.Equal(original, server.Read(next, "Archive"));
        Assert.Equal(MessageFlags.Flagged, server.AliceAccount.GetMessage("Archive", next).Flags);
        Assert.Equal(0, server.AliceAccount.GetMailbox("INBOX").MessageCount);

        // EXAMINE: nothing may leave the mailbox.
        await client.SelectAsync("Archive", "EXAMINE");
        Assert.Equal(["r NO [READ-ONLY] The mailbox is read-only (EXAMINE); messages cannot be moved out of it"], await client.CommandAsync("r", "MOVE 1 INBOX"));
        Assert.StartsWith("k OK [COPYUID ", (await client.CommandAsync("k", "COPY 1 INBOX"))[0]);
    }

    [Fact]
    public async Task Expunge_and_uid_expunge_remove_deleted_messages_and_other_sessions_see_it_at_allowed_moments()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"), flags: MessageFlags.Deleted);
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"), flags: MessageFlags.Deleted);
        var c = await server.AppendAsync(ImapStoreTestServer.Message("c"));
        var d = await server.AppendAsync(ImapStoreTestServer.Message("d"), flags: MessageFlags.Deleted);
        using var client = await server.LoginAsync();
        using var other = await server.LoginAsync();
        await client.SelectAsync();
        await other.SelectAsync();

        // RFC 4315 2.1: only the \Deleted messages in the UID set.
        Assert.Equal(["* 2 EXPUNGE", "u OK EXPUNGE completed"], await client.CommandAsync("u", $"UID EXPUNGE {b}:{c}"));
        Assert.Equal(["* 1 EXPUNGE", "* 2 EXPUNGE", "x OK EXPUNGE completed"], await client.CommandAsync("x", "EXPUNGE"));
        Assert.Equal(["y OK EXPUNGE completed"], await client.CommandAsync("y", "EXPUNGE"));
        Assert.Equal([c], server.AliceAccount.ListMessagesByUid("INBOX").Select(m => m.Uid));

        // In ascending UID order, each number as it is after the EXPUNGEs before it (RFC 9051 7.5.1).
        Assert.Equal(["* 1 EXPUNGE", "* 1 EXPUNGE", "* 2 EXPUNGE", "n OK NOOP completed"], await other.CommandAsync("n", "NOOP"));
        Assert.Equal(["b1 BAD Syntax: EXPUNGE takes no arguments"], await client.CommandAsync("b1", "EXPUNGE 1"));
        Assert.Equal(["b2 BAD Syntax: UID EXPUNGE uid-set"], await client.CommandAsync("b2", "UID EXPUNGE"));

        await server.AliceAccount.AppendAsync("INBOX", new MemoryStream("Subject: e\r\n\r\ne\r\n"u8.ToArray()), MessageFlags.Deleted);
        await client.SelectAsync("INBOX", "EXAMINE");
        Assert.Equal(["r NO [READ-ONLY] The mailbox is read-only (EXAMINE); nothing can be expunged"], await client.CommandAsync("r", "EXPUNGE"));
        Assert.Equal(2, server.AliceAccount.GetMailbox("INBOX").MessageCount);
        _ = (a, d);
    }

    [Fact]
    public async Task With_condstore_expunge_reports_highestmodseq_and_with_qresync_vanished()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"), flags: MessageFlags.Deleted);
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"), flags: MessageFlags.Deleted);
        await server.AppendAsync(ImapStoreTestServer.Message("c"));
        using var client = await server.LoginAsync();
        using var other = await server.LoginAsync();
        Assert.Equal(["* ENABLED QRESYNC", "e OK ENABLE completed"], await other.CommandAsync("e", "ENABLE QRESYNC"));
        Assert.StartsWith("s OK", (await client.CommandAsync("s", "SELECT INBOX (CONDSTORE)"))[^1]);
        await other.SelectAsync();

        var lines = await client.CommandAsync("x", $"UID EXPUNGE {a}");
        Assert.Equal(["* 1 EXPUNGE", $"x OK [HIGHESTMODSEQ {server.Status().ModSeq}] EXPUNGE completed"], lines);
        // RFC 7162 3.2.10: VANISHED, not EXPUNGE, once QRESYNC is on; here for a MOVE too.
        Assert.Equal([$"* VANISHED {a}", "n OK NOOP completed"], await other.CommandAsync("n", "NOOP"));
        var (validity, next, _) = server.Status("Archive");
        Assert.Equal([$"* OK [COPYUID {validity} {b} {next}] Moved", $"* VANISHED {b}", "m OK MOVE completed"], await other.CommandAsync("m", $"UID MOVE {b} Archive"));
    }
}
