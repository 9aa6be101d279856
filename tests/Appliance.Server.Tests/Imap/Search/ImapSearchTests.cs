using System.Text;
using Appliance.Server.Tests.Imap.Selected;
using Appliance.Server.Tests.Imap.Session;
using Appliance.Storage.Mail;
using static Appliance.Server.Tests.Imap.Search.SearchTestMessages;

namespace Appliance.Server.Tests.Imap.Search;

/// <summary>
/// SEARCH and UID SEARCH (RFC 9051 6.4.4, RFC 3501 6.4.4), ESEARCH (RFC 4731), SEARCHRES (RFC 5182)
/// and the MODSEQ criterion (RFC 7162 3.1.5) as exact transcripts over a real socket against the
/// real store. The mailbox has three messages whose UIDs (2, 3, 4) differ from their sequence numbers.
/// </summary>
public sealed class ImapSearchTests
{
    private static async Task<ImapStoreTestServer> StartWithMessagesAsync()
    {
        var server = await ImapStoreTestServer.StartAsync();
        await OffsetUidsAsync(server);
        await server.AppendAsync(Build("Let's meet at noon today.",
            ("From", "\"Zed Alpha\" <zed@example.net>"), ("To", "bob@example.org"), ("Cc", "carol@example.com"),
            ("Subject", "Re: Lunch plans"), ("Date", "Mon, 2 Nov 2026 10:00:00 +0000"), ("Message-ID", "<one@example.net>")),
            flags: MessageFlags.Seen, date: Utc(2, 10));
        await server.AppendAsync(Build(Convert.ToBase64String("The quarterly numbers are attached."u8.ToArray()),
            ("From", "alice@example.org"), ("To", "\"Yvonne\" <yvonne@example.net>"), ("Subject", "=?utf-8?q?Gr=C3=BC=C3=9Fe?="),
            ("Date", "Tue, 3 Nov 2026 23:30:00 -0500"), ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Transfer-Encoding", "base64")),
            flags: MessageFlags.Flagged | MessageFlags.Answered, keywords: ["$Work"], date: Utc(3, 23));
        await server.AppendAsync(Build("<p>Lunch at <b>no=\r\non</b>?</p>",
            ("From", "bob@example.net"), ("To", "alice@example.org"), ("Bcc", "dave@example.org"), ("List-Id", "Team <team.lists.example>"),
            ("Subject", "Lunch plans"), ("MIME-Version", "1.0"),
            ("Content-Type", "text/html; charset=us-ascii"), ("Content-Transfer-Encoding", "quoted-printable")),
            flags: MessageFlags.Deleted, date: Utc(5));
        return server;
    }

    private static async Task<List<string>> Search(ImapTestClient client, string criteria) =>
        await client.CommandAsync("s", "SEARCH " + criteria);

    /// <summary>Checks a rev1 "* SEARCH" answer for each criteria string.</summary>
    private static async Task AssertSearch(ImapTestClient client, params (string Criteria, string Expected)[] cases)
    {
        foreach (var (criteria, expected) in cases)
        {
            Assert.Equal([expected.Length == 0 ? "* SEARCH" : "* SEARCH " + expected, "s OK SEARCH completed"], await Search(client, criteria));
        }
    }

    [Fact]
    public async Task Flag_keyword_and_rev1_keys()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await AssertSearch(client,
            ("ALL", "1 2 3"), ("SEEN", "1"), ("UNSEEN", "2 3"), ("FLAGGED ANSWERED", "2"), ("UNFLAGGED", "1 3"), ("UNANSWERED", "1 3"),
            ("DELETED", "3"), ("UNDELETED", "1 2"), ("DRAFT", ""), ("UNDRAFT", "1 2 3"),
            ("KEYWORD $work", "2"), ("UNKEYWORD $Work", "1 3"), ("KEYWORD $Junk", ""),
            ("NEW", ""), ("RECENT", ""), ("OLD", "1 2 3"));
    }

