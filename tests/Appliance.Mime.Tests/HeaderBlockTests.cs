using System.Buffers;
using System.Text;

namespace Appliance.Mime.Tests;

public sealed class HeaderBlockTests
{
    private static HeaderBlock Parse(string text) => HeaderBlock.Parse(Encoding.UTF8.GetBytes(text));

    private static string[] Fields(HeaderBlock block) => block.Select(f => f.Name + "=" + f.Value).ToArray();

    [Fact]
    public void Raw_name_keeps_whitespace_before_the_colon_and_raw_value_the_folds()
    {
        var block = HeaderBlock.Parse("Subject : Hi\r\n there\r\nFrom:a@b.c\r\n\r\n"u8);
        Assert.Equal("Subject", block[0].Name);
        Assert.Equal("Subject ", System.Text.Encoding.ASCII.GetString(block[0].RawName.Span));
        Assert.Equal(" Hi\r\n there", System.Text.Encoding.ASCII.GetString(block[0].RawValue.Span));
        Assert.Equal("From", System.Text.Encoding.ASCII.GetString(block[1].RawName.Span));
    }

    [Fact]
    public void Parses_fields_and_stops_at_the_blank_line()
    {
        HeaderBlock block = Parse("From: a@b.c\r\nSubject: Hi\r\n\r\nbody");

        Assert.Equal(["From=a@b.c", "Subject=Hi"], Fields(block));
        Assert.Equal(28, block.Length);
        Assert.True(block.IsComplete);
        Assert.Equal(HeaderProblems.None, block.Problems);
    }

    [Fact]
    public void Unfolds_continuation_lines_keeping_the_whitespace()
    {
        // RFC 5322 2.2.3 example: unfolding removes CRLF only.
        HeaderBlock block = Parse("Subject: This\r\n is a test\r\nX-Tab:\ta\r\n\t\tb\r\n\r\n");

        Assert.Equal(["Subject=This is a test", "X-Tab=a\t\tb"], Fields(block));
        Assert.Equal(" This\r\n is a test", Encoding.ASCII.GetString(block[0].RawValue.Span));
    }

    [Fact]
    public void Lookup_is_case_insensitive_and_keeps_duplicates_in_order()
    {
        HeaderBlock block = Parse("Received: one\r\nSUBJECT: s\r\nreceived: two\r\n\r\n");

        Assert.Equal("s", block.Get("Subject")?.Value);
        Assert.Equal(["one", "two"], block.GetAll("Received").Select(f => f.Value));
        Assert.Null(block.Get("Date"));
    }

    [Fact]
    public void Bare_lf_line_ends_are_accepted_and_flagged()
    {
        HeaderBlock block = Parse("From: a\nSubject: b\n c\n\nbody");

        Assert.Equal(["From=a", "Subject=b c"], Fields(block));
        Assert.Equal(23, block.Length);
        Assert.Equal(HeaderProblems.BareLineFeed, block.Problems);
    }

    [Fact]
    public void Missing_blank_line_takes_everything_and_says_so()
    {
        HeaderBlock block = Parse("From: a\r\nSubject: b");

        Assert.Equal(["From=a", "Subject=b"], Fields(block));
        Assert.Equal(19, block.Length);
        Assert.False(block.IsComplete);
        Assert.Equal(HeaderProblems.MissingBlankLine, block.Problems);
    }

    [Fact]
    public void Empty_header_block()
    {
        Assert.Equal((0, 2, true), (Parse("\r\nbody").Count, Parse("\r\nbody").Length, Parse("\r\nbody").IsComplete));
        Assert.Equal((0, 1), (Parse("\nbody").Count, Parse("\nbody").Length));
        Assert.Equal((0, 0, HeaderProblems.MissingBlankLine), (Parse("").Count, Parse("").Length, Parse("").Problems));
    }

    [Fact]
    public void Obsolete_syntax_whitespace_before_colon_and_whitespace_only_continuation()
    {
        // RFC 5322 4.5.8 obs-optional allows WSP before the colon; 4.2 obs-FWS allows a WSP-only line.
        HeaderBlock block = Parse("Subject  \t: old\r\n   \r\n style\r\n\r\n");

        Assert.Equal(["Subject=old    style"], Fields(block));
    }

    [Fact]
    public void Lines_without_colon_and_orphan_continuations_are_skipped()
    {
        HeaderBlock block = Parse(" orphan\r\nFrom sender@example.com Sat Jan  3 01:05:34 1996\r\nnot a header\r\nBad Name: x\r\nTo: t\r\n\r\n");

        Assert.Equal(["To=t"], Fields(block));
        Assert.Equal(HeaderProblems.OrphanContinuation | HeaderProblems.MalformedLine, block.Problems);
    }

