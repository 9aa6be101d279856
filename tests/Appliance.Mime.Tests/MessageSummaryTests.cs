using System.Text;

namespace Appliance.Mime.Tests;

public sealed class MessageSummaryTests
{
    private static MessageSummary Read(string message) => Read(Encoding.UTF8.GetBytes(message));

    private static MessageSummary Read(byte[] message) => MessageSummary.Read(new MemoryStream(message));

    [Fact]
    public void The_store_contract_message()
    {
        MessageSummary summary = Read("From: a@b.c\r\nSubject: Hi\r\n\r\nbody");

        Assert.Equal(new MessageSummary(null, "a@b.c", "", "Hi", null, false, "body"), summary);
    }

    [Fact]
    public void Plain_message_with_every_field()
    {
        MessageSummary summary = Read(
            "Return-Path: <alice@example.org>\r\n" +
            "Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n" +
            "From: \"Alice Example\" <alice@example.org>\r\n" +
            "To: Bob <bob@example.com>, carol@example.com,\r\n\t\"Dave D.\" <dave@example.net>\r\n" +
            "Subject: Lunch\r\n  on   Friday?\r\n" +
            "Message-ID: <1234@local.machine.example>\r\n" +
            "Content-Type: text/plain; charset=us-ascii\r\n" +
            "\r\n" +
            "Hi Bob,\r\n\r\nare   we still on\tfor Friday?\r\n\r\n-- \r\nAlice\r\n");

        Assert.Equal(new DateTimeOffset(2003, 7, 1, 10, 52, 37, TimeSpan.FromHours(2)), summary.Date);
        Assert.Equal("Alice Example", summary.From);
        Assert.Equal("Bob, carol@example.com, Dave D.", summary.To);
        Assert.Equal("Lunch on Friday?", summary.Subject);
        Assert.Equal("1234@local.machine.example", summary.MessageId);
        Assert.False(summary.HasAttachment);
        Assert.Equal("Hi Bob, are we still on for Friday? -- Alice", summary.Preview);
    }

    [Fact]
    public void Multipart_alternative_prefers_the_plain_part()
    {
        MessageSummary summary = Read(
            "From: =?UTF-8?B?SsO2cmc=?= <jorg@example.de>\r\n" +
            "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n" +
            "MIME-Version: 1.0\r\n" +
            "Content-Type: multipart/alternative; boundary=\"b1\"\r\n" +
            "\r\n" +
            "This is a multi-part message in MIME format.\r\n" +
            "--b1\r\n" +
            "Content-Type: text/html; charset=utf-8\r\n" +
            "\r\n" +
            "<html><body><p>HTML version</p></body></html>\r\n" +
            "--b1\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Transfer-Encoding: 8bit\r\n" +
            "\r\n" +
            "Schöne Grüße\r\n" +
            "--b1--\r\n");

        Assert.Equal("Jörg", summary.From);
        Assert.Equal("Grüße", summary.Subject);
        Assert.Equal("Schöne Grüße", summary.Preview);
        Assert.False(summary.HasAttachment);
    }

    [Fact]
    public void Multipart_mixed_with_a_pdf_attachment()
    {
        MessageSummary summary = Read(
            "From: Billing <billing@example.com>\r\n" +
            "To: customer@example.org\r\n" +
            "Subject: Your invoice\r\n" +
            "Content-Type: multipart/mixed; boundary=\"----=_Part_0_1\"\r\n" +
            "\r\n" +
            "------=_Part_0_1\r\n" +
            "Content-Type: multipart/alternative; boundary=\"----=_Part_0_1_alt\"\r\n" +
            "\r\n" +
            "------=_Part_0_1_alt\r\n" +
            "Content-Type: text/plain; charset=utf-8\r\n" +
            "Content-Transfer-Encoding: quoted-printable\r\n" +
            "\r\n" +
            "Please find your invoice attached.=\r\n Total: 10 =E2=82=AC\r\n" +
            "------=_Part_0_1_alt\r\n" +
            "Content-Type: text/html; charset=utf-8\r\n" +
            "\r\n" +
            "<p>Please find your invoice attached.</p>\r\n" +
            "------=_Part_0_1_alt--\r\n" +
            "\r\n" +
            "------=_Part_0_1\r\n" +
            "Content-Type: application/pdf; name=\"invoice.pdf\"\r\n" +
            "Content-Transfer-Encoding: base64\r\n" +
            "Content-Disposition: attachment; filename=\"invoice.pdf\"\r\n" +
            "\r\n" +
            "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURlY29kZT4+\r\n" +
            "------=_Part_0_1--\r\n");

        Assert.True(summary.HasAttachment);
        Assert.Equal("Please find your invoice attached. Total: 10 €", summary.Preview);
        Assert.Equal("customer@example.org", summary.To);
    }