    [Fact]
    public async Task Date_and_size_keys()
    {
        await using var server = await StartWithMessagesAsync();
        var sizes = server.AliceAccount.ListMessagesByUid("INBOX").Select(m => m.Size).ToArray();
        long middle = sizes.Order().ElementAt(1);
        string Where(Func<long, bool> test) => string.Join(' ', Enumerable.Range(1, 3).Where(n => test(sizes[n - 1])));
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await AssertSearch(client,
            // INTERNALDATE by day (the store keeps UTC): message 2 arrived at 23:00 on 3 November.
            ("ON 3-Nov-2026", "2"), ("BEFORE 3-Nov-2026", "1"), ("SINCE 3-nov-2026", "2 3"), ("SINCE \"05-Nov-2026\"", "3"),
            ("BEFORE 1-Jan-2000", ""),
            // Date: by its own day: 23:30 -0500 on 3 November is the 4th in UTC, and still the 3rd here.
            ("SENTON 3-Nov-2026", "2"), ("SENTON 4-Nov-2026", ""), ("SENTBEFORE 3-Nov-2026", "1"), ("SENTSINCE 2-Nov-2026", "1 2"),
            ($"LARGER {middle}", Where(s => s > middle)), ($"SMALLER {middle}", Where(s => s < middle)),
            ("LARGER 0", "1 2 3"), ("SMALLER 1", ""));
    }