    [Fact]
    public void Continuation_after_a_skipped_line_is_not_glued_to_the_previous_field()
    {
        HeaderBlock block = Parse("A: 1\r\njunk\r\n continued\r\nB: 2\r\n\r\n");

        Assert.Equal(["A=1", "B=2"], Fields(block));
    }

    [Fact]
    public void Empty_value_and_value_without_space()
    {
        Assert.Equal(["X-Empty=", "X-Tight=v"], Fields(Parse("X-Empty:\r\nX-Tight:v\r\n\r\n")));
    }

    [Fact]
    public void Utf8_values_are_read_as_utf8_and_invalid_bytes_as_latin1()
    {
        byte[] data = [.. "Subject: Grüße\r\nX-Latin: "u8, 0xE9, 0x74, 0xE9, .. "\r\n\r\n"u8];

        HeaderBlock block = HeaderBlock.Parse(data);

        Assert.Equal(["Subject=Grüße", "X-Latin=été"], Fields(block));
    }

    [Fact]
    public void Long_lines_are_tolerated_and_flagged()
    {
        string value = new('v', 5000);
        HeaderBlock block = Parse("X-Long: " + value + "\r\n\r\n");

        Assert.Equal(value, block[0].Value);
        Assert.Equal(HeaderProblems.LongLine, block.Problems);
    }

    [Fact]
    public void Field_count_is_limited()
    {
        string header = string.Concat(Enumerable.Range(0, 20).Select(i => $"X-{i}: {i}\r\n")) + "\r\n";

        HeaderBlock block = HeaderBlock.Parse(Encoding.ASCII.GetBytes(header), new HeaderLimits { MaxFieldCount = 5 });

        Assert.Equal(5, block.Count);
        Assert.Equal("X-4", block[4].Name);
        Assert.True(block.Problems.HasFlag(HeaderProblems.TooManyFields));
    }

    [Fact]
    public void Header_size_is_limited()
    {
        string header = "A: 1\r\nB: " + new string('b', 100) + "\r\n\r\nbody";

        HeaderBlock block = HeaderBlock.Parse(Encoding.ASCII.GetBytes(header), new HeaderLimits { MaxHeaderBytes = 50 });

        Assert.Equal(50, block.Length);
        Assert.Equal(["A=1", "B=" + new string('b', 41)], Fields(block));
        Assert.Equal(HeaderProblems.TooLarge, block.Problems);
    }

