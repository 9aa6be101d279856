using Appliance.Server.Tests.Imap.Selected;
using Appliance.Storage.Mail;
using static Appliance.Server.Tests.Imap.Fetch.FetchTestSupport;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>
/// BODY[section]&lt;partial&gt;, BODY.PEEK, RFC822.* and \Seen (RFC 9051 6.4.5, 7.5.2; RFC 3501 6.4.5)
/// over a multipart message with a nested message/rfc822, as exact transcripts.
/// </summary>
public sealed class FetchBodySectionTests
{
    private const string InnerHeader = "From: Dave <dave@example.com>\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n";
    private const string InnerText =
        "--b2\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx=3Dy=20=\r\nz\r\n" +
        "--b2\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b2--\r\n";

    private static string TopHeader => Multipart[..(Multipart.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)];

    [Fact]
    public async Task Part_numbers_reach_into_a_nested_message_and_its_multipart()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal([.. Lines("* 1 FETCH (BODY[1] ", "Hello", ")"), "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 BODY.PEEK[1]"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[2] ", "AAECAwBm", ")"), "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 BODY.PEEK[2]"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[3] ", InnerHeader + InnerText, ")"), "c OK FETCH completed"], await client.CommandAsync("c", "FETCH 1 BODY.PEEK[3]"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[3.HEADER] ", InnerHeader, ")"), "d OK FETCH completed"], await client.CommandAsync("d", "FETCH 1 BODY.PEEK[3.HEADER]"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[3.TEXT] ", InnerText, ")"), "e OK FETCH completed"], await client.CommandAsync("e", "FETCH 1 BODY.PEEK[3.TEXT]"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[3.1] ", "x=3Dy=20=\r\nz", ")"), "f OK FETCH completed"], await client.CommandAsync("f", "FETCH 1 BODY.PEEK[3.1]"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[3.2] ", "<p>hi</p>", ")"), "g OK FETCH completed"], await client.CommandAsync("g", "FETCH 1 BODY.PEEK[3.2]"));
        Assert.Equal(
            [.. Lines("* 1 FETCH (BODY[3.1.MIME] ", "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", ")"), "h OK FETCH completed"],
            await client.CommandAsync("h", "FETCH 1 BODY.PEEK[3.1.MIME]"));
        Assert.Equal(
            [.. Lines("* 1 FETCH (BODY[3.HEADER.FIELDS (SUBJECT)] ", "Subject: inner\r\n\r\n", ")"), "i OK FETCH completed"],
            await client.CommandAsync("i", "FETCH 1 BODY.PEEK[3.HEADER.FIELDS (SUBJECT)]"));
        Assert.Equal(
            [.. Lines("* 1 FETCH (BODY[4.MIME] ", "Content-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n", ")"), "j OK FETCH completed"],
            await client.CommandAsync("j", "FETCH 1 BODY.PEEK[4.MIME]"));
        Assert.DoesNotContain(server.AliceAccount.Snapshot("INBOX").Messages, m => m.Flags != MessageFlags.None);
    }

    [Fact]
    public async Task Sections_that_do_not_exist_or_do_not_apply_are_empty_strings()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        // Mark Crispin (imap-protocol, 2011): HEADER or TEXT of a part that is no message/rfc822 is "".
        Assert.Equal(
        [
            "* 1 FETCH (BODY[9] \"\" BODY[1.HEADER] \"\" BODY[1.TEXT] \"\" BODY[3.9] \"\" BODY[1.1.1.1.1.1.1.1] \"\" BODY[3.2.HEADER] \"\")",
            "a OK FETCH completed",
        ], await client.CommandAsync("a", "FETCH 1 (BODY.PEEK[9] BODY.PEEK[1.HEADER] BODY.PEEK[1.TEXT] BODY.PEEK[3.9] BODY.PEEK[1.1.1.1.1.1.1.1] BODY.PEEK[3.2.HEADER])"));
    }

    /// <summary>The CRLF before a delimiter belongs to the delimiter (RFC 2046 5.1.1), so part 2 ends at "Inside".</summary>
    [Fact]
    public async Task A_single_part_message_is_its_own_part_1_and_a_nested_single_part_message_is_n_1()
    {
        const string inner = "Subject: inner\r\nContent-Type: text/plain\r\n\r\nInside\r\n";
        const string message =
            "Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
            "--b\r\n\r\nFirst\r\n" +
            "--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner +
            "--b--\r\n";
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync("Subject: single\r\n\r\nJust text\r\n");
        await server.AppendAsync(message);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(
            [.. Split($"* 1 FETCH (BODY[1] {Sent("Just text\r\n")} BODY[1.MIME] {Sent("Subject: single\r\n\r\n")} BODY[TEXT] {Sent("Just text\r\n")})"), "a OK FETCH completed"],
            await client.CommandAsync("a", "FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[TEXT])"));
        Assert.Equal(
            [.. Split($"* 2 FETCH (BODY[2] {Sent(inner[..^2])} BODY[2.HEADER] {Sent("Subject: inner\r\nContent-Type: text/plain\r\n\r\n")} " +
                $"BODY[2.TEXT] {Sent("Inside")} BODY[2.1] {Sent("Inside")} BODY[1] {Sent("First")})"), "b OK FETCH completed"],
            await client.CommandAsync("b", "FETCH 2 (BODY.PEEK[2] BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY.PEEK[2.1] BODY.PEEK[1])"));
    }

    [Fact]
    public async Task A_message_without_a_blank_line_is_all_header_and_has_an_empty_text()
    {
        const string message = "Subject: no body\r\nFrom: Carol <carol@example.net>\r\n";
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(message);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        // RFC 9051 6.4.5: the blank line is in every header fetch "except in the case of a message which has no body and no blank line".
        Assert.Equal(
            [.. Split($"* 1 FETCH (BODY[HEADER] {Sent(message)} BODY[HEADER.FIELDS (FROM)] {Sent("From: Carol <carol@example.net>\r\n")} BODY[TEXT] \"\")"), "a OK FETCH completed"],
            await client.CommandAsync("a", "FETCH 1 (BODY.PEEK[HEADER] BODY.PEEK[HEADER.FIELDS (FROM)] BODY.PEEK[TEXT])"));
    }

    [Fact]
    public async Task A_header_larger_than_the_parsers_header_limit_still_ends_where_the_body_starts()
    {
        var header = new System.Text.StringBuilder("Subject: long\r\n");
        for (int i = 0; header.Length < 150 * 1024; i++)
            header.Append("X-Filler-").Append(i).Append(": ").Append('x', 900).Append("\r\n");
        header.Append("\r\n");
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(header + "Body\r\n");
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal([.. Split($"* 1 FETCH (BODY[TEXT] {Sent("Body\r\n")})"), "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 BODY.PEEK[TEXT]"));
        var lines = await client.CommandAsync("b", "FETCH 1 BODY.PEEK[HEADER]");
        Assert.Equal($"* 1 FETCH (BODY[HEADER] {{{header.Length}}}", lines[0]);
        Assert.Equal("b OK FETCH completed", lines[^1]);
    }

    [Fact]
    public async Task Whole_message_header_and_text_and_their_rfc822_forms()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client, examine: true);
        string text = Multipart[TopHeader.Length..];

        Assert.Equal([.. Lines("* 1 FETCH (BODY[HEADER] ", TopHeader, ")"), "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 BODY.PEEK[HEADER]"));
        Assert.Equal([.. Lines("* 1 FETCH (RFC822.HEADER ", TopHeader, ")"), "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 RFC822.HEADER"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[TEXT] ", text, ")"), "c OK FETCH completed"], await client.CommandAsync("c", "FETCH 1 BODY[TEXT]"));
        Assert.Equal([.. Lines("* 1 FETCH (RFC822.TEXT ", text, ")"), "d OK FETCH completed"], await client.CommandAsync("d", "FETCH 1 RFC822.TEXT"));
        Assert.Equal([.. Lines($"* 1 FETCH (RFC822.SIZE {Multipart.Length} BODY[] ", Multipart, ")"), "e OK FETCH completed"],
            await client.CommandAsync("e", "FETCH 1 (RFC822.SIZE BODY[])"));
        Assert.Equal([.. Lines("* 1 FETCH (RFC822 ", Multipart, ")"), "f OK FETCH completed"], await client.CommandAsync("f", "FETCH 1 RFC822"));
    }

    [Fact]
    public async Task Header_fields_match_names_case_insensitively_in_header_order()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(
            [.. Lines("* 1 FETCH (BODY[HEADER.FIELDS (subject FROM X-None)] ", "From: Carol <carol@example.net>\r\nSubject: parts\r\n\r\n", ")"), "a OK FETCH completed"],
            await client.CommandAsync("a", "FETCH 1 BODY.PEEK[HEADER.FIELDS (subject FROM X-None)]"));
        Assert.Equal(
            [.. Lines("* 1 FETCH (BODY[HEADER.FIELDS.NOT (TO date Message-id MIME-VERSION content-type)] ", "From: Carol <carol@example.net>\r\nSubject: parts\r\n\r\n", ")"), "b OK FETCH completed"],
            await client.CommandAsync("b", "FETCH 1 body.peek[header.fields.not (TO date Message-id MIME-VERSION content-type)]"));
        // Only the blank line when nothing matches: it "is included in all header fetches".
        Assert.Equal([.. Lines("* 1 FETCH (BODY[HEADER.FIELDS (X-None)] ", "\r\n", ")"), "c OK FETCH completed"],
            await client.CommandAsync("c", "FETCH 1 BODY.PEEK[HEADER.FIELDS (X-None)]"));
    }

    [Fact]
    public async Task Partial_fetches_cut_the_text_and_name_only_the_origin()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal([.. Lines("* 1 FETCH (BODY[1]<0> ", "Hel", ")"), "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 BODY.PEEK[1]<0.3>"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[1]<3> ", "lo", ")"), "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 BODY.PEEK[1]<3.100>"));
        Assert.Equal(["* 1 FETCH (BODY[1]<5> \"\" BODY[]<9223372036854775807> \"\")", "c OK FETCH completed"],
            await client.CommandAsync("c", "FETCH 1 (BODY.PEEK[1]<5.10> BODY.PEEK[]<9223372036854775807.9223372036854775807>)"));
        // RFC 9051 6.4.5: BODY[]<0.2048> of a shorter message is BODY[]<0> with the whole message.
        Assert.Equal([.. Lines("* 1 FETCH (BODY[]<0> ", Multipart, ")"), "d OK FETCH completed"], await client.CommandAsync("d", "FETCH 1 BODY.PEEK[]<0.100000>"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[HEADER.FIELDS (Subject)]<2> ", "bject: parts\r\n\r\n", ")"), "e OK FETCH completed"],
            await client.CommandAsync("e", "FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]<2.100>"));
    }

    [Fact]
    public async Task Body_without_peek_sets_seen_once_and_reports_the_flags_in_the_same_response()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var first = await server.AppendAsync(Multipart);
        var second = await server.AppendAsync(Multipart, flags: MessageFlags.Flagged);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        Assert.Equal(
        [
            .. Lines("* 1 FETCH (BODY[1] ", "Hello", " FLAGS (\\Seen))"),
            .. Lines("* 2 FETCH (BODY[1] ", "Hello", " FLAGS (\\Flagged \\Seen))"),
            "a OK FETCH completed",
        ], await client.CommandAsync("a", "FETCH 1:2 BODY[1]"));
        Assert.Equal(MessageFlags.Seen, server.AliceAccount.GetMessage("INBOX", first).Flags);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, server.AliceAccount.GetMessage("INBOX", second).Flags);
        // The change was this session's own: NOOP does not repeat it, and a second BODY[] changes nothing.
        Assert.Equal(["b OK NOOP completed"], await client.CommandAsync("b", "NOOP"));
        Assert.Equal([.. Lines("* 1 FETCH (BODY[1] ", "Hello", ")"), "c OK FETCH completed"], await client.CommandAsync("c", "FETCH 1 BODY[1]"));
    }

    [Fact]
    public async Task Peek_rfc822_header_and_examine_leave_seen_alone_and_rfc822_sets_it()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        var uid = await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();

        await SelectAsync(client, examine: true);
        Assert.Equal([.. Lines("* 1 FETCH (BODY[1] ", "Hello", ")"), "a OK FETCH completed"], await client.CommandAsync("a", "FETCH 1 BODY[1]"));
        Assert.Equal(MessageFlags.None, server.AliceAccount.GetMessage("INBOX", uid).Flags);

        await SelectAsync(client);
        Assert.Equal([.. Lines("* 1 FETCH (RFC822.HEADER ", TopHeader, ")"), "b OK FETCH completed"], await client.CommandAsync("b", "FETCH 1 RFC822.HEADER"));
        Assert.Equal(["* 1 FETCH (BINARY.SIZE[1] 5)", "c OK FETCH completed"], await client.CommandAsync("c", "FETCH 1 BINARY.SIZE[1]"));
        Assert.Equal(MessageFlags.None, server.AliceAccount.GetMessage("INBOX", uid).Flags);
        Assert.Equal([.. Lines($"* 1 FETCH (UID {uid} RFC822 ", Multipart, " FLAGS (\\Seen))"), "d OK UID FETCH completed"],
            await client.CommandAsync("d", $"UID FETCH {uid} RFC822"));
        Assert.Equal(MessageFlags.Seen, server.AliceAccount.GetMessage("INBOX", uid).Flags);
    }

    /// <summary>Part 3's 246 octets and 15 lines are its body: the inner message up to the CRLF before "--b1".</summary>
    [Fact]
    public async Task Bodystructure_of_a_multipart_with_a_nested_message()
    {
        await using var server = await ImapStoreTestServer.StartAsync();
        await server.AppendAsync(Multipart);
        using var client = await server.LoginAsync();
        await SelectAsync(client);

        const string plain = "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 0";
        const string octets = "(\"application\" \"octet-stream\" NIL NIL NIL \"base64\" 8";
        var lines = await client.CommandAsync("a", "FETCH 1 (BODYSTRUCTURE BODY)");
        Assert.Equal(
        [
            "* 1 FETCH (BODYSTRUCTURE (" + plain + " NIL NIL NIL NIL)" + octets + " NIL NIL NIL NIL)" +
                "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 246 " +
                "(NIL \"inner\" ((\"Dave\" NIL \"dave\" \"example.com\")) ((\"Dave\" NIL \"dave\" \"example.com\")) ((\"Dave\" NIL \"dave\" \"example.com\")) NIL NIL NIL NIL NIL) " +
                "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"quoted-printable\" 12 1 NIL NIL NIL NIL)" +
                "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"b2\") NIL NIL NIL) 15 NIL NIL NIL NIL)" +
                "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"x-uuencode\" 11 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL) " +
                "BODY (" + plain + ")" + octets + ")" +
                "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 246 " +
                "(NIL \"inner\" ((\"Dave\" NIL \"dave\" \"example.com\")) ((\"Dave\" NIL \"dave\" \"example.com\")) ((\"Dave\" NIL \"dave\" \"example.com\")) NIL NIL NIL NIL NIL) " +
                "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"quoted-printable\" 12 1)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 9 0) \"alternative\") 15)" +
                "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"x-uuencode\" 11 0) \"mixed\"))",
            "a OK FETCH completed",
        ], lines);
    }
}