    [Fact]
    public void Base64_text_in_a_legacy_charset()
    {
        byte[] text = Legacy.Encode("windows-1251", "Привет, мир!");
        MessageSummary summary = Read(
            "From: ivan@example.ru\r\n" +
            "Content-Type: text/plain; charset=windows-1251\r\n" +
            "Content-Transfer-Encoding: base64\r\n" +
            "\r\n" +
            Convert.ToBase64String(text) + "\r\n");

        Assert.Equal("Привет, мир!", summary.Preview);
    }

    [Fact]
    public void Quoted_printable_text()
    {
        MessageSummary summary = Read(
            "Content-Type: text/plain; charset=iso-8859-1\r\n" +
            "Content-Transfer-Encoding: quoted-printable\r\n" +
            "\r\n" +
            "Caf=E9 cr=E8me, soft=\r\nbreak and a literal =3D sign.\r\n");

        Assert.Equal("Café crème, softbreak and a literal = sign.", summary.Preview);
    }

    [Fact]
    public void Html_only_message_is_stripped_of_tags_and_hidden_content()
    {
        MessageSummary summary = Read(
            "Content-Type: text/html; charset=utf-8\r\n" +
            "\r\n" +
            "<!DOCTYPE html><html><head><title>Newsletter</title><style>p { color: red; }</style></head>" +
            "<body><!-- tracking --><h1>Big&nbsp;news</h1><p>We <b>shipped</b> it &amp; more.</p>" +
            "<script>alert(1)</script><p>Bye</p></body></html>");

        Assert.Equal("Big news We shipped it & more. Bye", summary.Preview);
    }

    [Fact]
    public void Message_without_header()
    {
        MessageSummary summary = Read("\r\nJust a body line.\r\n");

        Assert.Equal(MessageSummary.Empty with { Preview = "Just a body line." }, summary);
    }

    [Fact]
    public void Empty_message()
    {
        Assert.Equal(MessageSummary.Empty, Read([]));
    }

    [Fact]
    public void Garbage_gives_best_effort_values()
    {
        var random = new Random(5322);
        for (int i = 0; i < 200; i++)
        {
            byte[] garbage = new byte[random.Next(0, 4000)];
            random.NextBytes(garbage);
            MessageSummary summary = Read(garbage);
            Assert.NotNull(summary.From);
            Assert.NotNull(summary.Preview);
        }
    }

    [Fact]
    public void Malformed_header_values_are_best_effort()
    {
        MessageSummary summary = Read(
            "From: <<>>@@\r\n" +
            "To: undisclosed-recipients:;\r\n" +
            "Date: not a date\r\n" +
            "Message-ID: broken-id@host\r\n" +
            "Subject: =?utf-8?B?###?=\r\n" +
            "Content-Type: multipart/mixed\r\n" +
            "\r\n" +
            "no boundary\r\n");

        Assert.Null(summary.Date);
        Assert.Equal("undisclosed-recipients", summary.To);
        Assert.Equal("broken-id@host", summary.MessageId);
        Assert.Equal("=?utf-8?B?###?=", summary.Subject);
        Assert.Equal("", summary.Preview);
    }