    [Fact]
    public void Hostile_folded_header_completes_with_bounded_result()
    {
        var text = new StringBuilder("Subject: start\r\n");
        for (int i = 0; i < 200_000; i++)
        {
            text.Append(" x\r\n");
        }
        text.Append("\r\nbody");

        HeaderBlock block = HeaderBlock.Parse(Encoding.ASCII.GetBytes(text.ToString()));

        Assert.Single(block);
        Assert.Equal(HeaderLimits.Default.MaxHeaderBytes, block.Length);
        Assert.True(block.Problems.HasFlag(HeaderProblems.TooLarge));
        Assert.StartsWith("start x x x", block[0].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_folded_header_without_size_limit_still_parses_linearly()
    {
        var text = new StringBuilder("Subject: start\r\n");
        for (int i = 0; i < 200_000; i++)
        {
            text.Append(" x\r\n");
        }
        text.Append("To: t\r\n\r\nbody");

        HeaderBlock block = HeaderBlock.Parse(Encoding.ASCII.GetBytes(text.ToString()), new HeaderLimits { MaxHeaderBytes = int.MaxValue });

        Assert.Equal(2, block.Count);
        Assert.Equal(5 + 200_000 * 2, block[0].Value.Length);
        Assert.Equal("t", block[1].Value);
        Assert.True(block.IsComplete);
    }

    [Fact]
    public void One_megabyte_single_line_completes_with_bounded_result()
    {
        byte[] data = Encoding.ASCII.GetBytes("X-Big: " + new string('a', 1_000_000) + "\r\n\r\n");

        HeaderBlock block = HeaderBlock.Parse(data);
        HeaderBlock fromStream = HeaderBlock.Read(new MemoryStream(data));

        Assert.Single(block);
        Assert.Equal(HeaderLimits.Default.MaxHeaderBytes - 7, block[0].Value.Length);
        Assert.Equal(HeaderProblems.TooLarge | HeaderProblems.LongLine, block.Problems);
        Assert.Equal(block.Length, fromStream.Length);
        Assert.Equal(block[0].Value, fromStream[0].Value);
    }

    [Fact]
    public void Every_split_of_a_sequence_gives_the_same_fields()
    {
        byte[] data = Encoding.UTF8.GetBytes(
            "Received: from x\r\n\tby y; Tue, 1 Jul 2003 10:52:37 +0200\r\nSubject: Grüße\n  folded\r\nbad line\r\nTo: a@b.c\r\n\r\nbody\r\n");
        HeaderBlock whole = HeaderBlock.Parse(data);

        for (int first = 0; first <= data.Length; first++)
        {
            for (int second = first; second <= data.Length; second++)
            {
                HeaderBlock split = HeaderBlock.Parse(Segments.Of(data, first, second));
                Assert.Equal(Fields(whole), Fields(split));
                Assert.Equal((whole.Length, whole.Problems), (split.Length, split.Problems));
                Assert.True(whole.Select(f => f.RawValue.ToArray()).SequenceEqual(split.Select(f => f.RawValue.ToArray()), ByteArrayComparer.Instance));
            }
        }
    }

    [Fact]
    public void TryParse_consumes_nothing_until_the_blank_line_arrives_one_byte_at_a_time()
    {
        byte[] data = Encoding.ASCII.GetBytes("From: a@b.c\r\nSubject: Hi\r\n there\r\n\r\nbody");
        HeaderBlock whole = HeaderBlock.Parse(data);

        for (int available = 0; available < whole.Length; available++)
        {
            Assert.False(HeaderBlock.TryParse(new ReadOnlySequence<byte>(data, 0, available), isFinalBlock: false, out HeaderBlock? none));
            Assert.Null(none);
        }
        for (int available = whole.Length; available <= data.Length; available++)
        {
            Assert.True(HeaderBlock.TryParse(Segments.Of(data[..available], available / 2, available / 2 + 1), isFinalBlock: false, out HeaderBlock? block));
            Assert.Equal(Fields(whole), Fields(block));
            Assert.Equal(whole.Length, block.Length);
        }
    }

    [Fact]
    public void TryParse_returns_partial_block_at_end_of_input_or_at_the_size_limit()
    {
        byte[] data = Encoding.ASCII.GetBytes("From: a@b.c\r\nSubject: Hi");

        Assert.True(HeaderBlock.TryParse(new ReadOnlySequence<byte>(data), isFinalBlock: true, out HeaderBlock? atEnd));
        Assert.Equal(["From=a@b.c", "Subject=Hi"], Fields(atEnd));
        Assert.Equal(HeaderProblems.MissingBlankLine, atEnd.Problems);

        Assert.True(HeaderBlock.TryParse(new ReadOnlySequence<byte>(data), isFinalBlock: false, out HeaderBlock? atLimit, new HeaderLimits { MaxHeaderBytes = 10 }));
        Assert.Equal(HeaderProblems.TooLarge, atLimit.Problems);
        Assert.Equal(10, atLimit.Length);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_from_stream_stops_exactly_after_the_blank_line(bool seekable)
    {
        byte[] data = Encoding.ASCII.GetBytes("From: a@b.c\r\nSubject: Hi\r\n\r\nbody line\r\n");
        Stream stream = seekable ? new MemoryStream(data) : new ForwardOnlyStream(data);

        HeaderBlock block = HeaderBlock.Read(stream);

        Assert.Equal(["From=a@b.c", "Subject=Hi"], Fields(block));
        Assert.Equal("body line\r\n", new StreamReader(stream).ReadToEnd());
    }

    [Fact]
    public void Read_from_stream_finds_a_blank_line_across_chunk_edges()
    {
        // The blank line straddles the reader's 4096-byte chunks.
        for (int pad = 4080; pad < 4100; pad++)
        {
            byte[] data = Encoding.ASCII.GetBytes("X-Pad: " + new string('p', pad) + "\r\n\r\nbody");
            var stream = new MemoryStream(data);

            HeaderBlock block = HeaderBlock.Read(stream);

            Assert.Equal(data.Length - 4, block.Length);
            Assert.Equal(data.Length - 4, stream.Position);
            Assert.True(block.IsComplete);
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static ByteArrayComparer Instance { get; } = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}

/// <summary>Builds a ReadOnlySequence of up to three segments, split at the given offsets.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Of(byte[] data, int first, int second)
    {
        var head = new Segments(data.AsMemory(0, first), 0);
        var middle = new Segments(data.AsMemory(first, second - first), first);
        var tail = new Segments(data.AsMemory(second), second);
        head.Next = middle;
        middle.Next = tail;
        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }
}
