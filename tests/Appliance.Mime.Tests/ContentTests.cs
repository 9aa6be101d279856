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
}
