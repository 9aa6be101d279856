using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

using Appliance.Server.Tests.Imap.Selected;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// QRESYNC (RFC 7162 3.2): ENABLE QRESYNC, SELECT/EXAMINE with the QRESYNC parameter (VANISHED (EARLIER)
/// and FETCH of what changed since the client's MODSEQ), and its refusal without ENABLE.
/// </summary>
public sealed class ImapQResyncTests
{
    private static List<string> Opening(ImapStoreTestServer server, int exists, string flags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft")
    {
        var (validity, next, modSeq) = server.Status();
        return
        [
            $"* FLAGS ({flags})",
            $"* OK [PERMANENTFLAGS ({flags} \\*)] Flags permitted",
            $"* {exists} EXISTS",
            "* 0 RECENT",
            "* OK [UNSEEN 1] First unseen",
            $"* OK [UIDVALIDITY {validity}] UIDs valid",
            $"* OK [UIDNEXT {next}] Predicted next UID",
            $"* OK [HIGHESTMODSEQ {modSeq}] Highest",
        ];
    }

    [Fact]
    public async Task Select_qresync_reports_vanished_earlier_and_changed_flags_since_the_clients_modseq()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uids = new List<uint>();
        for (int i = 0; i < 5; i++)
            uids.Add(await server.AppendAsync(ImapStoreTestServer.Message("m" + i)));
        var (validity, _, known) = server.Status();
        // Since the client's last visit: 2 and 4 expunged, 3 flagged.
        server.AliceAccount.StoreFlags("INBOX", [uids[1], uids[3]], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");
        server.AliceAccount.StoreFlags("INBOX", [uids[2]], FlagOperation.Add, MessageFlags.Seen);
        ulong flagModSeq = server.AliceAccount.GetMessage("INBOX", uids[2]).ModSeq;

        using var client = await server.LoginAsync();
        Assert.Equal(["* ENABLED QRESYNC", "e OK ENABLE completed"], await client.CommandAsync("e", "ENABLE QRESYNC"));
        var expected = Opening(server, 3);
        expected.Add($"* VANISHED (EARLIER) {uids[1]},{uids[3]}");
        expected.Add($"* 2 FETCH (UID {uids[2]} FLAGS (\\Seen) MODSEQ ({flagModSeq}))");
        expected.Add("s OK [READ-WRITE] SELECT completed");
        Assert.Equal(expected, await client.CommandAsync("s", $"SELECT INBOX (QRESYNC ({validity} {known}))"));

        // known-uids limit VANISHED to what the client holds; seq-match-data is accepted.
        expected = Opening(server, 3);
        expected.Add($"* VANISHED (EARLIER) {uids[3]}");
        expected.Add($"* 2 FETCH (UID {uids[2]} FLAGS (\\Seen) MODSEQ ({flagModSeq}))");
        expected.Add("t OK [READ-ONLY] EXAMINE completed");
        expected.Insert(0, "* OK [CLOSED] Previous mailbox closed");
        expected[2] = "* OK [PERMANENTFLAGS ()] Read-only mailbox";
        Assert.Equal(expected, await client.CommandAsync("t", $"EXAMINE INBOX (QRESYNC ({validity} {known} {uids[2]}:{uids[4]} (1:3 {uids[0]}:{uids[2]})))"));

        // Another UIDVALIDITY: the client's cache is worthless, nothing is resynchronised.
        expected = Opening(server, 3);
        expected.Insert(0, "* OK [CLOSED] Previous mailbox closed");
        expected.Add("u OK [READ-WRITE] SELECT completed");
        Assert.Equal(expected, await client.CommandAsync("u", $"SELECT INBOX (QRESYNC ({validity + 1} {known}))"));

        // Once QRESYNC is on, expunges are VANISHED and unsolicited FETCH has UID and MODSEQ.
        server.AliceAccount.StoreFlags("INBOX", [uids[0]], FlagOperation.Add, MessageFlags.Deleted);
        ulong deletedModSeq = server.AliceAccount.GetMessage("INBOX", uids[0]).ModSeq;
        Assert.Equal([$"* 1 FETCH (UID {uids[0]} FLAGS (\\Deleted) MODSEQ ({deletedModSeq}))", "n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
        var expunge = await client.CommandAsync("x", "EXPUNGE");
        Assert.Equal([$"* VANISHED {uids[0]}", $"x OK [HIGHESTMODSEQ {server.Status().ModSeq}] EXPUNGE completed"], expunge);
        Assert.Equal(["c OK CLOSE completed"], await client.CommandAsync("c", "CLOSE"));
    }

    [Fact]
    public async Task When_the_expunge_log_does_not_reach_back_every_known_uid_not_in_the_mailbox_has_vanished()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uids = new List<uint>();
        for (int i = 0; i < 5; i++)
            uids.Add(await server.AppendAsync(ImapStoreTestServer.Message("m" + i)));
        var (validity, _, known) = server.Status();
        server.AliceAccount.StoreFlags("INBOX", [uids[1], uids[3]], FlagOperation.Add, MessageFlags.Deleted);
        server.AliceAccount.Expunge("INBOX");
        // A rebuilt index has no expunge log before its rebuild (ListExpungedSince is incomplete).
        server.Services.GetRequiredService<MessageStore>().Reindex(server.AliceAccount.StoreId);
        Assert.False(server.AliceAccount.ListExpungedSince("INBOX", known).Complete);
        var snapshot = server.AliceAccount.Snapshot("INBOX");
        Assert.All(snapshot.Messages, m => Assert.Equal(MessageFlags.None, m.Flags));
        // Whatever MODSEQs the rebuild gave the messages, those above the client's are told.
        var fetches = snapshot.Messages.Select((m, i) => (m, i)).Where(x => x.m.ModSeq > known)
            .Select(x => $"* {x.i + 1} FETCH (UID {x.m.Uid} FLAGS () MODSEQ ({x.m.ModSeq}))").ToList();

        using var client = await server.LoginAsync();
        await client.CommandAsync("e", "ENABLE QRESYNC");
        var lines = await client.CommandAsync("s", $"SELECT INBOX (QRESYNC ({validity} {known}))");
        Assert.Equal([$"* VANISHED (EARLIER) {uids[1]},{uids[3]}", .. fetches, "s OK [READ-WRITE] SELECT completed"], lines.Skip(8));
        // Known UIDs narrow it, and UIDs above UIDNEXT were never given out.
        lines = await client.CommandAsync("t", $"SELECT INBOX (QRESYNC ({validity} {known} {uids[0]}:{uids[2]},{uids[4]}:1000))");
        Assert.Equal([$"* VANISHED (EARLIER) {uids[1]}", .. fetches, "t OK [READ-WRITE] SELECT completed"], lines.Skip(9));
    }

    [Fact]
    public async Task Qresync_parameters_need_enable_and_valid_syntax()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        using var client = await server.LoginAsync();
        Assert.Equal(["a BAD QRESYNC needs ENABLE QRESYNC first"], await client.CommandAsync("a", "SELECT INBOX (QRESYNC (1 1))"));
        Assert.Equal(["* ENABLED QRESYNC", "e OK ENABLE completed"], await client.CommandAsync("e", "ENABLE QRESYNC"));
        // Enabled once only; CONDSTORE comes with it and is not listed again.
        Assert.Equal(["* ENABLED", "f OK ENABLE completed"], await client.CommandAsync("f", "ENABLE QRESYNC"));
        string syntax = "BAD Syntax: SELECT mailbox (QRESYNC (uidvalidity modseq [known-uids [(seq-match-data)]]))";
        Assert.Equal(["b " + syntax], await client.CommandAsync("b", "SELECT INBOX (QRESYNC)"));
        Assert.Equal(["c " + syntax], await client.CommandAsync("c", "SELECT INBOX (QRESYNC (1))"));
        Assert.Equal(["d " + syntax], await client.CommandAsync("d", "SELECT INBOX (QRESYNC (0 1))"));
        Assert.Equal(["g " + syntax], await client.CommandAsync("g", "SELECT INBOX (QRESYNC (1 1 x))"));
        Assert.Equal(["h " + syntax], await client.CommandAsync("h", "SELECT INBOX (QRESYNC (1 1 1:2 (1:2)))"));
        Assert.Equal(["i BAD Unknown SELECT parameter QRESYNC"], await client.CommandAsync("i", "SELECT INBOX (QRESYNC (1 1) QRESYNC (1 1))"));
    }
}
