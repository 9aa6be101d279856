using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Appliance.Mime.Tests;

/// <summary>
/// FsCheck properties over generated MIME messages (random trees with boundaries that are prefixes
/// of each other, both line ends, boundary-like body lines) and mutated versions of them.
/// </summary>
public sealed class PropertyTests
{
    private static readonly string[] Boundaries = ["a", "ab", "abc", "b", "=_x", "a b"];

    private static readonly string[] BodyLines =
    [
        "", "text", "--a", "--ab--", "--abc x", "--b--", "=41=\r", "QUJD", "--", "From: x", " folded",
    ];

    [Fact]
    public void Generated_messages_parse_within_bounds()
    {
        Prop.ForAll(Messages().ToArbitrary(), message =>
        {
            TreeInvariants.Check(MimeParser.Parse(message), message.Length);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Mutated_messages_parse_within_bounds()
    {
        Prop.ForAll(Mutated().ToArbitrary(), message =>
        {
            TreeInvariants.Check(MimeParser.Parse(message), message.Length);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Random_bytes_parse_within_bounds()
    {
        Gen<byte[]> bytes = Gen.Elements("\r\n-ab: ;=\"\tC"u8.ToArray()).ArrayOf();
        Prop.ForAll(bytes.ToArbitrary(), message =>
        {
            TreeInvariants.Check(MimeParser.Parse(message), message.Length);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(300));
    }

    [Fact]
    public void Chunks_of_every_size_give_the_same_tree()
    {
        Prop.ForAll(Messages().Or(Mutated()).ToArbitrary(), message =>
        {
            string whole = TreeDump.Render(MimeParser.Parse(message));
            for (int size = 1; size <= message.Length; size++)
            {
                var parser = new MimeParser();
                for (int offset = 0; offset < message.Length; offset += size)
                {
                    parser.Write(message.AsSpan(offset, Math.Min(size, message.Length - offset)));
                }
                Assert.Equal(whole, TreeDump.Render(parser.Complete()));
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));
    }

    [Fact]
    public void Quoted_printable_decodes_the_same_in_any_chunks()
    {
        Gen<byte[]> text = Gen.Elements("=3D4a \t\r\nxZ=\r\n=\n="u8.ToArray()).ArrayOf();
        Gen<(byte[], int[])> withCuts = text.SelectMany(t => Gen.Choose(1, Math.Max(1, t.Length)).ArrayOf(), (t, cuts) => (t, cuts));
        Prop.ForAll(withCuts.ToArbitrary(), input =>
        {
            (byte[] data, int[] sizes) = input;
            byte[] expected = TransferEncodings.DecodeQuotedPrintable(data);
            Assert.Equal(expected, DecodeInChunks(new QuotedPrintableDecoder(), data, sizes));
            Assert.Equal(TransferEncodings.DecodeBase64(data), DecodeInChunks(new Base64Decoder(), data, sizes));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(500));
    }

    private static byte[] DecodeInChunks(IContentDecoder decoder, byte[] data, int[] sizes)
    {
        var output = new List<byte>();
        int offset = 0;
        int next = 0;
        while (offset < data.Length)
        {
            int size = sizes.Length == 0 ? data.Length : Math.Min(sizes[next++ % sizes.Length], data.Length - offset);
            byte[] buffer = new byte[size + 512];
            int n = decoder.Decode(data.AsSpan(offset, size), buffer, final: false);
            output.AddRange(buffer[..n]);
            offset += size;
        }
        byte[] last = new byte[512];
        int tail = decoder.Decode([], last, final: true);
        output.AddRange(last[..tail]);
        return [.. output];
    }

    private static Gen<byte[]> Messages() =>
        Gen.Elements("\r\n", "\n").SelectMany(newline => Entity(3).Select(text => Encoding.UTF8.GetBytes(text.Replace("\n", newline, StringComparison.Ordinal))));

    private static Gen<byte[]> Mutated() =>
        Messages().SelectMany(
            message => Gen.Choose(0, Math.Max(0, message.Length - 1)).Two().ArrayOf(),
            (message, edits) =>
            {
                byte[] copy = (byte[])message.Clone();
                byte[] interesting = "\r\n-=: "u8.ToArray();
                foreach ((int at, int value) in edits)
                {
                    if (copy.Length > 0)
                    {
                        copy[at % copy.Length] = interesting[value % interesting.Length];
                    }
                }
                int cut = edits.Length > 0 ? edits[0].Item1 : copy.Length;
                return edits.Length % 3 == 0 ? copy[..Math.Min(cut, copy.Length)] : copy;
            });

    /// <summary>A random entity as text with "\n" line ends: a leaf, a multipart or a message/rfc822.</summary>
    private static Gen<string> Entity(int depth)
    {
        Gen<string> leaf = Gen.Elements(BodyLines).ArrayOf().Zip(Gen.Elements("text/plain", "image/png", "", "text/html; charset=utf-8"))
            .Select(t => (t.Item2.Length > 0 ? "Content-Type: " + t.Item2 + "\n" : "") + "\n" + string.Join("\n", t.Item1));
        if (depth == 0)
        {
            return leaf;
        }
        Gen<string> multipart =
            from boundary in Gen.Elements(Boundaries)
            from subtype in Gen.Elements("mixed", "alternative", "digest")
            from count in Gen.Choose(0, 3)
            from parts in Entity(depth - 1).ListOf(count)
            from close in Gen.Elements(true, true, false)
            from preamble in Gen.Elements(BodyLines)
            select $"Content-Type: multipart/{subtype}; boundary=\"{boundary}\"\n\n{preamble}\n"
                + string.Concat(parts.Select(p => $"--{boundary}\n{p}\n"))
                + (close ? $"--{boundary}--\nepilogue" : "");
        Gen<string> message = Entity(depth - 1).Select(inner => "Content-Type: message/rfc822\n\nSubject: inner\n" + inner);
        return Gen.Frequency((3, leaf), (3, multipart), (1, message));
    }
}
