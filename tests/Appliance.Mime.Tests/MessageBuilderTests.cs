using System.Text;

namespace Appliance.Mime.Tests;

public sealed class MessageBuilderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 15, 36, 2, TimeSpan.FromHours(1));

    internal static MessageBuilder NewBuilder() => new(new FixedTime(Now))
    {
        From = new MailboxAddress("Alice Example", "alice", "example.org"),
        To = { new MailboxAddress(null, "bob", "example.net") },
    };

    private static string Build(MessageBuilder builder) => Encoding.UTF8.GetString(builder.ToArray());

    private static MimeEntity Parse(byte[] message, out MemoryStream raw)
    {
        raw = new MemoryStream(message);
        return MimeParser.Parse(message);
    }

    [Fact]
    public void Simple_text_message_has_the_required_fields_and_crlf_only()
    {
        MessageBuilder builder = NewBuilder();
        builder.Subject = "Hello";
        builder.TextBody = "line one\nline two";
        string message = Build(builder);

        Assert.StartsWith("Date: Sat, 21 Nov 2026 14:36:02 +0000\r\nFrom: Alice Example <alice@example.org>\r\nTo: bob@example.net\r\nMessage-ID: <", message);
        Assert.Matches(@"\r\nMessage-ID: <[a-z2-7]{24}@example\.org>\r\n", message);
        Assert.Contains("\r\nSubject: Hello\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nline one\r\nline two\r\n", message);
        Assert.DoesNotMatch("[^\r]\n", message);
        Assert.Equal(builder.MessageId, MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("Message-ID")!.Value);
        Assert.Equal(Now, builder.Date);
    }

    [Fact]
    public void Date_follows_rfc5322_3_3_with_negative_zones()
    {
        Assert.Equal("Mon, 2 Feb 2026 03:04:05 -0330", MessageBuilder.FormatDate(new DateTimeOffset(2026, 2, 2, 3, 4, 5, TimeSpan.FromMinutes(-210))));
        Assert.Equal(new DateTimeOffset(2026, 2, 2, 3, 4, 5, TimeSpan.FromMinutes(-210)), MailDate.Parse("Mon, 2 Feb 2026 03:04:05 -0330"));
    }

    [Fact]
    public void Non_ascii_subject_becomes_encoded_words_and_reads_back()
    {
        MessageBuilder builder = NewBuilder();
        builder.Subject = "Grüße aus Köln — ünïcödé everywhere in this rather long subject line that must fold 😀";
        string message = Build(builder);

        Assert.Contains("Subject: =?utf-8?", message);
        AssertLinesAtMost(message, 78);
        Assert.Equal(builder.Subject, MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("Subject")!.DecodeText());
    }

    [Fact]
    public void Mostly_ascii_subject_chooses_q_and_mostly_non_ascii_chooses_b()
    {
        MessageBuilder q = NewBuilder();
        q.Subject = "Cafe menu: creme brulee a la francaise, tres bien";
        q.Subject += " é";
        Assert.Contains("Subject: =?utf-8?Q?", Build(q));

        MessageBuilder b = NewBuilder();
        b.Subject = "Привет, как дела";
        Assert.Contains("Subject: =?utf-8?B?", Build(b));
    }

    [Fact]
    public void Utf8Headers_writes_raw_utf8_and_u_label_domains()
    {
        MessageBuilder builder = NewBuilder();
        builder.Utf8Headers = true;
        builder.Subject = "Grüße";
        builder.To.Add(new MailboxAddress("Jörg", "jörg", "bücher.example"));
        string message = Build(builder);

        Assert.Contains("Subject: Grüße\r\n", message);
        Assert.Contains("Jörg <jörg@bücher.example>", message);
    }

    [Fact]
    public void Idn_domains_become_a_labels_and_non_ascii_local_parts_need_utf8_headers()
    {
        MessageBuilder builder = NewBuilder();
        builder.To.Add(new MailboxAddress(null, "info", "bücher.example"));
        Assert.Contains("info@xn--bcher-kva.example", Build(builder));

        MessageBuilder utf8Local = NewBuilder();
        utf8Local.To.Add(new MailboxAddress(null, "jörg", "example.org"));
        ArgumentException e = Assert.Throws<ArgumentException>(() => utf8Local.ToArray());
        Assert.Contains("Utf8Headers", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Doe, John", "\"Doe, John\" <j@example.com>")]
    [InlineData("John Q. Public", "\"John Q. Public\" <j@example.com>")]
    [InlineData("Say \"hi\"", "\"Say \\\"hi\\\"\" <j@example.com>")]
    [InlineData("Plain Name", "Plain Name <j@example.com>")]
    public void Display_names_are_quoted_when_rfc5322_3_2_4_needs_it(string name, string expected)
    {
        MessageBuilder builder = NewBuilder();
        builder.Cc.Add(new MailboxAddress(name, "j", "example.com"));
        string message = Build(builder);

        Assert.Contains("Cc: " + expected + "\r\n", message);
        MailboxAddress parsed = Assert.Single(MailboxAddress.ParseList(MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("Cc")!.Value));
        Assert.Equal(name, parsed.DisplayName);
    }

    [Fact]
    public void Long_address_lists_fold_between_mailboxes()
    {
        MessageBuilder builder = NewBuilder();
        for (int i = 0; i < 12; i++)
        {
            builder.To.Add(new MailboxAddress($"Person Number {i}", $"person{i}", "example.com"));
        }
        string message = Build(builder);

        AssertLinesAtMost(message, 78);
        IReadOnlyList<MailboxAddress> parsed = MailboxAddress.ParseList(MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("To")!.Value);
        Assert.Equal(builder.To.Select(m => (m.DisplayName, m.Address)), parsed.Select(m => (m.DisplayName, m.Address)));
    }

    [Fact]
    public void A_word_longer_than_998_is_encoded_so_it_can_fold()
    {
        MessageBuilder builder = NewBuilder();
        builder.Subject = new string('x', 1200);
        string message = Build(builder);

        AssertLinesAtMost(message, 998);
        Assert.Equal(builder.Subject, MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("Subject")!.DecodeText());
    }

    [Theory]
    [InlineData(' ')]
    [InlineData(',')]
    [InlineData('é')]
    public void A_display_name_too_long_for_one_line_is_encoded_so_it_can_fold(char filler)
    {
        MessageBuilder builder = NewBuilder();
        string name = "N" + new string(filler, 1500) + "N";
        builder.To.Add(new MailboxAddress(name, "long", "example.com"));
        string message = Build(builder);

        AssertLinesAtMost(message, 998);
        Assert.Contains(MailboxAddress.ParseList(MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("To")!.Value), m => m.DisplayName == name);
    }

    [Fact]
    public void Text_that_looks_like_an_encoded_word_is_encoded_so_it_reads_back_literally()
    {
        MessageBuilder builder = NewBuilder();
        builder.Subject = "about =?utf-8?Q?x?= syntax";
        Assert.Equal(builder.Subject, MimeParser.Parse(builder.ToArray()).Header.Get("Subject")!.DecodeText());
    }

    [Theory]
    [InlineData("Subject")]
    [InlineData("DisplayName")]
    [InlineData("LocalPart")]
    [InlineData("FileName")]
    [InlineData("HeaderValue")]
    [InlineData("MessageId")]
    [InlineData("InReplyTo")]
    [InlineData("References")]
    [InlineData("ContentId")]
    public void Line_breaks_and_nul_are_refused_in_every_single_line_field(string field)
    {
        foreach (string evil in new[] { "x\r\nBcc: victim@example.com", "x\nBcc: v@example.com", "x\rY", "x\0y" })
        {
            MessageBuilder builder = NewBuilder();
            ArgumentException e = Assert.ThrowsAny<ArgumentException>(() =>
            {
                switch (field)
                {
                    case "Subject": builder.Subject = evil; break;
                    case "DisplayName": builder.To.Add(new MailboxAddress(evil, "a", "example.com")); break;
                    case "LocalPart": builder.To.Add(new MailboxAddress(null, evil, "example.com")); break;
                    case "FileName": builder.AddAttachment(evil, [1, 2]); break;
                    case "HeaderValue": builder.AddHeader("X-Test", evil); break;
                    case "MessageId": builder.MessageId = "<" + evil + "@example.com>"; break;
                    case "InReplyTo": builder.InReplyTo = "<" + evil + "@example.com>"; break;
                    case "References": builder.References.Add("<" + evil + "@example.com>"); break;
                    case "ContentId": builder.AddInlineImage("a.png", [1], "image/png", evil + "@example.com"); break;
                }
                builder.ToArray();
            });
            Assert.False(string.IsNullOrEmpty(e.ParamName));
            Assert.Contains(e.ParamName!.Split('[', '.')[0], e.Message + field, StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("X Test")]
    [InlineData("X:Test")]
    [InlineData("X-Tést")]
    [InlineData("")]
    [InlineData("X-Test\r\nBcc")]
    public void Header_names_outside_ftext_are_refused(string name)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => NewBuilder().AddHeader(name, "v"));
        Assert.Equal("header name", e.ParamName);
    }

    [Fact]
    public void Headers_the_builder_writes_cannot_be_added_again()
    {
        Assert.Throws<ArgumentException>(() => NewBuilder().AddHeader("bcc", "x@example.com"));
        Assert.Throws<ArgumentException>(() => NewBuilder().AddHeader("Content-Type", "text/html"));
    }

    [Fact]
    public void Bcc_is_an_envelope_recipient_but_never_a_header()
    {
        MessageBuilder builder = NewBuilder();
        builder.Cc.Add(new MailboxAddress(null, "carol", "example.com"));
        builder.Bcc.Add(new MailboxAddress(null, "secret", "example.com"));
        builder.Bcc.Add(new MailboxAddress(null, "BOB", "example.net"));
        string message = Build(builder);

        Assert.DoesNotContain("secret", message);
        Assert.DoesNotContain("Bcc", message);
        Assert.Equal(["bob@example.net", "carol@example.com", "secret@example.com"], builder.Recipients.Select(m => m.Address));
    }

    [Fact]
    public void The_senders_own_copy_may_keep_bcc()
    {
        MessageBuilder builder = NewBuilder();
        builder.Bcc.Add(new MailboxAddress("Secret Agent", "secret", "example.com"));
        builder.WriteBcc = true;
        HeaderBlock header = MimeParser.Parse(builder.ToArray()).Header;
        Assert.Equal("secret@example.com", MailboxAddress.ParseList(header.Get("Bcc")!.Value).Single().Address);
    }

    [Fact]
    public void Custom_headers_are_written_and_encoded()
    {
        MessageBuilder builder = NewBuilder();
        builder.AddHeader("X-Mailer", "Appliance");
        builder.AddHeader("X-Note", "naïve");
        HeaderBlock header = MimeParser.Parse(builder.ToArray()).Header;
        Assert.Equal("Appliance", header.Get("X-Mailer")!.Value);
        Assert.Equal("naïve", header.Get("X-Note")!.DecodeText());
        Assert.StartsWith("=?utf-8?", header.Get("X-Note")!.Value, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain ascii text", "7bit")]
    [InlineData("mostly ascii text with one café in it", "quoted-printable")]
    [InlineData("Съешь же ещё этих мягких французских булок, да выпей чаю", "base64")]
    [InlineData("日本語のテキストです", "base64")]
    public void Text_bodies_choose_the_shorter_encoding(string text, string expected)
    {
        MessageBuilder builder = NewBuilder();
        builder.TextBody = text;
        MimeEntity root = Parse(builder.ToArray(), out MemoryStream raw);
        Assert.Equal(expected, root.TransferEncoding);
        Assert.Equal(text + "\r\n", root.ReadText(raw));
    }

    [Fact]
    public void Allow8Bit_sends_non_ascii_text_as_8bit()
    {
        MessageBuilder builder = NewBuilder();
        builder.Allow8Bit = true;
        builder.TextBody = "日本語";
        MimeEntity root = Parse(builder.ToArray(), out MemoryStream raw);
        Assert.Equal("8bit", root.TransferEncoding);
        Assert.Equal("日本語\r\n", root.ReadText(raw));
    }

    [Fact]
    public void Quoted_printable_lines_stay_within_76_and_protect_dots_and_from()
    {
        string text = "café " + new string('a', 200) + "\n.\nFrom me\ntrailing space \n";
        byte[] encoded = BodyEncoder.QuotedPrintable(BodyEncoder.NormalizeText(text));
        string qp = Encoding.ASCII.GetString(encoded);

        AssertLinesAtMost(qp, 76);
        Assert.Contains("\r\n=2E\r\n=46rom me\r\ntrailing space=20\r\n", qp);
        Assert.Equal(BodyEncoder.NormalizeLineEnds(text), Encoding.UTF8.GetString(TransferEncodings.DecodeQuotedPrintable(encoded)));
    }

    [Fact]
    public void Alternative_with_related_inline_image_and_attachment_builds_the_expected_tree()
    {
        MessageBuilder builder = NewBuilder();
        builder.TextBody = "see picture";
        string cid = builder.AddInlineImage("logo.png", [0x89, 0x50, 0x4E, 0x47], "image/png");
        builder.HtmlBody = $"<p>see <img src=\"cid:{cid}\"></p>";
        builder.AddAttachment("Überblick Bericht 2026 — sehr langer Dateiname, damit er umbrochen werden muss.pdf", [.. Enumerable.Range(0, 300).Select(i => (byte)i)], "application/pdf");
        byte[] message = builder.ToArray();
        MimeEntity root = Parse(message, out MemoryStream raw);

        Assert.Equal("multipart/mixed", $"{root.MediaType}/{root.MediaSubtype}");
        Assert.Equal("multipart/alternative", $"{root.Children[0].MediaType}/{root.Children[0].MediaSubtype}");
        MimeEntity related = root.Children[0].Children[1];
        Assert.Equal("related", related.MediaSubtype);
        Assert.Equal("text/html", related.GetContentTypeParameter("type"));
        MimeEntity image = MessageParts.FindByContentId(root, cid)!;
        Assert.Equal("logo.png", image.FileName);
        Assert.Equal("inline", image.Disposition);
        MimeEntity attachment = Assert.Single(MessageParts.FindAttachments(root), a => a.Disposition == "attachment");
        Assert.Equal("Überblick Bericht 2026 — sehr langer Dateiname, damit er umbrochen werden muss.pdf", attachment.FileName);
        Assert.StartsWith("=?utf-8?", attachment.ContentTypeParameters["name"], StringComparison.Ordinal);
        Assert.Contains("filename*0*=utf-8''", Encoding.ASCII.GetString(message), StringComparison.Ordinal);
        Assert.Equal(300, ReadBytes(attachment, raw).Length);
        Assert.Equal("see picture\r\n", MessageParts.FindDisplayBody(root, allowHtml: false)!.ReadText(raw));
        AssertLinesAtMost(Encoding.ASCII.GetString(message), 78);
    }

    [Fact]
    public void Boundaries_never_occur_in_7bit_content()
    {
        MessageBuilder builder = NewBuilder();
        builder.TextBody = "--=_ looks like our boundaries\n--=_aaaa--";
        builder.HtmlBody = "<p>--=_</p>";
        MimeEntity root = Parse(builder.ToArray(), out MemoryStream raw);
        Assert.Equal(2, root.Children.Count);
        Assert.Equal("--=_ looks like our boundaries\r\n--=_aaaa--\r\n", root.Children[0].ReadText(raw));
    }

    [Fact]
    public void Message_attachment_is_message_rfc822_not_encoded()
    {
        MessageBuilder builder = NewBuilder();
        builder.TextBody = "fyi";
        builder.AddMessageAttachment("Subject: inner\nFrom: x@example.com\n\nbody\n"u8.ToArray());
        MimeEntity root = Parse(builder.ToArray(), out _);
        MimeEntity part = root.Children[1];
        Assert.Equal("7bit", part.TransferEncoding);
        Assert.Equal("inner", part.EncapsulatedMessage!.Header.Get("Subject")!.Value);
    }

    [Fact]
    public void Invalid_media_types_and_missing_from_are_refused()
    {
        Assert.Throws<ArgumentException>(() => NewBuilder().AddAttachment("a", [1], "text"));
        Assert.Throws<ArgumentException>(() => NewBuilder().AddAttachment("a", [1], "multipart/mixed"));
        Assert.Throws<ArgumentException>(() => NewBuilder().AddAttachment("a", [1], "text/plain; x=\"y\""));
        ArgumentException e = Assert.Throws<ArgumentException>(() => new MessageBuilder().ToArray());
        Assert.Equal("From", e.ParamName);
    }

    internal static byte[] ReadBytes(MimeEntity entity, Stream raw)
    {
        using Stream content = entity.OpenContentStream(raw);
        using var bytes = new MemoryStream();
        content.CopyTo(bytes);
        return bytes.ToArray();
    }

    internal static void AssertLinesAtMost(string text, int max)
    {
        foreach (string line in text.Split("\r\n"))
        {
            Assert.True(line.Length <= max, $"line of {line.Length} > {max}: {line}");
        }
    }

    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }

    [Theory]
    [InlineData(" leading", false)]
    [InlineData("trailing  ", false)]
    [InlineData("\tboth ", false)]
    [InlineData("   ", false)]
    [InlineData(" Grüße ", true)]
    public void Subject_whitespace_at_the_ends_reads_back_as_written(string subject, bool utf8)
    {
        var builder = new MessageBuilder { From = new MailboxAddress(null, "a", "example.org"), Subject = subject, Utf8Headers = utf8 };
        builder.To.Add(new MailboxAddress(null, "b", "example.org"));
        builder.TextBody = "x";

        string message = Encoding.UTF8.GetString(builder.ToArray());

        Assert.Contains("Subject: =?utf-8?", message);
        Assert.Equal(subject, MimeParser.Parse(Encoding.UTF8.GetBytes(message)).Header.Get("Subject")!.DecodeText());
    }
}
