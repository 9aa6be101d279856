using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Appliance.Mime.Tests;

/// <summary>
/// parse(build(x)) == x over generated messages (non-ASCII, long words, specials in names, binary
/// attachments, inline images), and the parser's offsets cover every byte of each corpus message.
/// </summary>
public sealed class RoundTripTests
{
    private static readonly string[] Words =
    [
        "hello", "Grüße", "日本語", "😀emoji", "Ж", "a,b", "(paren)", "\"quoted\"", "back\\slash", "=?not?=", "x=y",
        "tab\there", "dot.", "@at", "<angle>", new string('w', 90), "Ünïcödé" + new string('é', 40), "a;b:c", "_under_",
    ];

    [Fact]
    public void Parse_of_build_gives_back_what_was_built()
    {
        Prop.ForAll(Inputs().ToArbitrary(), input =>
        {
            MessageBuilder builder = input.ToBuilder();
            byte[] bytes = builder.ToArray();
            Assert.DoesNotMatch("[^\r]\n|\r[^\n]", Encoding.UTF8.GetString(bytes));
            var raw = new MemoryStream(bytes);
            MimeEntity root = MimeParser.Parse(bytes);
            HeaderBlock header = root.Header;

            Assert.Equal(input.Subject, header.Get("Subject")!.DecodeText());
            AssertMailboxes([input.From], header.Get("From")!.Value);
            AssertMailboxes(input.To, header.Get("To")?.Value);
            Assert.Equal(builder.MessageId, header.Get("Message-ID")!.Value);
            Assert.Equal(builder.Date, MailDate.Parse(header.Get("Date")!.Value));

            Assert.Equal(BodyEncoder.NormalizeLineEnds(input.Text), MessageParts.FindDisplayBody(root, allowHtml: false)!.ReadText(raw));
            if (input.Html is not null)
            {
                Assert.Equal(BodyEncoder.NormalizeLineEnds(input.Html), MessageParts.FindDisplayBody(root, allowHtml: true)!.ReadText(raw));
            }
            List<MimeEntity> attached = [.. MessageParts.FindAttachments(root).Where(a => a.Disposition == "attachment")];
            Assert.Equal(input.Attachments.Select(a => a.Name), attached.Select(a => a.FileName));
            Assert.Equal(input.Attachments.Select(a => Convert.ToHexString(a.Content)), attached.Select(a => Convert.ToHexString(MessageBuilderTests.ReadBytes(a, raw))));
            foreach ((string name, byte[] content, string cid) in input.Images(builder))
            {
                MimeEntity image = MessageParts.FindByContentId(root, cid)!;
                Assert.Equal(name, image.FileName);
                Assert.Equal(content, MessageBuilderTests.ReadBytes(image, raw));
            }
            foreach (string line in Encoding.UTF8.GetString(bytes).Split("\r\n"))
            {
                Assert.True(line.Length <= 998, "line over 998");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Theory]
    [MemberData(nameof(CorpusTests.Messages), MemberType = typeof(CorpusTests))]
    public void Offsets_cover_every_byte_of_corpus_messages(string message)
    {
        byte[] raw = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), message));
        MimeEntity root = MimeParser.Parse(raw);
        using var copy = new MemoryStream();
        Write(root, raw, copy);
        copy.Write(raw.AsSpan((int)root.BodyEnd));
        Assert.Equal(raw, copy.ToArray());
    }

    /// <summary>
    /// A raw copy of the tree from its offsets: header, then for a multipart the bytes between its
    /// children (preamble, delimiter lines, epilogue), which must be exactly the delimiters the
    /// parser skipped; for a leaf its body. Equal to the original only if the offsets are consistent.
    /// </summary>
    private static void Write(MimeEntity entity, byte[] raw, Stream output)
    {
        output.Write(raw.AsSpan((int)entity.HeaderStart, (int)(entity.BodyStart - entity.HeaderStart)));
        long at = entity.BodyStart;
        foreach (MimeEntity child in entity.Children)
        {
            Assert.True(child.HeaderStart >= at, $"{child} starts before {at}");
            output.Write(raw.AsSpan((int)at, (int)(child.HeaderStart - at)));
            Write(child, raw, output);
            at = child.BodyEnd;
        }
        Assert.True(entity.BodyEnd >= at);
        output.Write(raw.AsSpan((int)at, (int)(entity.BodyEnd - at)));
    }

