using System.Text;
using Appliance.Server.Delivery.Outbound;

namespace Appliance.Server.Tests.Queue;

/// <summary>The block-copying stuffing writer against a line-by-line reference, on random text split at random places.</summary>
public sealed class DotStuffingWriterTests
{
    /// <summary>The rules written out plainly: CRLF, lone CR and lone LF each end a line; a leading "." is doubled; a final line gets CRLF; then ".CRLF".</summary>
    private static string Reference(string text)
    {
        var lines = new List<string>();
        var current = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r' || c == '\n')
            {
                lines.Add(current.ToString());
                current.Clear();
                if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                    i++;
                continue;
            }
            current.Append(c);
        }
        if (current.Length > 0)
            lines.Add(current.ToString());
        var output = new StringBuilder();
        foreach (string line in lines)
            output.Append(line.StartsWith('.') ? "." : "").Append(line).Append("\r\n");
        return output.Append(".\r\n").ToString();
    }

    private static string Run(string text, Random random)
    {
        var writer = new DotStuffingWriter();
        byte[] input = Encoding.Latin1.GetBytes(text);
        var output = new List<byte>();
        int at = 0;
        while (at < input.Length)
        {
            int take = Math.Min(input.Length - at, random.Next(1, 8));
            var buffer = new byte[DotStuffingWriter.MaxOutput(take)];
            int written = writer.Transform(input.AsSpan(at, take), buffer);
            output.AddRange(buffer.AsSpan(0, written).ToArray());
            at += take;
        }
        var tail = new byte[DotStuffingWriter.MaxOutput(0)];
        output.AddRange(tail.AsSpan(0, writer.Finish(tail)).ToArray());
        return Encoding.Latin1.GetString([.. output]);
    }

    [Fact]
    public void Matches_the_reference_on_random_text_split_anywhere()
    {
        var random = new Random(20261121);
        const string alphabet = "ab.\r\n .";
        for (int round = 0; round < 5000; round++)
        {
            var text = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            Assert.Equal(Reference(text), Run(text, random));
        }
    }
}
