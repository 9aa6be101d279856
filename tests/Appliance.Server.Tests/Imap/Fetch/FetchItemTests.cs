using Appliance.Server.Tests.Imap.Selected;
using Appliance.Storage.Mail;
using static Appliance.Server.Tests.Imap.Fetch.FetchTestSupport;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>
/// FETCH data items without sections (RFC 9051 6.4.5, 7.5.2; RFC 7162 3.1.5 MODSEQ) and the macros,
/// as exact transcripts over a real socket against the real store.
/// </summary>
public sealed class FetchItemTests
{
    private const string Simple =
        "From: Carol <carol@example.net>\r\n" +
        "To: alice@example.org\r\n" +
        "Subject: one\r\n" +
        "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n" +
        "Message-ID: <s1@example.net>\r\n" +
        "\r\n" +
        "Hello\r\n";

    private const string Envelope =
        "(\"Mon, 2 Nov 2026 10:00:00 +0000\" \"one\" ((\"Carol\" NIL \"carol\" \"example.net\")) ((\"Carol\" NIL \"carol\" \"example.net\")) " +
        "((\"Carol\" NIL \"carol\" \"example.net\")) ((NIL NIL \"alice\" \"example.org\")) NIL NIL NIL \"<s1@example.net>\")";

    private static readonly DateTimeOffset Date = new(2026, 11, 2, 9, 5, 7, TimeSpan.Zero);

    [Fact]
    public async Task Flags_uid_internaldate_size_envelope_and_structure_of_a_simple_message()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uid = await server.AppendAsync(Simple, flags: MessageFlags.Flagged, keywords: ["$Work"], date: Date);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(
        [
            $"* 1 FETCH (FLAGS (\\Flagged $Work) UID {uid} INTERNALDATE \" 2-Nov-2026 09:05:07 +0000\" RFC822.SIZE {Simple.Length})",
            "a OK FETCH completed",
        ], await client.CommandAsync("a", "FETCH 1 (FLAGS UID INTERNALDATE RFC822.SIZE)"));
        Assert.Equal(
        [
            $"* 1 FETCH (ENVELOPE {Envelope} BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL) " +
                "BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1))",
            "b OK FETCH completed",
        ], await client.CommandAsync("b", "fetch 1 (envelope bodystructure body)"));
    }

    [Fact]
    public async Task Macros_stand_for_their_items_and_uid_fetch_always_includes_the_uid()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uid = await server.AppendAsync(Simple, flags: MessageFlags.Seen, date: Date);
        using var client = await server.LoginAsync();
        await SelectAsync(client);
        string fast = $"FLAGS (\\Seen) INTERNALDATE \" 2-Nov-2026 09:05:07 +0000\" RFC822.SIZE {Simple.Length}";

        Assert.Equal([$"* 1 FETCH ({fast})", "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 FAST"));
        Assert.Equal([$"* 1 FETCH ({fast} ENVELOPE {Envelope})", "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 ALL"));
        Assert.Equal(
        [
            $"* 1 FETCH ({fast} ENVELOPE {Envelope} BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1))",
            "c OK FETCH completed",
        ], await client.CommandAsync("c", "FETCH 1 FULL"));
        Assert.Equal([$"* 1 FETCH (UID {uid} FLAGS (\\Seen))", "d OK UID FETCH completed"], await client.CommandAsync("d", $"UID FETCH {uid} FLAGS"));
        Assert.Equal([$"* 1 FETCH (FLAGS (\\Seen) UID {uid})", "e OK UID FETCH completed"], await client.CommandAsync("e", $"UID FETCH {uid}:* (FLAGS UID)"));
        // UIDs that do not exist are no error in UID FETCH (RFC 9051 6.4.9); sequence numbers past the end are.
        Assert.Equal(["f OK UID FETCH completed"], await client.CommandAsync("f", $"UID FETCH {uid + 10} FLAGS"));
        Assert.Equal(["g BAD Invalid message sequence number: 2"], await client.CommandAsync("g", "FETCH 2 FLAGS"));
    }

    [Fact]
    public async Task Modseq_item_turns_condstore_on_and_then_every_fetch_carries_modseq()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uid = await server.AppendAsync(Simple);
        var modSeq = server.AliceAccount.GetMessage("INBOX", uid).ModSeq;
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["* 1 FETCH (FLAGS ())", "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 FLAGS"));
        Assert.Equal([$"* 1 FETCH (MODSEQ ({modSeq}))", "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 MODSEQ"));
        Assert.Equal([$"* 1 FETCH (FLAGS () MODSEQ ({modSeq}))", "c OK FETCH completed"], await client.CommandAsync("c", "FETCH 1 FLAGS"));
    }

    [Fact]
    public async Task The_index_read_takes_many_ranges_in_one_query_and_keeps_only_their_uids()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uids = new List<uint>();
        for (int i = 0; i < 12; i++)
            uids.Add(await server.AppendAsync(ImapStoreTestServer.Message("m" + i)));
        var answered = uids.First(u => u % 2 == 1);
        server.AliceAccount.StoreFlags("INBOX", [answered], FlagOperation.Add, MessageFlags.Answered, ["$Done"]);
        // Every other UID up to 400: more ranges than the query names one by one, so they are applied after it.
        var ranges = Enumerable.Range(0, 200).Select(i => ((uint)(2 * i + 1), (uint)(2 * i + 1))).ToList();

        var rows = server.AliceAccount.ListMessagesForFetch("INBOX", ranges);
        Assert.Equal(uids.Where(u => u % 2 == 1), rows.Select(r => r.Uid));
        var stored = server.AliceAccount.GetMessage("INBOX", answered);
        var row = rows.Single(r => r.Uid == answered);
        Assert.Equal((MessageFlags.Answered, "$Done", stored.ModSeq, stored.Size), (row.Flags, Assert.Single(row.Keywords), row.ModSeq, row.Size));
        Assert.Equal(uids.Take(3), server.AliceAccount.ListMessagesForFetch("INBOX", [(uids[0], uids[2])]).Select(r => r.Uid));
        Assert.Empty(server.AliceAccount.ListMessagesForFetch("INBOX", []));
        foreach (var each in rows)
        {
            using var file = server.AliceAccount.OpenMessage("INBOX", each.File);
            Assert.Equal(each.Size, file.Length);
        }
    }

    [Fact]
    public async Task A_thousand_messages_come_back_in_one_uid_fetch()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        // Concurrent appends share the store's commits (group commit), which keeps the setup quick.
        var uids = await Task.WhenAll(Enumerable.Range(0, 1000).Select(i => server.AppendAsync(ImapStoreTestServer.Message("m" + i), flags: i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None)));
        var seen = uids.Where((_, i) => i % 2 == 0).ToHashSet();
        Array.Sort(uids);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        var lines = await client.CommandAsync("a", "UID FETCH 1:* (FLAGS)");
        Assert.Equal(1001, lines.Count);
        for (int i = 0; i < uids.Length; i++)
        {
            var flags = seen.Contains(uids[i]) ? "\\Seen" : "";
            Assert.Equal($"* {i + 1} FETCH (UID {uids[i]} FLAGS ({flags}))", lines[i]);
        }
        Assert.Equal("a OK UID FETCH completed", lines[^1]);
    }
}
