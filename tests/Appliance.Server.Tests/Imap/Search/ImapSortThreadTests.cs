using Appliance.Server.Tests.Imap.Selected;
using Appliance.Server.Tests.Imap.Session;
using static Appliance.Server.Tests.Imap.Search.SearchTestMessages;

namespace Appliance.Server.Tests.Imap.Search;

/// <summary>
/// SORT (RFC 5256 section 3, RFC 5957 DISPLAYFROM / DISPLAYTO) and THREAD (RFC 5256 ORDEREDSUBJECT and
/// REFERENCES) as exact transcripts over a real socket against the real store.
/// </summary>
public sealed class ImapSortThreadTests
{
    /// <summary>
    /// Four messages (UIDs 2 to 5) whose keys order differently: arrival 1 3 2 4; sent date 3 (none:
    /// its INTERNALDATE), 2 (23:00 -0500, after midnight UTC), then 1 and 4 at the same instant.
    /// </summary>
    private static async Task<ImapStoreTestServer> StartWithSortMessagesAsync()
    {
        var server = await ImapStoreTestServer.StartAsync();
        await OffsetUidsAsync(server);
        await server.AppendAsync(Build("short",
            ("From", "\"Zed Alpha\" <zed@a.example>"), ("To", "bob@x.example"), ("Cc", "mia@x.example"),
            ("Subject", "Re: banana"), ("Date", "Thu, 5 Nov 2026 10:00:00 +0000")), date: Utc(1));
        await server.AppendAsync(Build("a much longer body than the others, to be the largest message of all",
            ("From", "amy <amy@b.example>"), ("To", "Carl <zoe@x.example>"),
            ("Subject", "Apple"), ("Date", "Wed, 4 Nov 2026 23:00:00 -0500")), date: Utc(3));
        await server.AppendAsync(Build("medium body",
            ("From", "bob@c.example"), ("To", "Ann <ann@x.example>"), ("Cc", "alex@x.example"),
            ("Subject", "[list] Fwd: cherry (fwd)")), date: Utc(2));
        await server.AppendAsync(Build("tiny",
            ("From", "<mike@d.example>"), ("Subject", "banana"), ("Date", "Thu, 5 Nov 2026 11:00:00 +0100")), date: Utc(4));
        return server;
    }

    [Fact]
    public async Task Sort_by_each_key_and_reverse_with_ties_by_sequence_number()
    {
        await using var server = await StartWithSortMessagesAsync();
        var sizes = server.AliceAccount.ListMessagesByUid("INBOX").Select(m => m.Size).ToArray();
        string bySize = string.Join(' ', Enumerable.Range(1, 4).OrderBy(n => sizes[n - 1]).ThenBy(n => n));
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        foreach (var (criteria, expected) in new[]
        {
            ("ARRIVAL", "1 3 2 4"),
            ("REVERSE ARRIVAL", "4 2 3 1"),
            ("DATE", "3 2 1 4"),
            ("REVERSE DATE", "1 4 2 3"), // the tie of 1 and 4 stays in sequence order
            ("FROM", "2 3 4 1"), // amy, bob, mike, zed: the local part of the first address
            ("TO", "4 3 1 2"), // none sorts first, then ann, bob, zoe (not the display name Carl)
            ("CC", "2 4 3 1"),
            ("SUBJECT", "2 1 4 3"), // Apple, banana (Re: removed), banana, cherry ([list] Fwd: and (fwd) removed)
            ("SIZE", bySize),
            ("REVERSE SUBJECT ARRIVAL", "3 1 4 2"),
            ("SUBJECT REVERSE DATE", "2 1 4 3"),
            ("DISPLAYFROM", "2 3 4 1"), // amy, bob@c.example, mike@d.example, Zed Alpha
            ("DISPLAYTO", "4 3 1 2"), // none, Ann, bob@x.example, Carl
        })
        {
            Assert.Equal([$"* SORT {expected}", "s OK SORT completed"], await client.CommandAsync("s", $"SORT ({criteria}) UTF-8 ALL"));
        }
        Assert.Equal(["* SORT 4 5 2", "u OK UID SORT completed"], await client.CommandAsync("u", "UID SORT (FROM) US-ASCII NOT FROM amy"));
        Assert.Equal(["* SORT", "e OK SORT completed"], await client.CommandAsync("e", "SORT (DATE) UTF-8 DRAFT"));
    }