    [Fact]
    public async Task Header_keys_match_decoded_substrings_ignoring_case()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await AssertSearch(client,
            ("FROM zed", "1"), ("FROM \"ZED ALPHA\"", "1"), ("FROM example.org", "2"), ("TO yvonne", "2"), ("TO alice", "3"),
            ("CC carol@example.com", "1"), ("BCC dave", "3"), ("SUBJECT lunch", "1 3"), ("SUBJECT \"re: lunch\"", "1"),
            ("HEADER List-Id \"\"", "3"), ("HEADER list-id lists.example", "3"), ("HEADER X-Nothing \"\"", ""),
            ("HEADER Message-ID one@", "1"), ("CC \"\"", "1"));
        // A UTF-8 string in a literal: the encoded-word "Grüße" is compared decoded, case-insensitively.
        await client.Raw.Stream.WriteAsync(Encoding.UTF8.GetBytes("u SEARCH CHARSET UTF-8 SUBJECT {7+}\r\ngrÜße\r\n"));
        Assert.Equal("* SEARCH 2", await client.ReadLineAsync());
        Assert.Equal("u OK SEARCH completed", await client.ReadLineAsync());
        Assert.Equal(["* SEARCH 1", "v OK SEARCH completed"], await client.CommandAsync("v", "SEARCH CHARSET us-ascii FROM zed"));
        Assert.Equal(["w NO [BADCHARSET (UTF-8 US-ASCII)] Charset ISO-8859-1 is not supported"],
            await client.CommandAsync("w", "SEARCH CHARSET ISO-8859-1 FROM zed"));
    }

    [Fact]
    public async Task Subject_answers_from_the_index_row_agree_with_the_header_in_every_odd_case()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await OffsetUidsAsync(server);
        // 1: a second Subject field holds the word (the cached subject is the first field only).
        await server.AppendAsync(Build("x", ("Subject", "Weekly notes"), ("Subject", "Quarterly figures")));
        // 2: folded, with runs of white space (the cached subject has them collapsed).
        await server.AppendAsync(Build("x", ("Subject", "Quarterly\r\n   report  due")));
        // 3: an encoded word in mixed case, non-ASCII letters.
        await server.AppendAsync(Build("x", ("Subject", "=?iso-8859-1?q?=C9T=C9_quarterly?= R\u00e9sum\u00e9")));
        // 4: no Subject at all, the word elsewhere in the header.
        await server.AppendAsync(Build("x", ("X-Note", "quarterly")));
        // 5: beyond ASCII case folding: "STRASSE" does not match "straße" (no full case folding), "ΣΊΣΥΦΟΣ" matches "σίσυφος".
        await server.AppendAsync(Build("x", ("Subject", "=?utf-8?q?Stra=C3=9Fe_=CF=83=CE=AF=CF=83=CF=85=CF=86=CE=BF=CF=82?=")));
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await AssertSearch(client,
            ("SUBJECT quarterly", "1 2 3"), ("SUBJECT QUARTERLY", "1 2 3"), ("SUBJECT \"quarterly report\"", ""),
            ("SUBJECT \"quarterly   report\"", "2"), ("SUBJECT \"report  due\"", "2"), ("SUBJECT weekly", "1"),
            ("SUBJECT \"\"", "1 2 3 5"), ("SUBJECT ly", "1 2 3"), ("SUBJECT uarterl", "1 2 3"),
            ("HEADER X-Note quarterly", "4"), ("NOT SUBJECT quarterly", "4 5"), ("OR SUBJECT weekly SUBJECT due", "1 2"));
        foreach (var (criteria, expected) in new[] { ("ÉTÉ", "3"), ("été", "3"), ("RÉSUMÉ", "3"), ("ΣΊΣΥΦΟΣ", "5"), ("STRASSE", "") })
        {
            int length = Encoding.UTF8.GetByteCount(criteria);
            await client.Raw.Stream.WriteAsync(Encoding.UTF8.GetBytes($"u SEARCH CHARSET UTF-8 SUBJECT {{{length}+}}\r\n{criteria}\r\n"));
            Assert.Equal(expected.Length == 0 ? "* SEARCH" : "* SEARCH " + expected, await client.ReadLineAsync());
            Assert.Equal("u OK SEARCH completed", await client.ReadLineAsync());
        }
    }

    [Fact]
    public async Task Body_and_text_use_the_full_text_index_on_decoded_parts()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await AssertSearch(client,
            ("BODY noon", "1 3"), // plain text, and QP-encoded HTML with a soft line break inside the word
            ("BODY lunch", "3"), ("TEXT lunch", "1 3"), // TEXT includes the header
            ("BODY QUARTERLY", "2"), ("BODY \"numbers are\"", "2"), // base64
            ("BODY \"<b>\"", ""), ("TEXT zed@example", "1"), ("BODY zed@example", ""),
            ("BODY oo", "1 3"), ("BODY \"\"", "1 2 3"));
    }

    [Fact]
    public async Task Not_or_lists_and_sequence_and_uid_sets()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        await AssertSearch(client,
            ("NOT SEEN", "2 3"), ("NOT NOT SEEN", "1"), ("OR SEEN FLAGGED", "1 2"), ("OR (SEEN FROM zed) DELETED", "1 3"),
            ("OR NOT SEEN KEYWORD $Work UNDELETED", "2"), ("NOT (UNSEEN OR DELETED FLAGGED)", "1"), ("(((SEEN)))", "1"),
            ("OR OR SEEN FLAGGED DELETED", "1 2 3"), ("NOT OR BODY noon FROM alice", ""),
            ("2:*", "2 3"), ("*", "3"), ("1,3", "1 3"), ("3:1 UNSEEN", "2 3"), ("4:9", ""), ("1:4294967295", "1 2 3"),
            ("UID 3", "2"), ("UID 3:*", "2 3"), ("UID 1,4", "3"), ("UID 5:4294967295", ""), ("NOT UID 2:3", "3"));
        Assert.Equal(["* SEARCH 2 4", "u1 OK UID SEARCH completed"], await client.CommandAsync("u1", "UID SEARCH OR SEEN DELETED"));
        Assert.Equal(["* SEARCH 3 4", "u2 OK UID SEARCH completed"], await client.CommandAsync("u2", "UID SEARCH 2:3"));
        Assert.Equal(["* SEARCH", "u3 OK UID SEARCH completed"], await client.CommandAsync("u3", "UID SEARCH UID 9:* DRAFT"));
    }

    [Fact]
    public async Task Esearch_return_options_and_rev2_clients()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        using var rev2 = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["* ESEARCH (TAG \"e1\") MIN 2 MAX 3 COUNT 2", "e1 OK SEARCH completed"],
            await client.CommandAsync("e1", "SEARCH RETURN (MIN MAX COUNT) UNSEEN"));
        Assert.Equal(["* ESEARCH (TAG \"e2\") UID ALL 2:4", "e2 OK UID SEARCH completed"], await client.CommandAsync("e2", "UID SEARCH RETURN () ALL"));
        Assert.Equal(["* ESEARCH (TAG \"e3\") UID MIN 2 ALL 2,4", "e3 OK UID SEARCH completed"],
            await client.CommandAsync("e3", "UID SEARCH RETURN (ALL MIN) OR SEEN DELETED"));
        Assert.Equal(["* ESEARCH (TAG \"e4\") COUNT 0", "e4 OK SEARCH completed"], await client.CommandAsync("e4", "SEARCH RETURN (COUNT) DRAFT"));
        Assert.Equal(["* ESEARCH (TAG \"e5\")", "e5 OK SEARCH completed"], await client.CommandAsync("e5", "SEARCH RETURN (MIN MAX ALL) DRAFT"));
        Assert.Equal(["e6 BAD Unknown RETURN option PARTIAL"], await client.CommandAsync("e6", "SEARCH RETURN (PARTIAL) ALL"));

        Assert.Equal(["* ENABLED IMAP4rev2", "en OK ENABLE completed"], await rev2.CommandAsync("en", "ENABLE IMAP4rev2"));
        await SelectAsync(rev2);
        // RFC 9051 6.4.4: an IMAP4rev2 client gets ESEARCH, as if it had asked RETURN (ALL).
        Assert.Equal(["* ESEARCH (TAG \"r1\") ALL 1:2", "r1 OK SEARCH completed"], await rev2.CommandAsync("r1", "SEARCH UNDELETED"));
        Assert.Equal(["* ESEARCH (TAG \"r2\") UID ALL 4", "r2 OK UID SEARCH completed"], await rev2.CommandAsync("r2", "UID SEARCH DELETED"));
        Assert.Equal(["* ESEARCH (TAG \"r3\")", "r3 OK SEARCH completed"], await rev2.CommandAsync("r3", "SEARCH DRAFT"));
        Assert.Equal(["* ESEARCH (TAG \"r4\") COUNT 3", "r4 OK SEARCH completed"], await rev2.CommandAsync("r4", "SEARCH RETURN (COUNT) ALL"));
    }

    [Fact]
    public async Task Save_keeps_the_result_as_dollar_for_later_searches()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        // RFC 5182 2.2: SAVE alone returns no ESEARCH.
        Assert.Equal(["v1 OK SEARCH completed"], await client.CommandAsync("v1", "SEARCH RETURN (SAVE) UNSEEN"));
        Assert.Equal(["* SEARCH 3 4", "v2 OK UID SEARCH completed"], await client.CommandAsync("v2", "UID SEARCH $"));
        Assert.Equal(["* SEARCH 3", "v3 OK SEARCH completed"], await client.CommandAsync("v3", "SEARCH $ DELETED"));
        Assert.Equal(["* SEARCH 2", "v4 OK SEARCH completed"], await client.CommandAsync("v4", "SEARCH UID $ FLAGGED"));
        // RFC 5182 2.4: with MIN (and no ALL or COUNT) only the minimum is kept.
        Assert.Equal(["* ESEARCH (TAG \"v5\") UID MIN 2", "v5 OK UID SEARCH completed"], await client.CommandAsync("v5", "UID SEARCH RETURN (SAVE MIN) ALL"));
        Assert.Equal(["* SEARCH 1", "v6 OK SEARCH completed"], await client.CommandAsync("v6", "SEARCH $"));
        Assert.Equal(["* ESEARCH (TAG \"v7\") COUNT 2", "v7 OK SEARCH completed"], await client.CommandAsync("v7", "SEARCH RETURN (SAVE COUNT) OR SEEN DELETED"));
        Assert.Equal(["* SEARCH 1 3", "v8 OK SEARCH completed"], await client.CommandAsync("v8", "SEARCH $"));
        // RFC 5182 2.1: a failed SEARCH ... SAVE leaves "$" empty.
        Assert.Equal(["v9 BAD Unknown search key NOSUCHKEY"], await client.CommandAsync("v9", "SEARCH RETURN (SAVE) NOSUCHKEY"));
        Assert.Equal(["* SEARCH", "v10 OK SEARCH completed"], await client.CommandAsync("v10", "SEARCH $"));
    }

    [Fact]
    public async Task Modseq_criterion_adds_the_highest_modseq_and_turns_condstore_on()
    {
        await using var server = await StartWithMessagesAsync();
        var modSeqs = server.AliceAccount.ListMessagesByUid("INBOX").Select(m => m.ModSeq).ToArray();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal([$"* SEARCH 2 3 (MODSEQ {modSeqs[2]})", "m1 OK SEARCH completed"], await client.CommandAsync("m1", $"SEARCH MODSEQ {modSeqs[1]}"));
        Assert.Equal([$"* SEARCH 1 (MODSEQ {modSeqs[0]})", "m2 OK SEARCH completed"],
            await client.CommandAsync("m2", "SEARCH MODSEQ \"/flags/\\\\seen\" all 0 SEEN"));
        Assert.Equal(["* SEARCH", "m3 OK SEARCH completed"], await client.CommandAsync("m3", $"SEARCH MODSEQ {modSeqs[2] + 1}"));
        Assert.Equal([$"* ESEARCH (TAG \"m4\") MIN 1 MODSEQ {modSeqs[0]}", "m4 OK SEARCH completed"],
            await client.CommandAsync("m4", "SEARCH RETURN (MIN) MODSEQ 1"));
        Assert.Equal([$"* ESEARCH (TAG \"m5\") COUNT 3 MODSEQ {modSeqs.Max()}", "m5 OK SEARCH completed"],
            await client.CommandAsync("m5", "SEARCH RETURN (COUNT) MODSEQ 1"));
        // CONDSTORE is on now: a flag change reported to this session carries MODSEQ (RFC 7162 3.1.5).
        server.AliceAccount.StoreFlags("INBOX", [2], FlagOperation.Add, MessageFlags.Draft);
        var noop = await client.CommandAsync("n", "NOOP");
        Assert.Matches(@"^\* 1 FETCH \(UID 2 FLAGS \(\\Seen \\Draft\) MODSEQ \(\d+\)\)$", noop[0]);
    }

    [Fact]
    public async Task Syntax_errors_are_bad_with_a_reason()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(["b1 BAD Search criteria are missing"], await client.CommandAsync("b1", "SEARCH"));
        Assert.Equal(["b2 BAD Unknown search key FOO"], await client.CommandAsync("b2", "SEARCH FOO"));
        Assert.Equal(["b3 BAD BEFORE needs a date, e.g. BEFORE 1-Feb-2026"], await client.CommandAsync("b3", "SEARCH BEFORE 31-Feb-2026"));
        Assert.Equal(["b4 BAD SENTON needs a date, e.g. SENTON 1-Feb-2026"], await client.CommandAsync("b4", "SEARCH SENTON 1-Fox-2026"));
        Assert.Equal(["b5 BAD LARGER needs a number up to 9223372036854775807"], await client.CommandAsync("b5", "SEARCH LARGER 99999999999999999999999"));
        Assert.Equal(["b6 BAD A search key is missing"], await client.CommandAsync("b6", "SEARCH OR SEEN"));
        Assert.Equal(["b7 BAD UID needs a UID set, e.g. UID 1:100"], await client.CommandAsync("b7", "UID SEARCH UID 0:4"));
        Assert.Equal(["b8 BAD Unknown search key 4294967296"], await client.CommandAsync("b8", "SEARCH 4294967296"));
        Assert.Equal(["b9 BAD KEYWORD needs a keyword, e.g. KEYWORD $Forwarded"], await client.CommandAsync("b9", "SEARCH KEYWORD \\Seen"));
        Assert.Equal(["b10 BAD An empty list is not a search key"], await client.CommandAsync("b10", "SEARCH ()"));
        Assert.Equal(["b11 BAD HEADER needs a field name and a string, e.g. HEADER List-Id \"\""], await client.CommandAsync("b11", "SEARCH HEADER \"Bad:Name\" x"));
        // The session still works.
        Assert.Equal(["* SEARCH 1", "ok OK SEARCH completed"], await client.CommandAsync("ok", "SEARCH SEEN"));
    }

    [Fact]
    public async Task Hostile_nesting_is_refused_without_exhausting_the_stack()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        // 100 levels are allowed (ImapServerOptions.MaxSearchDepth) ...
        Assert.Equal(["* SEARCH 2 3", "n1 OK SEARCH completed"],
            await client.CommandAsync("n1", "SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 99)) + "SEEN"));
        // ... 101 are not (nor anything up to the reader's MaxArguments), and neither are lists deeper than the reader allows.
        Assert.Equal(["n2 BAD Search criteria nested deeper than 100 levels"],
            await client.CommandAsync("n2", "SEARCH " + string.Concat(Enumerable.Repeat("NOT ", 900)) + "SEEN"));
        Assert.Equal(["n3 BAD Search criteria nested deeper than 100 levels"],
            await client.CommandAsync("n3", "SEARCH " + string.Concat(Enumerable.Repeat("OR ALL ", 400)) + "ALL"));
        var deepLists = await client.CommandAsync("n4", "SEARCH " + new string('(', 5000) + "ALL" + new string(')', 5000));
        Assert.StartsWith("n4 BAD ", Assert.Single(deepLists));
        Assert.Equal(["* SEARCH 1", "ok OK SEARCH completed"], await client.CommandAsync("ok", "SEARCH SEEN"));
    }

    [Fact]
    public async Task A_search_sent_one_byte_at_a_time()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        foreach (byte b in Encoding.ASCII.GetBytes("x UID SEARCH OR FROM zed BODY {4}\r\n"))
        {
            await client.Raw.Stream.WriteAsync(new[] { b });
            await client.Raw.Stream.FlushAsync();
        }
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        foreach (byte b in Encoding.ASCII.GetBytes("noon UNDELETED\r\n"))
        {
            await client.Raw.Stream.WriteAsync(new[] { b });
            await client.Raw.Stream.FlushAsync();
        }
        Assert.Equal("* SEARCH 2", await client.ReadLineAsync());
        Assert.Equal("x OK UID SEARCH completed", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Search_needs_a_selected_mailbox()
    {
        await using var server = await StartWithMessagesAsync();
        using var client = await server.LoginAsync();
        Assert.Equal(["a BAD SEARCH needs a selected mailbox; SELECT or EXAMINE one first"], await client.CommandAsync("a", "SEARCH ALL"));
    }
}
