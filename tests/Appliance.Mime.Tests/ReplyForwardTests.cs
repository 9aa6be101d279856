using System.Text;

namespace Appliance.Mime.Tests;

public sealed class ReplyForwardTests
{
    private static readonly MailboxAddress Bob = new("Bob", "bob", "example.net");

    private const string Original =
        "From: Alice Example <alice@example.org>\r\n" +
        "To: Bob <bob@example.net>, carol@example.com\r\n" +
        "Cc: Dave <dave@example.com>, BOB@example.net\r\n" +
        "Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe?= and plans\r\n" +
        "Date: Wed, 04 Mar 2026 12:30:00 +0000\r\n" +
        "Message-ID: <m2@example.org>\r\n" +
        "References: <m0@example.org> <m1@example.org>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b\"\r\n" +
        "\r\n" +
        "--b\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "\r\n" +
        "Hello Bob,\r\n> earlier quote\r\nbye\r\n" +
        "--b\r\n" +
        "Content-Type: application/pdf; name=\"plan.pdf\"\r\n" +
        "Content-Transfer-Encoding: base64\r\n" +
        "\r\n" +
        "AAECAw==\r\n" +
        "--b--\r\n";

    private static MimeEntity Parse(string message, out MemoryStream raw)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(message);
        raw = new MemoryStream(bytes);
        return MimeParser.Parse(bytes);
    }

    [Fact]
    public void Reply_goes_to_the_sender_with_thread_fields_and_a_quote()
    {
        MimeEntity original = Parse(Original, out MemoryStream raw);
        MessageBuilder reply = MessageBuilder.CreateReply(original, raw, Bob);

        Assert.Equal(["alice@example.org"], reply.To.Select(m => m.Address));
        Assert.Empty(reply.Cc);
        Assert.Equal("Re: Grüße and plans", reply.Subject);
        Assert.Equal("<m2@example.org>", reply.InReplyTo);
        Assert.Equal(["<m0@example.org>", "<m1@example.org>", "<m2@example.org>"], reply.References);
        Assert.Equal("\r\nOn Wed, 4 Mar 2026 12:30:00 +0000, Alice Example <alice@example.org> wrote:\r\n> Hello Bob,\r\n>> earlier quote\r\n> bye\r\n", reply.TextBody);

        HeaderBlock written = MimeParser.Parse(reply.ToArray()).Header;
        Assert.Equal("<m2@example.org>", written.Get("In-Reply-To")!.Value);
        Assert.Equal("<m0@example.org> <m1@example.org> <m2@example.org>", written.Get("References")!.Value);
    }

    [Fact]
    public void Html_only_originals_are_quoted_as_text()
    {
        string message = "From: a@example.org\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p><p>second</p>\r\n";
        MimeEntity original = Parse(message, out MemoryStream raw);
        string quote = MessageBuilder.CreateReply(original, raw, Bob).TextBody!;
        Assert.Contains("> Hello there\r\n", quote, StringComparison.Ordinal);
        Assert.Contains("> second\r\n", quote, StringComparison.Ordinal);
    }

    [Fact]
    public void Reply_to_wins_over_from()
    {
        MimeEntity original = Parse("Reply-To: list@example.org\r\n" + Original, out MemoryStream raw);
        Assert.Equal(["list@example.org"], MessageBuilder.CreateReply(original, raw, Bob).To.Select(m => m.Address));
    }

    [Fact]
    public void Reply_all_adds_to_and_cc_minus_ourselves_and_duplicates()
    {
        MimeEntity original = Parse(Original, out MemoryStream raw);
        MessageBuilder reply = MessageBuilder.CreateReply(original, raw, Bob, replyAll: true);

        Assert.Equal(["alice@example.org"], reply.To.Select(m => m.Address));
        Assert.Equal(["carol@example.com", "dave@example.com"], reply.Cc.Select(m => m.Address));
    }

    [Fact]
    public void Replying_to_our_own_message_goes_to_its_recipients()
    {
        MimeEntity original = Parse(Original, out MemoryStream raw);
        MessageBuilder reply = MessageBuilder.CreateReply(original, raw, new MailboxAddress(null, "alice", "example.org"));
        Assert.Equal(["bob@example.net", "carol@example.com"], reply.To.Select(m => m.Address));
    }

    [Theory]
    [InlineData("Hello", "Re: Hello")]
    [InlineData("Re: Hello", "Re: Hello")]
    [InlineData("RE: Hello", "RE: Hello")]
    [InlineData("re:Hello", "re:Hello")]
    [InlineData("Re[2]: Hello", "Re[2]: Hello")]
    [InlineData("Re(3): Hello", "Re(3): Hello")]
    [InlineData("AW: Hallo", "AW: Hallo")]
    [InlineData("SV: Hej", "SV: Hej")]
    [InlineData("Fwd: Hello", "Re: Fwd: Hello")]
    [InlineData("Return policy", "Re: Return policy")]
    [InlineData("", "Re: ")]
    public void Reply_subject_is_not_stacked(string subject, string expected) =>
        Assert.Equal(expected, MessageBuilder.Prefixed("Re: ", subject));

    [Theory]
    [InlineData("Hello", "Fwd: Hello")]
    [InlineData("Fwd: Hello", "Fwd: Hello")]
    [InlineData("FW: Hello", "FW: Hello")]
    [InlineData("WG: Hallo", "WG: Hallo")]
    [InlineData("Re: Hello", "Fwd: Re: Hello")]
    public void Forward_subject_is_not_stacked(string subject, string expected) =>
        Assert.Equal(expected, MessageBuilder.Prefixed("Fwd: ", subject));

    [Fact]
    public void References_are_capped_keeping_the_first_and_the_newest()
    {
        string ids = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"<r{i}@example.org>"));
        MimeEntity original = Parse(Original.Replace("References: <m0@example.org> <m1@example.org>", "References: " + ids, StringComparison.Ordinal), out MemoryStream raw);
        MessageBuilder reply = MessageBuilder.CreateReply(original, raw, Bob);

        Assert.Equal(20, reply.References.Count);
        Assert.Equal("<r0@example.org>", reply.References[0]);
        Assert.Equal("<r22@example.org>", reply.References[1]); // 41 ids: the first, then the newest 19
        Assert.Equal("<m2@example.org>", reply.References[^1]);
        MessageBuilderTests.AssertLinesAtMost(Encoding.UTF8.GetString(reply.ToArray()), 78);
    }

    [Fact]
    public void Reply_without_references_uses_in_reply_to_then_message_id()
    {
        string message = "From: a@example.org\r\nIn-Reply-To: <p@example.org>\r\nMessage-ID: <c@example.org>\r\nSubject: x\r\n\r\nbody\r\n";
        MimeEntity original = Parse(message, out MemoryStream raw);
        Assert.Equal(["<p@example.org>", "<c@example.org>"], MessageBuilder.CreateReply(original, raw, Bob).References);
    }

    [Fact]
    public void Forward_inline_carries_the_header_block_text_and_attachments()
    {
        MimeEntity original = Parse(Original, out MemoryStream raw);
        MessageBuilder forward = MessageBuilder.CreateForward(original, raw, Bob);
        forward.To.Add(new MailboxAddress(null, "erin", "example.com"));

        Assert.Equal("Fwd: Grüße and plans", forward.Subject);
        Assert.Contains("---------- Forwarded message ----------\r\nFrom: Alice Example <alice@example.org>\r\nDate: Wed, 04 Mar 2026 12:30:00 +0000\r\nSubject: Grüße and plans\r\nTo: Bob <bob@example.net>, carol@example.com\r\n", forward.TextBody, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nHello Bob,\r\n> earlier quote\r\nbye\r\n", forward.TextBody, StringComparison.Ordinal);

        byte[] bytes = forward.ToArray();
        MimeEntity root = MimeParser.Parse(bytes);
        MimeEntity attachment = Assert.Single(MessageParts.FindAttachments(root));
        Assert.Equal("plan.pdf", attachment.FileName);
        Assert.Equal("application/pdf", attachment.MediaType + "/" + attachment.MediaSubtype);
        Assert.Equal(new byte[] { 0, 1, 2, 3 }, MessageBuilderTests.ReadBytes(attachment, new MemoryStream(bytes)));
    }

    [Fact]
    public void Forward_as_attachment_wraps_the_original_as_message_rfc822()
    {
        MimeEntity original = Parse(Original, out MemoryStream raw);
        MessageBuilder forward = MessageBuilder.CreateForward(original, raw, Bob, asAttachment: true);
        forward.To.Add(new MailboxAddress(null, "erin", "example.com"));

        byte[] bytes = forward.ToArray();
        MimeEntity root = MimeParser.Parse(bytes);
        MimeEntity part = root.Children[1];
        Assert.Equal("message/rfc822", part.MediaType + "/" + part.MediaSubtype);
        Assert.Equal("Grüße and plans.eml", part.FileName);
        Assert.Equal(Original, Encoding.UTF8.GetString(MessageBuilderTests.ReadBytes(part, new MemoryStream(bytes))));
        Assert.Equal("<m2@example.org>", part.EncapsulatedMessage!.Header.Get("Message-ID")!.Value);
    }
}
