using System.Text;

namespace Appliance.Mime.Tests;

public sealed class ContentTests
{
    [Fact]
    public void Parts_decode_lazily_from_the_raw_message()
    {
        using FileStream raw = File.OpenRead(Path.Combine(CorpusTests.CorpusDirectory(), "rfc/nested-mixed-alternative-related.eml"));
        MimeEntity root = MimeParser.Parse(raw);
        MimeEntity plain = root.Children[0].Children[0];
        MimeEntity logo = root.Children[0].Children[1].Children[1];

        Assert.Equal("Hello Bob, \r\nthe figures are attached. Café?", plain.ReadText(raw));
        using Stream image = logo.OpenContentStream(raw);
        using var bytes = new MemoryStream();
        image.CopyTo(bytes);
        Assert.Equal(Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="), bytes.ToArray());
    }

    [Fact]
    public void Text_uses_the_declared_charset_and_8bit_passes_through()
    {
        byte[] message = [.. "Content-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"u8, .. Legacy.Encode("koi8-r", "Привет")];
        using var raw = new MemoryStream(message);

        Assert.Equal("Привет", MimeParser.Parse(raw).ReadText(raw));
    }

    [Fact]
    public void Long_quoted_printable_decodes_across_chunk_edges()
    {
        var body = new StringBuilder();
        var expected = new StringBuilder();
        for (int i = 0; i < 5000; i++)
        {
            body.Append("caf=C3=A9 =\r\nx").Append(i % 10).Append("\r\n");
            expected.Append("café x").Append(i % 10).Append("\r\n");
        }
        byte[] message = Encoding.ASCII.GetBytes("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + body);
        using var raw = new MemoryStream(message);

        Assert.Equal(expected.ToString(), MimeParser.Parse(raw).ReadText(raw));
    }

    [Fact]
    public void Stream_and_sequence_and_span_parse_alike()
    {
        byte[] message = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), "rfc/message-rfc822-attachment.eml"));
        string fromStream = TreeDump.Render(MimeParser.Parse(new ForwardOnlyStream(message)));

        Assert.Equal(fromStream, TreeDump.Render(MimeParser.Parse(message)));
        Assert.Equal(fromStream, TreeDump.Render(MimeParser.Parse(Segments.Of(message, 7, message.Length / 2))));
    }

    [Fact]
    public void Parts_read_in_order_from_forward_only_streams_equal_the_seekable_reads()
    {
        byte[] message = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), "rfc/nested-mixed-alternative-related.eml"));
        MimeEntity root = MimeParser.Parse(message);
        MimeEntity[] leaves = [.. MessageParts.Leaves(root)];
        using var seekable = new MemoryStream(message);
        byte[][] expected = [.. leaves.Select(leaf => Content(leaf, seekable))];
        Assert.True(leaves.Length >= 4);

        // One stream reports its Position, the other (a pipe) does not: both serve every part in order.
        using var forward = new ForwardOnlyStream(message);
        using var pipe = new PipeStream(message);
        foreach ((MimeEntity leaf, byte[] bytes) in leaves.Zip(expected))
        {
            Assert.Equal(bytes, Content(leaf, forward));
            Assert.Equal(bytes, Content(leaf, pipe));
        }
    }

    [Fact]
    public void A_part_the_forward_only_stream_has_passed_cannot_be_read_and_says_why()
    {
        byte[] message = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), "rfc/nested-mixed-alternative-related.eml"));
        MimeEntity root = MimeParser.Parse(message);
        MimeEntity first = root.Children[0].Children[0];
        MimeEntity last = root.Children[^1];
        using var pipe = new PipeStream(message);
        using var seekable = new MemoryStream(message);

        Assert.Equal(Content(last, seekable), Content(last, pipe));
        var error = Assert.Throws<InvalidOperationException>(() => Content(first, pipe));
        Assert.Contains("Part 1.1 ", error.Message, StringComparison.Ordinal);
        Assert.Contains("order of their content", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_decodes_from_a_pipe_after_the_caller_opened_an_earlier_part()
    {
        byte[] message = Encoding.ASCII.GetBytes(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
            "--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n" +
            "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nY2Fmw6k=\r\n--b--\r\n");
        MimeEntity root = MimeParser.Parse(message);
        using var pipe = new PipeStream(message);

        Assert.Equal("first", root.Children[0].ReadText(pipe));
        Assert.Equal("café", root.Children[1].ReadText(pipe));
    }

    private static byte[] Content(MimeEntity entity, Stream raw)
    {
        using Stream content = entity.OpenContentStream(raw);
        using var bytes = new MemoryStream();
        content.CopyTo(bytes);
        return bytes.ToArray();
    }

    /// <summary>A forward-only stream that cannot even say where it is, like a socket or a pipe.</summary>
    private sealed class PipeStream(byte[] data) : Stream
    {
        private readonly MemoryStream inner = new(data);

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        // Short reads, as a pipe gives them.
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