    [Fact]
    public async Task Sort_syntax_errors()
    {
        await using var server = await StartWithSortMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["a BAD Syntax: SORT (sort-criteria) charset search-criteria"], await client.CommandAsync("a", "SORT DATE UTF-8 ALL"));
        Assert.Equal(["b BAD Unknown sort key COLOR"], await client.CommandAsync("b", "SORT (COLOR) UTF-8 ALL"));
        Assert.Equal(["c BAD REVERSE must be followed by a sort key"], await client.CommandAsync("c", "SORT (DATE REVERSE) UTF-8 ALL"));
        Assert.Equal(["d NO [BADCHARSET (UTF-8 US-ASCII)] Charset KOI8-R is not supported"], await client.CommandAsync("d", "SORT (DATE) KOI8-R ALL"));
        Assert.Equal(["e BAD Syntax: SORT (sort-criteria) charset search-criteria"], await client.CommandAsync("e", "SORT (DATE) UTF-8"));
    }

    /// <summary>
    /// A conversation with a missing parent, a reference loop (5 and 6 cite each other), a message
    /// without Message-ID, a duplicate Message-ID (8 repeats 1's) and two replies to a message that is
    /// not in the mailbox.
    /// </summary>
    private static async Task<ImapStoreTestServer> StartWithConversationAsync()
    {
        var server = await ImapStoreTestServer.StartAsync();
        await OffsetUidsAsync(server);
        async Task Add(string? id, string subject, int day, int hour, string? references = null, string? inReplyTo = null) =>
            await server.AppendAsync(Build("text",
                ("Message-ID", id), ("References", references), ("In-Reply-To", inReplyTo), ("From", "x@example.org"),
                ("Subject", subject), ("Date", $"{day} Nov 2026 {hour:00}:00:00 +0000")), date: Utc(10));
        await Add("<a@x>", "Plans", 1, 10);
        await Add("<b@x>", "Re: Plans", 1, 11, references: "<a@x>");
        await Add("<c@x>", "Re: Plans", 1, 12, references: "<a@x> <missing@x>");
        await Add("<d@x>", "Re: Plans", 1, 13, inReplyTo: "<b@x>");
        await Add("<e@x>", "Loop", 2, 0, references: "<f@x>");
        await Add("<f@x>", "Re: Loop", 2, 1, references: "<e@x>");
        await Add(null, "Other", 3, 0);
        await Add("<a@x>", "Plans", 4, 0);
        await Add("<i@x>", "Orphan topic", 5, 0, references: "<zz@x>");
        await Add("<j@x>", "Re: Orphan topic", 5, 1, references: "<zz@x>");
        return server;
    }

    [Fact]
    public async Task Thread_references_handles_missing_parents_loops_and_duplicates()
    {
        await using var server = await StartWithConversationAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        // 1 has replies 2 (with its own reply 4, by In-Reply-To) and 3 (whose direct parent is missing);
        // 8 duplicates 1's Message-ID, so it stands alone and joins 1 under a dummy by subject; the loop
        // keeps 6 as the parent of 5 (5's link came first); 9 and 10 share an absent parent: a dummy.
        Assert.Equal(["* THREAD ((1 (2 4)(3))(8))(6 5)(7)((9)(10))", "t OK THREAD completed"],
            await client.CommandAsync("t", "THREAD REFERENCES UTF-8 ALL"));
        Assert.Equal(["* THREAD ((2 (3 5)(4))(9))(7 6)(8)((10)(11))", "u OK UID THREAD completed"],
            await client.CommandAsync("u", "UID THREAD REFERENCES UTF-8 ALL"));
        // Only the messages that match are threaded.
        Assert.Equal(["* THREAD ((1 (2)(3))(8))", "v OK THREAD completed"],
            await client.CommandAsync("v", "THREAD REFERENCES UTF-8 1:3,8"));
    }

    [Fact]
    public async Task Thread_orderedsubject_groups_by_base_subject()
    {
        await using var server = await StartWithConversationAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["* THREAD (1 (2)(3)(4)(8))(5 6)(7)(9 10)", "t OK THREAD completed"],
            await client.CommandAsync("t", "THREAD ORDEREDSUBJECT UTF-8 ALL"));
        Assert.Equal(["* THREAD", "e OK THREAD completed"], await client.CommandAsync("e", "THREAD ORDEREDSUBJECT UTF-8 DRAFT"));
        Assert.Equal(["b BAD Unknown threading algorithm JWZ; use REFERENCES or ORDEREDSUBJECT"],
            await client.CommandAsync("b", "THREAD JWZ UTF-8 ALL"));
        Assert.Equal(["c NO [BADCHARSET (UTF-8 US-ASCII)] Charset BIG5 is not supported"], await client.CommandAsync("c", "THREAD REFERENCES BIG5 ALL"));
    }
}