    [Fact]
    public void Preview_is_cut_to_200_characters()
    {
        string words = string.Concat(Enumerable.Repeat("word ", 100));
        MessageSummary summary = Read("Subject: long\r\n\r\n" + words);

        Assert.Equal(words[..199], summary.Preview);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Huge_body_is_not_read_past_the_prefix(bool seekable)
    {
        var stream = new CountingStream(new MemoryStream(Encoding.ASCII.GetBytes(
            "Subject: big\r\nContent-Type: text/plain\r\n\r\n" + new string('x', 5_000_000))), seekable);

        MessageSummary summary = MessageSummary.Read(stream);

        Assert.Equal("big", summary.Subject);
        Assert.Equal(new string('x', 200), summary.Preview);
        Assert.True(stream.BytesRead < 200_000, $"read {stream.BytesRead} bytes");
    }

    [Fact]
    public void Attachment_after_a_truncated_prefix_is_not_claimed_and_nothing_throws()
    {
        string big = string.Concat(Enumerable.Repeat("line of text\r\n", 10_000));
        MessageSummary summary = Read(
            "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n" + big +
            "--x\r\nContent-Disposition: attachment; filename=a.zip\r\n\r\nUEsDBA==\r\n--x--\r\n");

        Assert.False(summary.HasAttachment);
        Assert.StartsWith("line of text line of text", summary.Preview, StringComparison.Ordinal);
    }

    [Fact]
    public void Signed_message_signature_is_not_an_attachment_but_a_named_inline_image_is()
    {
        MessageSummary signed = Read(
            "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\r\n\r\n" +
            "--s\r\nContent-Type: text/plain\r\n\r\nsigned text\r\n" +
            "--s\r\nContent-Type: application/pgp-signature; name=signature.asc\r\n\r\n-----BEGIN PGP SIGNATURE-----\r\n--s--\r\n");
        MessageSummary related = Read(
            "Content-Type: multipart/related; boundary=r\r\n\r\n" +
            "--r\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo\">Hello\r\n" +
            "--r\r\nContent-Type: image/png; name=logo.png\r\nContent-ID: <logo>\r\n\r\niVBORw0KGgo=\r\n--r--\r\n");

        Assert.Equal((false, "signed text"), (signed.HasAttachment, signed.Preview));
        Assert.Equal((true, "Hello"), (related.HasAttachment, related.Preview));
    }

    [Fact]
    public void Bare_lf_message_and_raw_utf8_header()
    {
        MessageSummary summary = Read(
            "From: Zoë <zoe@exämple.org>\nSubject: Grüße aus Köln\nDate: 1 Jan 2024 00:00 GMT\n\nHallo\n");

        Assert.Equal("Zoë", summary.From);
        Assert.Equal("Grüße aus Köln", summary.Subject);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), summary.Date);
        Assert.Equal("Hallo", summary.Preview);
    }

    [Fact]
    public void Latin1_raw_header_bytes()
    {
        byte[] message = Encoding.Latin1.GetBytes("Subject: Caf\u00e9\r\n\r\n");

        Assert.Equal("Café", Read(message).Subject);
    }

    [Fact]
    public void Non_seekable_stream_gives_the_same_summary()
    {
        byte[] message = Encoding.UTF8.GetBytes("From: a@b.c\r\nSubject: Hi\r\n\r\nbody");

        Assert.Equal(Read(message), MessageSummary.Read(new ForwardOnlyStream(message)));
    }

    private sealed class CountingStream(Stream inner, bool seekable) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;
        public override bool CanSeek => seekable;
        public override bool CanWrite => false;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            int read = inner.Read(buffer, offset, count);
            BytesRead += read;
            return read;
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData("<1234@local.machine.example>", "1234@local.machine.example")]
    [InlineData("  <a@b>  (comment)", "a@b")]
    [InlineData("<1234   @   local(blah)  .machine .example>", "1234@local.machine.example")]
    [InlineData("id@host", "id@host")]
    [InlineData("id@host (comment)", "id@host")]
    [InlineData("<unclosed@host", "unclosed@host")]
    [InlineData("<>", null)]
    [InlineData("(only a comment)", null)]
    [InlineData("", null)]
    public void Message_id(string value, string? expected)
    {
        Assert.Equal(expected, MessageSummary.ParseMessageId(value));
    }
}