    private static void AssertMailboxes(IReadOnlyList<MailboxAddress> expected, string? value)
    {
        IReadOnlyList<MailboxAddress> parsed = MailboxAddress.ParseList(value);
        Assert.Equal(expected.Select(m => (m.DisplayName, m.LocalPart, m.Domain)), parsed.Select(m => (m.DisplayName, m.LocalPart, m.Domain)));
    }

    private static Gen<string> Phrase(int max) =>
        Gen.Elements(Words).ArrayOf().Select(w => string.Join(" ", w.Take(max)));

    private static Gen<MailboxAddress> Mailbox() =>
        from name in Phrase(4)
        from local in Gen.Elements("a", "bob", "first.last", "x+tag", "o'brien")
        from domain in Gen.Elements("example.com", "mail.example.org", "bücher.example")
        select new MailboxAddress(name.Length == 0 ? null : name, local, domain == "bücher.example" ? "xn--bcher-kva.example" : domain);

    private static Gen<Input> Inputs() =>
        from subject in Phrase(30)
        from pad in Gen.Elements("", "", " ", "  ", "\t")
        from sender in Mailbox()
        from to in Mailbox().ListOf().Select(l => l.Take(5).ToList())
        from textLines in Phrase(8).ArrayOf()
        from html in Gen.Elements(true, false)
        from attachments in (from name in Phrase(6) from content in ArbMap.Default.GeneratorFor<byte[]>() select (Name: "f " + name, Content: content)).ListOf()
        from images in ArbMap.Default.GeneratorFor<byte[]>().ListOf()
        from utf8 in Gen.Elements(false, false, true)
        from eightBit in Gen.Elements(false, true)
        select new Input(pad + subject + pad, sender, to, string.Join("\n", textLines), html ? "<p>" + string.Join("<br>\r\n", textLines) + "</p>" : null,
            [.. attachments.Take(4).Select(a => (a.Name.Length > 200 ? a.Name[..200].TrimEnd() : a.Name, a.Content))], [.. images.Take(3)])
        {
            Utf8Headers = utf8,
            Allow8Bit = eightBit,
        };

    private sealed record Input(string Subject, MailboxAddress From, List<MailboxAddress> To, string Text, string? Html,
        List<(string Name, byte[] Content)> Attachments, List<byte[]> ImageContents)
    {
        private readonly List<(string, byte[], string)> images = [];

        public bool Utf8Headers { get; init; }

        public bool Allow8Bit { get; init; }

        public MessageBuilder ToBuilder()
        {
            MessageBuilder builder = MessageBuilderTests.NewBuilder();
            builder.To.Clear();
            builder.From = From;
            foreach (MailboxAddress to in To)
            {
                builder.To.Add(to);
            }
            builder.Subject = Subject;
            builder.Utf8Headers = Utf8Headers;
            builder.Allow8Bit = Allow8Bit;
            builder.TextBody = Text;
            builder.HtmlBody = Html;
            foreach ((string name, byte[] content) in Attachments)
            {
                builder.AddAttachment(name, content);
            }
            images.Clear();
            if (Html is not null)
            {
                for (int i = 0; i < ImageContents.Count; i++)
                {
                    string name = $"image {i} ü.png";
                    images.Add((name, ImageContents[i], builder.AddInlineImage(name, ImageContents[i], "image/png")));
                }
            }
            return builder;
        }

        public List<(string, byte[], string)> Images(MessageBuilder builder) => images;
    }
}
