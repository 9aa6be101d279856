using System.Buffers;
using System.Text;
using Appliance.Server.Smtp;

namespace Appliance.Server.Tests.Smtp;

/// <summary>The DATA state machine on its own, with every input split at every position.</summary>
public sealed class DataReaderTests
{
    private static readonly string Spill = Path.Combine(Path.GetTempPath(), "appliance-data-reader-tests");

    /// <summary>Feeds the input in pieces (as separate reads) and returns content, problems and what was left unconsumed.</summary>
    private static (string Content, DataProblems Problems, string Remaining, bool Ended) Run(string input, int[] cuts, int maxLine = 1000, long maxSize = 1_000_000)
    {
        var reader = new DotStuffedDataReader(maxLine, maxSize);
        using var sink = new MessageBuffer(Spill);
        byte[] bytes = Encoding.Latin1.GetBytes(input);
        int start = 0;
        var bounds = cuts.Where(c => c > 0 && c < bytes.Length).Append(bytes.Length).Distinct().Order().ToList();
        byte[] pending = [];
        foreach (int end in bounds)
        {
            // Like a PipeReader: unconsumed bytes come back in front of the new ones.
            byte[] chunk = [.. pending, .. bytes[start..end]];
            start = end;
            var sequence = new ReadOnlySequence<byte>(chunk);
            if (reader.Process(sequence, sink, out var consumed))
            {
                string rest = Encoding.Latin1.GetString(sequence.Slice(consumed).ToArray()) + Encoding.Latin1.GetString(bytes[end..]);
                using var read = sink.OpenRead();
                return (Encoding.Latin1.GetString(ReadAll(read)), reader.Problems, rest, true);
            }
            pending = [];
        }
        using var all = sink.OpenRead();
        return (Encoding.Latin1.GetString(ReadAll(all)), reader.Problems, "", false);
    }

    private static byte[] ReadAll(Stream stream)
    {
        var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static IEnumerable<int[]> EverySplit(string input)
    {
        yield return [];
        for (int i = 1; i < input.Length; i++)
            yield return [i];
        yield return Enumerable.Range(1, input.Length).ToArray(); // one byte at a time
    }

    [Theory]
    [InlineData("Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n")]
    [InlineData(".\r\n", "")]
    [InlineData("..\r\n.\r\n", ".\r\n")]
    [InlineData("..leading dot\r\n...two\r\n.\r\n", ".leading dot\r\n..two\r\n")]
    [InlineData("a\r\n.x\r\n.\r\n", "a\r\nx\r\n")]
    [InlineData("line. with .dots.\r\n.\r\n", "line. with .dots.\r\n")]
    public void Unstuffs_and_finds_the_end_at_every_split(string input, string expected)
    {
        foreach (var cuts in EverySplit(input + "QUIT\r\n"))
        {
            var (content, problems, rest, ended) = Run(input + "QUIT\r\n", cuts);
            Assert.True(ended);
            Assert.Equal(expected, content);
            Assert.Equal(DataProblems.None, problems);
            Assert.Equal("QUIT\r\n", rest);
        }
    }

    /// <summary>
    /// SMTP smuggling (CVE-2023-51764 and friends): every end-of-data look-alike that is not
    /// CRLF.CRLF is content, flagged as a bare line ending, and the real end is still found after it.
    /// </summary>
    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\r.\r")]
    [InlineData("\r.\r\n")]
    [InlineData("\r\n.\r")]
    [InlineData("\n.\r")]
    [InlineData("\r.\n")]
    [InlineData("\r\n\r.\r\n")]
    [InlineData("\n\n.\n\n")]
    [InlineData("\r\n.\r\r\n")]
    // ("\r\r\n.\r\n" is not here: it contains a real CRLF.CRLF, so every server ends the data
    // there; the bare CR before it is flagged by Bare_line_endings_inside_lines_are_flagged.)
    public void Smuggling_variants_are_content_and_flagged(string fakeEnd)
    {
        string input = "Subject: one\r\n\r\nfirst" + fakeEnd + "MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nsmuggled\r\n.\r\nQUIT\r\n";
        foreach (var cuts in EverySplit(input))
        {
            var (content, problems, rest, ended) = Run(input, cuts);
            Assert.True(ended);
            Assert.True(problems.HasFlag(DataProblems.BareLineEnding), $"not flagged for {Escape(fakeEnd)} at {string.Join(',', cuts)}");
            Assert.Equal("QUIT\r\n", rest);
            Assert.Contains("MAIL FROM:<evil@example.com>", content);
        }
    }

    [Theory]
    [InlineData("bare\nLF\r\n.\r\n")]
    [InlineData("bare\rCR\r\n.\r\n")]
    [InlineData("ends with CR\r\r\n.\r\n")]
    public void Bare_line_endings_inside_lines_are_flagged(string input)
    {
        foreach (var cuts in EverySplit(input))
        {
            var (_, problems, _, ended) = Run(input, cuts);
            Assert.True(ended);
            Assert.Equal(DataProblems.BareLineEnding, problems);
        }
    }

    [Fact]
    public void Nothing_is_consumed_past_an_incomplete_end()
    {
        foreach (string partial in new[] { "body\r\n.", "body\r\n.\r", "body\r\n" })
        {
            var (content, _, _, ended) = Run(partial, []);
            Assert.False(ended);
            // Whatever is content so far was taken; the possible end was held back.
            Assert.Equal("body\r\n", content);
        }
    }

    [Fact]
    public void Long_lines_and_big_messages_are_flagged_and_the_end_is_still_found()
    {
        string longLine = new string('x', 999) + "\r\n.\r\n";
        Assert.Equal(DataProblems.LineTooLong, Run(longLine, [], maxLine: 1000).Problems);
        Assert.Equal(DataProblems.None, Run(new string('x', 998) + "\r\n.\r\n", [], maxLine: 1000).Problems);

        var big = Run(new string('y', 5000) + "\r\n.\r\nNEXT", [100, 2000], maxSize: 1000);
        Assert.True(big.Ended);
        Assert.True(big.Problems.HasFlag(DataProblems.TooBig));
        Assert.Equal(1000, big.Content.Length); // nothing kept past the limit
        Assert.Equal("NEXT", big.Remaining);
    }

    [Fact]
    public void Large_messages_spill_to_disk_and_read_back_whole()
    {
        string line = new string('z', 998) + "\r\n";
        string body = string.Concat(Enumerable.Repeat(line, 2000)); // 2 MB, past the 1 MB memory limit
        var (content, problems, rest, ended) = Run(body + ".\r\n", [4096, 700_000, 1_500_000], maxSize: 10_000_000);
        Assert.True(ended);
        Assert.Equal(DataProblems.None, problems);
        Assert.Equal(body.Length, content.Length);
        Assert.Equal(body, content);
        Assert.Equal("", rest);
    }

    private static string Escape(string s) => s.Replace("\r", "\\r").Replace("\n", "\\n");
}
