using System.Buffers;
using System.Text;
using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

/// <summary>The command reader on its own, fed like a PipeReader: in pieces, with every split.</summary>
public sealed class ImapCommandReaderTests
{
    private static readonly ImapReadLimits AfterLogin = new ImapServerOptions().ReadLimits(authenticated: true);
    private static readonly ImapReadLimits BeforeLogin = new ImapServerOptions().ReadLimits(authenticated: false);

    /// <summary>A multi-segment sequence, one segment per read, as a pipe hands them out.</summary>
    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }

    private static ReadOnlySequence<byte> Sequence(List<byte[]> chunks)
    {
        if (chunks.Count == 0)
            return ReadOnlySequence<byte>.Empty;
        Segment first = new(chunks[0], null), last = first;
        foreach (var chunk in chunks.Skip(1))
            last = new Segment(chunk, last);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>
    /// Feeds <paramref name="input"/> cut at <paramref name="cuts"/> and returns what the session would
    /// see: one line per result other than NeedMore. Asserts that nothing of a command is consumed
    /// before it is complete and that the buffer never holds more than <paramref name="maxBuffered"/>.
    /// </summary>
    private static (List<string> Events, List<ImapCommand> Commands, int Left) Run(byte[] bytes, IEnumerable<int> cuts, ImapReadLimits limits, long maxBuffered = long.MaxValue) =>
        Run(bytes, cuts, limits, [], maxBuffered);

    /// <param name="streamed">Receives each streamed literal's octets (LiteralData chunks joined; one event per literal).</param>
    private static (List<string> Events, List<ImapCommand> Commands, int Left) Run(byte[] bytes, IEnumerable<int> cuts, ImapReadLimits limits, List<byte[]> streamed, long maxBuffered = long.MaxValue)
    {
        var reader = new ImapCommandReader();
        var literal = new MemoryStream();
        var events = new List<string>();
        var commands = new List<ImapCommand>();
        var pending = new List<byte[]>();
        int start = 0;
        foreach (int end in cuts.Where(c => c > 0 && c < bytes.Length).Append(bytes.Length).Distinct().Order())
        {
            if (end > start)
                pending.Add(bytes[start..end]);
            start = end;
            for (int guard = 0; ; guard++)
            {
                Assert.True(guard < 10_000, "the reader loops without progress");
                var buffer = Sequence(pending);
                bool wasSkipping = reader.IsSkipping;
                var result = reader.Read(buffer, limits);
                long consumed = buffer.Slice(0, result.Consumed).Length;
                if (result.Status is ImapReadStatus.NeedMore or ImapReadStatus.NeedContinuation && !wasSkipping && !reader.IsSkipping)
                    Assert.Equal(0, consumed);
                if (consumed > 0) // like a pipe: unconsumed segments stay as they are
                {
                    var rest = buffer.Slice(result.Consumed).ToArray();
                    pending = rest.Length > 0 ? [rest] : [];
                }
                long buffered = pending.Sum(p => (long)p.Length);
                Assert.True(buffered <= maxBuffered, $"{buffered} octets buffered");
                if (result.Status == ImapReadStatus.NeedMore)
                    break;
                if (result.Status == ImapReadStatus.LiteralData)
                {
                    Assert.NotEqual(0, consumed);
                    literal.Write(result.Data.ToArray());
                    if (result.IsLastChunk)
                    {
                        events.Add($"LiteralData {literal.Length}");
                        streamed.Add(literal.ToArray());
                        literal.SetLength(0);
                    }
                    continue;
                }
                if (result.Command is { } command && result.Status == ImapReadStatus.Command)
                    commands.Add(command);
                events.Add(result.ToString());
            }
        }
        return (events, commands, pending.Sum(p => p.Length));
    }

    private static IEnumerable<int[]> EverySplit(int length)
    {
        yield return [];
        for (int i = 1; i < length; i++)
            yield return [i];
        yield return Enumerable.Range(1, length).ToArray();
        var random = new Random(length);
        for (int n = 0; n < 20; n++)
            yield return Enumerable.Range(0, 4).Select(_ => random.Next(1, length)).ToArray();
    }

    private static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    private static ImapCommand Single(string input, ImapReadLimits? limits = null)
    {
        var (events, commands, left) = Run(Bytes(input), [], limits ?? AfterLogin);
        Assert.Equal(0, left);
        return Assert.Single(commands);
    }

    [Fact]
    public void Reads_tag_name_in_upper_case_and_no_arguments()
    {
        var command = Single("a001 noop\r\n");
        Assert.Equal("a001", command.Tag);
        Assert.Equal("NOOP", command.Name);
        Assert.Empty(command.Arguments);
    }

    [Fact]
    public void Quoted_strings_unescape_and_keep_utf8()
    {
        var command = Single("A1 LOGIN \"us\\\"er\" \"p\\\\w d\xc3\xa9\"\r\n");
        Assert.Equal(["us\"er", "p\\w dé"], command.Arguments.Select(a => Encoding.UTF8.GetString(a.Bytes)));
        Assert.All(command.Arguments, a => Assert.Equal(ImapStringForm.Quoted, a.Form));
    }

    [Fact]
    public void Atoms_numbers_nil_flags_and_lists_are_typed()
    {
        var command = Single("t STORE 1:3,5 +FLAGS.SILENT (\\Seen $Junk) NIL 007 18446744073709551616 ]x\r\n");
        var kinds = command.Arguments.Select(a => a.Kind).ToArray();
        Assert.Equal([ImapArgumentKind.Atom, ImapArgumentKind.Atom, ImapArgumentKind.List, ImapArgumentKind.Nil, ImapArgumentKind.Number, ImapArgumentKind.Atom, ImapArgumentKind.Atom], kinds);
        Assert.Equal("1:3,5", command.Arguments[0].Text);
        Assert.Equal(["\\Seen", "$Junk"], command.Arguments[2].Items.Select(i => i.Text));
        Assert.Equal(7, command.Arguments[4].Number);
        Assert.Equal("007", command.Arguments[4].Text);
        Assert.True(command.Arguments[3].TryGetAString(out var nil) && Encoding.ASCII.GetString(nil) == "NIL");
        Assert.True(command.Arguments[6].TryGetAString(out _)); // "]" is an ASTRING-CHAR
        Assert.False(command.Arguments[1].TryGetNString(out _));
    }

    [Fact]
    public void Bracketed_mailbox_names_are_astrings_but_sections_with_spaces_are_not()
    {
        var command = Single("s SELECT [Gmail]/Sent\r\n");
        Assert.True(command.Arguments[0].TryGetAString(out var name));
        Assert.Equal("[Gmail]/Sent", Encoding.ASCII.GetString(name));
        Assert.False(Single("s SELECT a[b c]\r\n").Arguments[0].TryGetAString(out _));
        Assert.False(Single("s SELECT a%\r\n").Arguments[0].TryGetAString(out _));
        Assert.False(Single("s SELECT (a)\r\n").Arguments[0].TryGetAString(out _));
    }

    [Fact]
    public void Fetch_items_keep_sections_and_partials_as_one_raw_atom()
    {
        var command = Single("f1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From \"Subject\")]<0.2048> BINARY[1.2] BODY[] RFC822.SIZE)\r\n");
        Assert.Equal("UID", command.Name);
        Assert.Equal(["FETCH", "1:*"], command.Arguments.Take(2).Select(a => a.Text));
        Assert.Equal(["FLAGS", "BODY.PEEK[HEADER.FIELDS (From \"Subject\")]<0.2048>", "BINARY[1.2]", "BODY[]", "RFC822.SIZE"],
            command.Arguments[2].Items.Select(a => a.Text));
        Assert.Equal(ImapArgumentKind.Atom, Single("f2 FETCH 1 BODY[TEXT]\r\n").Arguments[1].Kind);
    }

    [Fact]
    public void A_bare_lf_ends_a_command()
    {
        Assert.Equal("NOOP", Single("a NOOP\n").Name);
    }

    [Fact]
    public void Synchronizing_literals_ask_for_a_continuation_each_once()
    {
        var input = "a LOGIN {4}\r\nuser {3}\r\np\xe9w\r\nb NOOP\r\n";
        foreach (var cuts in EverySplit(input.Length))
        {
            var (events, commands, left) = Run(Bytes(input), cuts, AfterLogin);
            Assert.Equal(["Continuation 4", "Continuation 3", "Command a LOGIN {4}user {3}p\xe9w", "Command b NOOP"], events);
            Assert.Equal(ImapStringForm.Literal, commands[0].Arguments[0].Form);
            Assert.Equal(0, left);
        }
    }

    [Fact]
    public void Empty_synchronizing_literals_still_wait_for_the_continuation()
    {
        var (events, commands, _) = Run(Bytes("a LOGIN {0}\r\n {0}\r\n\r\n"), [], AfterLogin);
        Assert.Equal(["Continuation 0", "Continuation 0", "Command a LOGIN {0} {0}"], events);
        Assert.All(commands[0].Arguments, a => Assert.Empty(a.Bytes));
    }

    [Fact]
    public void Non_synchronizing_literals_and_literal8_need_no_continuation()
    {
        var input = "a APPEND INBOX (\\Seen) {5+}\r\nhel\nl\r\nb APPEND INBOX ~{3+}\r\na\0b\r\n";
        foreach (var cuts in EverySplit(input.Length))
        {
            var (events, commands, _) = Run(Bytes(input), cuts, AfterLogin);
            Assert.Equal(2, events.Count);
            Assert.Equal("hel\nl", Encoding.Latin1.GetString(commands[0].Arguments[2].Bytes));
            Assert.Equal(ImapStringForm.Literal8, commands[1].Arguments[1].Form);
            Assert.Equal("a\0b", Encoding.Latin1.GetString(commands[1].Arguments[1].Bytes));
        }
    }

    /// <summary>Every valid command, split at every position and fed in one-octet reads, reads the same.</summary>
    [Fact]
    public void Every_split_gives_the_same_commands()
    {
        var input = string.Concat(
            "1 CAPABILITY\r\n",
            "2 LOGIN \"joe\" {6}\r\nsecret\r\n",
            "3 SELECT \"INBOX\"\r\n",
            "4 FETCH 1:*,7 (UID FLAGS BODY.PEEK[1.2.MIME] BODY[HEADER.FIELDS.NOT (Received)]<10.20>)\r\n",
            "5 SEARCH CHARSET UTF-8 OR (FROM {3+}\r\nbob SINCE 1-Feb-2024) NOT (DELETED)\r\n",
            "6 ID (\"name\" \"x\" \"version\" NIL)\r\n",
            "7 APPEND Sent (\\Seen) \"01-Jan-2024 10:00:00 +0000\" {12}\r\nSubject: x\r\n\r\n",
            "8 LIST \"\" %/*]\r\n");
        var (expected, _, _) = Run(Bytes(input), [], AfterLogin);
        Assert.Equal(10, expected.Count); // 8 commands and 2 continuations
        Assert.DoesNotContain(expected, e => e.StartsWith("Error", StringComparison.Ordinal));
        foreach (var cuts in EverySplit(input.Length))
            Assert.Equal(expected, Run(Bytes(input), cuts, AfterLogin).Events);
    }

    [Theory]
    [InlineData("a1 LOGIN \"x\r\n", "a1")]
    [InlineData("a1 LOGIN \"x\\y\"\r\n", "a1")]
    [InlineData("a1 LOGIN x\"y\r\n", "a1")]
    [InlineData("a1  NOOP\r\n", "a1")]
    [InlineData("a1 NOOP \r\n", "a1")]
    [InlineData("a1 LIST \"\" caf\xc3\xa9\r\n", "a1")]
    [InlineData("a1 LOGIN {3}x\r\n", "a1")]
    [InlineData("a1 LOGIN {99999999999999999999}\r\n", "a1")]
    [InlineData("a1 APPEND x {3+}\r\na\0b\r\n", "a1")]
    [InlineData("a1 FETCH 1 BODY[HEADER\r\n", "a1")]
    [InlineData("a1 STORE 1 FLAGS (a b\r\n", "a1")]
    [InlineData("a1 X \"a\0\"\r\n", "a1")]
    [InlineData("a1 NOOP\rx\r\n", "a1")]
    [InlineData("\r\n", null)]
    [InlineData("+tag NOOP\r\n", null)]
    [InlineData("a(1 NOOP\r\n", null)]
    [InlineData("a1\r\n", null)]
    [InlineData("* NOOP\r\n", null)]
    public void Syntax_errors_name_the_tag_when_there_is_one_and_the_next_command_reads(string bad, string? tag)
    {
        foreach (var cuts in EverySplit(bad.Length + 9))
        {
            var (events, commands, left) = Run(Bytes(bad + "b2 NOOP\r\n"), cuts, AfterLogin);
            Assert.Equal($"Error Syntax tag={tag ?? "*"}", events[0][..events[0].IndexOf(" (", StringComparison.Ordinal)]);
            Assert.Equal("b2", Assert.Single(commands).Tag);
            Assert.Equal(2, events.Count);
            Assert.Equal(0, left);
        }
    }

    [Fact]
    public void A_too_long_line_is_refused_without_buffering_it_and_skipped()
    {
        var limits = AfterLogin with { MaxLineLength = 100 };
        var input = "a1 SEARCH " + new string('x', 5000) + "\r\nb2 NOOP\r\n";
        var cuts = Enumerable.Range(1, input.Length / 7).Select(i => i * 7);
        var (events, commands, _) = Run(Bytes(input), cuts, limits, maxBuffered: 100 + 7);
        Assert.StartsWith("Error LineTooLong tag=a1", events[0]);
        Assert.Equal(ImapReadErrors.Reply(ImapReadError.LineTooLong), (ImapStatus.Bad, null));
        Assert.Equal("b2", Assert.Single(commands).Tag);
    }

    /// <summary>
    /// A refused line that ends in a non-synchronizing literal: the client sends the literal without
    /// waiting, so its octets are skipped too and never read as a command (RFC 7888).
    /// </summary>
    [Theory]
    [InlineData("a1 SEARCH {0} xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx {11+}\r\nc3 LOGOUT\r\n\r\n")]
    [InlineData("a1 SEARCH \"x\\q\" {11+}\r\nc3 LOGOUT\r\n {0+}\r\n\r\n")]
    [InlineData("a1 SEARCH ~{11+}\r\nc3 LOGOUT\r\n (((\r\n")]
    public void Skipping_a_refused_command_skips_its_non_synchronizing_literals(string input)
    {
        var limits = AfterLogin with { MaxLineLength = 80 };
        foreach (var cuts in EverySplit(input.Length + 9))
        {
            var (events, commands, left) = Run(Bytes(input + "b2 NOOP\r\n"), cuts, limits);
            Assert.StartsWith("Error", events[0]);
            Assert.Equal("a1", events[0].Split("tag=")[1].Split(' ')[0]);
            Assert.Equal(["b2"], commands.Select(c => c.Tag));
            Assert.Equal(0, left);
        }
    }

    /// <summary>RFC 7888 section 4: under LITERAL- a {n+} over 4096 gets BAD and its octets are skipped.</summary>
    [Fact]
    public void Literal_minus_refuses_large_non_synchronizing_literals_before_login()
    {
        var payload = string.Concat(Enumerable.Repeat("x1 LOGOUT\r\n", 500)); // 5500 octets of "commands"
        var input = $"a1 LOGIN joe {{{payload.Length}+}}\r\n{payload}\r\nb2 NOOP\r\n";
        var (events, commands, _) = Run(Bytes(input), Enumerable.Range(1, 200).Select(i => i * 37), BeforeLogin);
        Assert.StartsWith("Error NonSyncLiteralTooLarge tag=a1", events[0]);
        Assert.Equal(ImapStatus.Bad, ImapReadErrors.Reply(ImapReadError.NonSyncLiteralTooLarge).Status);
        Assert.Equal(["b2"], commands.Select(c => c.Tag));
        // the same after login is fine
        Assert.Equal("a1", Run(Bytes(input), [], AfterLogin).Commands[0].Tag);
    }

    [Fact]
    public void A_synchronizing_literal_too_large_is_refused_before_the_continuation()
    {
        var limits = AfterLogin with { MaxLiteralSize = 1000 };
        var (events, commands, _) = Run(Bytes("a1 APPEND INBOX {1001}\r\nb2 NOOP\r\n"), [], limits);
        Assert.Equal("Error LiteralTooLarge tag=a1 (Literals are limited to 1000 octets)", events[0]);
        Assert.Equal((ImapStatus.No, "TOOBIG"), ImapReadErrors.Reply(ImapReadError.LiteralTooLarge));
        Assert.Equal(["b2"], commands.Select(c => c.Tag));
        // a second literal that takes the command over the limit is refused as well
        var (twice, _, _) = Run(Bytes("a1 X {600+}\r\n" + new string('y', 600) + " {600}\r\nb2 NOOP\r\n"), [], limits);
        Assert.StartsWith("Error LiteralTooLarge tag=a1", twice[0]);
        Assert.Equal("Command b2 NOOP", twice[1]);
        // before login, a LOGIN password over 4096 octets is refused the same way
        Assert.StartsWith("Error LiteralTooLarge tag=a1", Run(Bytes("a1 LOGIN joe {5000}\r\n"), [], BeforeLogin).Events[0]);
    }

    [Fact]
    public void A_large_non_synchronizing_literal_is_refused_and_skipped_after_login()
    {
        var limits = AfterLogin with { MaxLiteralSize = 100, MaxNonSyncLiteralSize = 100 };
        var (events, commands, _) = Run(Bytes("a1 APPEND INBOX {200+}\r\n" + new string('z', 200) + "\r\nb2 NOOP\r\n"), [], limits);
        Assert.StartsWith("Error NonSyncLiteralTooLarge tag=a1", events[0]);
        Assert.Equal(["b2"], commands.Select(c => c.Tag));
    }

    [Fact]
    public void Nesting_is_limited_tightly_before_login()
    {
        var deep = "a1 ID " + new string('(', 10) + "x" + new string(')', 10) + "\r\nb2 NOOP\r\n";
        var (before, commands, _) = Run(Bytes(deep), [], BeforeLogin);
        Assert.StartsWith("Error TooDeep tag=a1", before[0]);
        Assert.Equal(["b2"], commands.Select(c => c.Tag));
        Assert.Equal(2, Run(Bytes(deep), [], AfterLogin).Commands.Count);
        // a nesting bomb within the line limit is one error, no stack overflow
        var bomb = "a1 X " + new string('(', 60000) + "\r\n";
        Assert.StartsWith("Error TooDeep", Run(Bytes(bomb), [], AfterLogin).Events[0]);
    }

    [Fact]
    public void Arguments_are_counted_with_list_items()
    {
        var many = "a1 SEARCH (" + string.Join(" ", Enumerable.Repeat("SEEN", 100)) + ")\r\n";
        Assert.StartsWith("Error TooManyArguments tag=a1", Run(Bytes(many), [], BeforeLogin).Events[0]);
        Assert.Single(Run(Bytes(many), [], AfterLogin).Commands);
    }

    /// <summary>Random octets and mangled commands: no exception, no endless loop, the buffer stays bounded.</summary>
    [Fact]
    public void Random_input_never_throws_or_grows_the_buffer_without_bound()
    {
        var random = new Random(9051);
        var limits = AfterLogin with { MaxLineLength = 256, MaxLiteralSize = 512, MaxNonSyncLiteralSize = 512, MaxBufferedLiterals = 16 };
        string[] pieces = ["a1 ", "FETCH ", "{5}\r\n", "{3+}\r\n", "{40+}\r\n", "~{20}\r\n", "~{2}\r\n", "(", ")", "\"", "\\", "[", "]", "<0.1>", " ", "\r\n", "\n", "\r", "NIL", "*", "1:*", "{99999999999+}\r\n", "\0", "\xff"];
        for (int round = 0; round < 2000; round++)
        {
            byte[] bytes;
            if (round % 2 == 0)
            {
                bytes = new byte[random.Next(1, 600)];
                random.NextBytes(bytes);
            }
            else
                bytes = Bytes(string.Concat(Enumerable.Range(0, random.Next(1, 80)).Select(_ => pieces[random.Next(pieces.Length)])));
            var cuts = Enumerable.Range(0, random.Next(0, 8)).Select(_ => random.Next(1, bytes.Length + 1)).ToArray();
            // one line plus its literals, plus the largest chunk that arrives at once
            var (events, _, _) = Run(bytes, cuts, limits, maxBuffered: 256 + 512 + bytes.Length);
            Assert.All(events, e => Assert.DoesNotContain("Command  ", e));
        }
    }

    /// <summary>A line trickled one octet at a time is parsed once, when its end arrives (linear, not quadratic).</summary>
    [Fact]
    public void Trickled_input_is_not_parsed_again_until_its_line_ends()
    {
        var line = "a1 SEARCH " + string.Join(" ", Enumerable.Repeat("(SEEN)", 300)) + "\r\n";
        var started = DateTime.UtcNow;
        var (_, commands, _) = Run(Bytes(line), Enumerable.Range(1, line.Length), AfterLogin);
        Assert.Single(commands);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    /// <summary>The text limit covers all of a command's lines: many literals cannot carry many long lines.</summary>
    [Fact]
    public void The_text_limit_counts_the_lines_between_literals_together()
    {
        var limits = AfterLogin with { MaxLineLength = 100 };
        var line = new string('x', 40);
        var input = $"a1 X {line} {{1+}}\r\n1 {line} {{1+}}\r\n2 {line}\r\nb2 NOOP\r\n";
        var (events, commands, _) = Run(Bytes(input), [], limits);
        Assert.StartsWith("Error LineTooLong tag=a1", events[0]);
        Assert.Equal(["b2"], commands.Select(c => c.Tag));
        Assert.Single(Run(Bytes(input), [], AfterLogin).Commands, c => c.Tag == "a1");
    }

    /// <summary>A literal is copied out once, when its command completes, however many literals follow it.</summary>
    [Fact]
    public void A_large_literal_followed_by_many_continuations_is_copied_once()
    {
        var big = new string('m', 5_000_000);
        var input = new StringBuilder($"a1 APPEND INBOX {{{big.Length}+}}\r\n{big}");
        for (int i = 0; i < 300; i++)
            input.Append(" {1}\r\nz");
        input.Append("\r\n");
        var bytes = Bytes(input.ToString());
        var cuts = Enumerable.Range(0, 300).Select(i => bytes.Length - 2 - i * 8);
        var started = DateTime.UtcNow;
        var (events, commands, _) = Run(bytes, cuts, AfterLogin with { MaxBufferedLiterals = 10_000_000 });
        Assert.Equal(302, commands[0].Arguments.Count); // INBOX, the big literal, 300 small ones
        Assert.Equal(big.Length, commands[0].Arguments[1].Bytes.Length);
        Assert.Equal(300, events.Count(e => e.StartsWith("Continuation", StringComparison.Ordinal)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// A top-level literal past the in-memory bound (APPEND's message) is handed out as it arrives, so the
    /// connection's input buffer never holds it; the command completes after it, at every split.
    /// </summary>
    [Fact]
    public void Large_top_level_literals_are_streamed_at_every_split()
    {
        var limits = AfterLogin with { MaxBufferedLiterals = 8 };
        var input = "a1 APPEND INBOX (\\Seen) {20}\r\nSubject: 1\r\n\r\nbody!! {2}\r\nok\r\n"
            + "a2 APPEND Sent {12+}\r\n0123456789\r\n Drafts ~{9+}\r\nno\0nul\0\0! (x)\r\n"
            + "a3 NOOP\r\n";
        var streamedExpected = new[] { "Subject: 1\r\n\r\nbody!!", "0123456789\r\n", "no\0nul\0\0!" };
        foreach (var cuts in EverySplit(input.Length))
        {
            var streamed = new List<byte[]>();
            var (events, commands, left) = Run(Bytes(input), cuts, limits, streamed);
            Assert.Equal(
            [
                "Continuation 20", "LiteralStart 20 after a1 APPEND INBOX (\\Seen)", "LiteralData 20", "Continuation 2",
                "Command a1 APPEND INBOX (\\Seen) {20}<streamed> {2}ok",
                "LiteralStart 12 after a2 APPEND Sent", "LiteralData 12",
                "LiteralStart 9 after a2 APPEND Sent {12}<streamed> Drafts", "LiteralData 9",
                "Command a2 APPEND Sent {12}<streamed> Drafts {9}<streamed> (x)",
                "Command a3 NOOP",
            ], events);
            Assert.Equal(streamedExpected, streamed.Select(b => Encoding.Latin1.GetString(b)));
            Assert.True(commands[0].Arguments[2].IsStreamed);
            Assert.Equal(20, commands[0].Arguments[2].Length);
            Assert.Equal(ImapStringForm.Literal8, commands[1].Arguments[3].Form);
            Assert.Throws<InvalidOperationException>(() => commands[0].Arguments[2].Bytes);
            Assert.Equal(0, left);
        }
    }

    [Fact]
    public void A_literal_inside_a_list_past_the_memory_bound_is_refused_not_streamed()
    {
        var limits = AfterLogin with { MaxBufferedLiterals = 8 };
        var (events, commands, _) = Run(Bytes("a1 SEARCH (SUBJECT {9+}\r\n123456789)\r\nb2 NOOP\r\n"), [], limits);
        Assert.StartsWith("Error LiteralTooLarge tag=a1", events[0]);
        Assert.Equal(["b2"], commands.Select(c => c.Tag));
    }

    /// <summary>A 5 MB APPEND with the default limits never needs more than a read's worth of buffer.</summary>
    [Fact]
    public void A_message_sized_literal_is_streamed_with_the_default_limits()
    {
        var body = new string('m', 5_000_000);
        var bytes = Bytes($"a1 APPEND INBOX {{{body.Length}+}}\r\n{body}\r\n");
        var streamed = new List<byte[]>();
        var (events, commands, _) = Run(bytes, Enumerable.Range(1, bytes.Length / 65536).Select(i => i * 65536), AfterLogin, streamed, maxBuffered: 65536);
        Assert.Equal(body.Length, Assert.Single(streamed).Length);
        Assert.Equal(body.Length, Assert.Single(commands).Arguments[1].Length);
    }

    /// <summary>
    /// Property: random valid commands (atoms, numbers, NIL, quoted strings with escapes and UTF-8,
    /// synchronizing and non-synchronizing literals, literal8, nested lists, FETCH sections), cut at
    /// random places, read back to exactly what was generated, with one continuation per {n}.
    /// </summary>
    private const string AtomChars = "abcXYZ.-_%*\\]:$&~!";
    private const string QuotedChars = "ab \"\\(){}[]\xe9";

    [Fact]
    public void Random_valid_commands_read_back_to_what_was_written()
    {
        var random = new Random(7888);
        for (int round = 0; round < 400; round++)
        {
            var wire = new MemoryStream();
            var expected = new List<string>();
            int continuations = 0;
            for (int c = 0; c < random.Next(1, 4); c++)
            {
                string tag = "t" + random.Next(1000);
                var args = new StringBuilder();
                void Emit(string text) => wire.Write(Bytes(text));
                Emit($"{tag} CMD");
                args.Append($"{tag} CMD");
                for (int a = random.Next(0, 6); a > 0; a--)
                {
                    Emit(" ");
                    args.Append(' ');
                    Argument(0);
                }
                Emit("\r\n");
                expected.Add("Command " + args);

                void Argument(int depth)
                {
                    switch (random.Next(depth < 3 ? 8 : 7))
                    {
                        case 0:
                            var atom = new string([.. Enumerable.Range(0, random.Next(1, 8)).Select(_ => AtomChars[random.Next(AtomChars.Length)])]);
                            if (atom.All(char.IsAsciiDigit) || atom.Equals("NIL", StringComparison.OrdinalIgnoreCase) || atom[0] == '~')
                                atom = "a" + atom;
                            Emit(atom);
                            args.Append(atom);
                            break;
                        case 1:
                            var number = random.NextInt64(0, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture);
                            Emit(number);
                            args.Append(number);
                            break;
                        case 2:
                            var nil = random.Next(2) == 0 ? "NIL" : "nil";
                            Emit(nil);
                            args.Append(nil);
                            break;
                        case 3:
                            var quoted = new string([.. Enumerable.Range(0, random.Next(0, 10)).Select(_ => QuotedChars[random.Next(QuotedChars.Length)])]);
                            var utf8 = Encoding.UTF8.GetBytes(quoted);
                            wire.Write(Bytes("\""));
                            foreach (byte b in utf8)
                            {
                                if (b is (byte)'"' or (byte)'\\')
                                    wire.WriteByte((byte)'\\');
                                wire.WriteByte(b);
                            }
                            wire.Write(Bytes("\""));
                            args.Append('"').Append(Encoding.Latin1.GetString(utf8)).Append('"');
                            break;
                        case 4:
                        case 5:
                            var octets = new byte[random.Next(0, 20)];
                            random.NextBytes(octets);
                            bool eight = random.Next(4) == 0;
                            if (!eight)
                                octets = [.. octets.Select(b => b == 0 ? (byte)1 : b)];
                            bool plus = random.Next(2) == 0;
                            Emit($"{(eight ? "~" : "")}{{{octets.Length}{(plus ? "+" : "")}}}\r\n");
                            wire.Write(octets);
                            if (!plus)
                                continuations++;
                            args.Append(eight ? "~" : "").Append($"{{{octets.Length}}}").Append(Encoding.Latin1.GetString(octets));
                            break;
                        case 6:
                            var fetch = random.Next(3) switch { 0 => "BODY[]", 1 => "BODY.PEEK[1.2.HEADER.FIELDS (From \"To\")]<0.10>", _ => "BINARY[3]" };
                            Emit(fetch);
                            args.Append(fetch);
                            break;
                        default:
                            Emit("(");
                            args.Append('(');
                            for (int n = random.Next(0, 4); n > 0; n--)
                            {
                                Argument(depth + 1);
                                if (n > 1)
                                {
                                    Emit(" ");
                                    args.Append(' ');
                                }
                            }
                            Emit(")");
                            args.Append(')');
                            break;
                    }
                }
            }
            var bytes = wire.ToArray();
            var cuts = Enumerable.Range(0, random.Next(0, 10)).Select(_ => random.Next(1, bytes.Length)).ToArray();
            var (events, commands, left) = Run(bytes, cuts, AfterLogin);
            Assert.Equal(expected, events.Where(e => e.StartsWith("Command", StringComparison.Ordinal)));
            Assert.Equal(continuations, events.Count(e => e.StartsWith("Continuation", StringComparison.Ordinal)));
            Assert.Equal(0, left);
        }
    }
}
