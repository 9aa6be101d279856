using Appliance.Storage.Mail;

using Appliance.Server.Tests.Imap.Selected;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// STORE and UID STORE (RFC 9051 6.4.6, 6.4.9; RFC 7162 3.1.3 UNCHANGEDSINCE and MODIFIED) as exact
/// transcripts over a real socket, and how another session sees the change (RFC 9051 5.2, 7.4.1).
/// </summary>
public sealed class ImapStoreCommandTests
{
    [Fact]
    public async Task Store_forms_answer_with_the_new_flags_and_silent_answers_nothing()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        using var client = await server.LoginAsync();
        await client.SelectAsync();

        Assert.Equal(["* 1 FETCH (FLAGS (\\Seen))", "s1 OK STORE completed"], await client.CommandAsync("s1", "STORE 1 +FLAGS (\\Seen)"));
        Assert.Equal(["s2 OK STORE completed"], await client.CommandAsync("s2", "STORE 1:2 +FLAGS.SILENT (\\Flagged $Work)"));
        Assert.Equal([$"* 2 FETCH (UID {b} FLAGS ($Work))", "s3 OK STORE completed"], await client.CommandAsync("s3", $"UID STORE {b} -FLAGS (\\Flagged)"));
        // Flags without parentheses (RFC 9051: flag *(SP flag)).
        Assert.Equal(["* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Draft $Work))", "s4 OK STORE completed"],
            await client.CommandAsync("s4", "STORE 1 +FLAGS \\Answered \\Draft"));
        // Nothing changes, yet the flags are told (RFC 9051 6.4.6: the new value, as if fetched).
        Assert.Equal(["* 1 FETCH (FLAGS (\\Answered \\Flagged \\Seen \\Draft $Work))", "s5 OK STORE completed"],
            await client.CommandAsync("s5", "store 1 +flags (\\seen)"));
        Assert.Equal(["* 2 FETCH (FLAGS ())", "s6 OK STORE completed"], await client.CommandAsync("s6", "STORE 2 FLAGS ()"));
        // The session's own changes are not repeated as if another session had made them.
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));

        var stored = server.AliceAccount.GetMessage("INBOX", a);
        Assert.Equal(MessageFlags.Answered | MessageFlags.Flagged | MessageFlags.Seen | MessageFlags.Draft, stored.Flags);
        Assert.Equal(["$Work"], stored.Keywords);
        Assert.Equal(MessageFlags.None, server.AliceAccount.GetMessage("INBOX", b).Flags);
        Assert.Empty(server.AliceAccount.GetMessage("INBOX", b).Keywords);
    }

    [Fact]
    public async Task Unchangedsince_stores_what_is_unchanged_and_reports_the_rest_as_modified()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        var bModSeq = server.AliceAccount.GetMessage("INBOX", b).ModSeq;
        server.AliceAccount.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Seen);
        using var client = await server.LoginAsync();
        await client.SelectAsync();

        // a changed after bModSeq: refused and listed; b is stored, and CONDSTORE is on from now (MODSEQ even with .SILENT).
        var expected = server.Status().ModSeq + 1;
        Assert.Equal(
        [
            $"* 2 FETCH (FLAGS (\\Flagged) MODSEQ ({expected}))",
            "c1 OK [MODIFIED 1] Conditional STORE failed for some messages",
        ], await client.CommandAsync("c1", $"STORE 1:2 (UNCHANGEDSINCE {bModSeq}) +FLAGS.SILENT (\\Flagged)"));
        Assert.Equal([$"c2 OK [MODIFIED {a}:{b}] Conditional STORE failed for some messages"],
            await client.CommandAsync("c2", $"UID STORE {a}:{b} (UNCHANGEDSINCE 1) FLAGS (\\Deleted)"));
        Assert.Equal(MessageFlags.Seen, server.AliceAccount.GetMessage("INBOX", a).Flags);
        Assert.Equal(MessageFlags.Flagged, server.AliceAccount.GetMessage("INBOX", b).Flags);
        Assert.Equal(["n OK NOOP completed"], await client.CommandAsync("n", "NOOP"));
    }

    [Fact]
    public async Task Hostile_or_wrong_stores_are_refused_and_change_nothing()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        using var client = await server.LoginAsync();
        await client.SelectAsync();

        Assert.Equal(["b1 BAD \\Recent cannot be stored"], await client.CommandAsync("b1", "STORE 1 +FLAGS (\\Recent)"));
        Assert.Equal(["b2 BAD \\Foo cannot be stored"], await client.CommandAsync("b2", "STORE 1 FLAGS (\\Seen \\Foo)"));
        Assert.Equal(["b3 BAD Flags are atoms"], await client.CommandAsync("b3", "STORE 1 +FLAGS (\"$Work\")"));
        Assert.Equal(["b4 BAD Syntax: STORE sequence-set [(UNCHANGEDSINCE modseq)] [+|-]FLAGS[.SILENT] (flags)"], await client.CommandAsync("b4", "STORE 1 XFLAGS (\\Seen)"));
        Assert.Equal(["b5 BAD Syntax: STORE sequence-set [(UNCHANGEDSINCE modseq)] [+|-]FLAGS[.SILENT] (flags)"], await client.CommandAsync("b5", "STORE 1 +FLAGS"));
        Assert.Equal(["b6 BAD Invalid message sequence number: 2"], await client.CommandAsync("b6", "STORE 2 +FLAGS (\\Seen)"));
        Assert.Equal(["b7 BAD Syntax: STORE sequence-set [(UNCHANGEDSINCE modseq)] [+|-]FLAGS[.SILENT] (flags)"], await client.CommandAsync("b7", "STORE 1 (UNCHANGEDSINCE x) +FLAGS (\\Seen)"));
        Assert.Equal(["b8 BAD Invalid keyword a]b"], await client.CommandAsync("b8", "STORE 1 +FLAGS (a]b)"));
        // A UID that does not exist is ignored (RFC 9051 6.4.9).
        Assert.Equal(["b9 OK STORE completed"], await client.CommandAsync("b9", "UID STORE 999 +FLAGS (\\Seen)"));

        Assert.StartsWith("e OK [READ-ONLY]", (await client.CommandAsync("e", "EXAMINE INBOX"))[^1]);
        Assert.Equal(["r NO [READ-ONLY] The mailbox is read-only (EXAMINE); flags cannot be changed"], await client.CommandAsync("r", "STORE 1 +FLAGS (\\Seen)"));
        Assert.Equal(MessageFlags.None, server.AliceAccount.GetMessage("INBOX", a).Flags);
    }

    [Fact]
    public async Task Another_session_sees_the_store_and_no_expunge_comes_during_a_plain_store()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var a = await server.AppendAsync(ImapStoreTestServer.Message("a"));
        var b = await server.AppendAsync(ImapStoreTestServer.Message("b"));
        using var one = await server.LoginAsync();
        using var two = await server.LoginAsync();
        await one.SelectAsync();
        await two.SelectAsync();

        Assert.Equal(["* 1 FETCH (FLAGS (\\Deleted))", "s OK STORE completed"], await one.CommandAsync("s", "STORE 1 +FLAGS (\\Deleted)"));
        Assert.Equal([$"* 1 FETCH (UID {a} FLAGS (\\Deleted))", "n OK NOOP completed"], await two.CommandAsync("n", "NOOP"));

        Assert.Equal(["* 1 EXPUNGE", "x OK EXPUNGE completed"], await one.CommandAsync("x", "EXPUNGE"));
        // RFC 9051 7.4.1: no EXPUNGE during STORE by sequence number, so message 2 is still number 2.
        Assert.Equal(["* 2 FETCH (FLAGS (\\Seen))", "t OK STORE completed"], await two.CommandAsync("t", "STORE 2 +FLAGS (\\Seen)"));
        Assert.Equal(["* 1 EXPUNGE", "m OK NOOP completed"], await two.CommandAsync("m", "NOOP"));
        Assert.Equal([$"* 1 FETCH (UID {b} FLAGS (\\Seen))", "o OK NOOP completed"], await one.CommandAsync("o", "NOOP"));
        Assert.Equal(MessageFlags.Seen, server.AliceAccount.GetMessage("INBOX", b).Flags);
    }
}
