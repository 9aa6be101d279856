using System.Text;

namespace Appliance.Mime.Tests;

public sealed class MessagePartsTests
{
    [Fact]
    public void Alternative_shows_the_last_part_we_can_show_and_related_its_root()
    {
        MimeEntity message = ImapProjectionTests.ParseCorpus("rfc/nested-mixed-alternative-related.eml");

        Assert.Equal("1.2.1", MessageParts.FindDisplayBody(message)?.PartNumber);
        Assert.Equal("1.1", MessageParts.FindDisplayBody(message, allowHtml: false)?.PartNumber);
    }

    [Fact]
    public void Attachments_have_decoded_file_names_and_inline_parts_are_found_by_content_id()
    {
        MimeEntity message = ImapProjectionTests.ParseCorpus("rfc/nested-mixed-alternative-related.eml");

        IReadOnlyList<MimeEntity> attachments = MessageParts.FindAttachments(message);

        Assert.Equal(["1.2.2", "2"], attachments.Select(a => a.PartNumber));
        Assert.Equal("Rapport trimestriel été.pdf", attachments[1].FileName);
        Assert.Equal("1.2.2", MessageParts.FindByContentId(message, "cid:logo@example.org")?.PartNumber);
        Assert.Equal("1.2.2", MessageParts.FindByContentId(message, "<logo@example.org>")?.PartNumber);
        Assert.Null(MessageParts.FindByContentId(message, "cid:other@example.org"));
    }

    [Fact]
    public void Encoded_word_file_names_are_decoded()
    {
        MimeEntity message = MimeParser.Parse(Encoding.ASCII.GetBytes(
            "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
            "--b\r\nContent-Type: application/octet-stream; name=\"=?utf-8?b?0J7RgtGH0ZHRgi5kb2N4?=\"\r\n\r\nx\r\n--b--\r\n"));

        Assert.Equal("Отчёт.docx", Assert.Single(MessageParts.FindAttachments(message)).FileName);
        Assert.Equal("1", MessageParts.FindDisplayBody(message)?.PartNumber);
    }

    [Fact]
    public void A_forwarded_message_is_an_attachment_not_the_body_and_a_signature_is_neither()
    {
        MimeEntity forwarded = ImapProjectionTests.ParseCorpus("rfc/message-rfc822-attachment.eml");
        MimeEntity signed = ImapProjectionTests.ParseCorpus("rfc/signed.eml");

        Assert.Equal("1", MessageParts.FindDisplayBody(forwarded)?.PartNumber);
        Assert.Equal(["2", "3"], MessageParts.FindAttachments(forwarded).Select(a => a.PartNumber));
        Assert.Equal("1", MessageParts.FindDisplayBody(signed)?.PartNumber);
        Assert.Empty(MessageParts.FindAttachments(signed));
    }

    [Fact]
    public void Related_start_parameter_picks_the_root()
    {
        MimeEntity message = MimeParser.Parse(Encoding.ASCII.GetBytes(
            "Content-Type: multipart/related; boundary=r; start=\"<root@x>\"\r\n\r\n" +
            "--r\r\nContent-Type: image/gif\r\nContent-ID: <img@x>\r\n\r\nGIF\r\n" +
            "--r\r\nContent-Type: text/html\r\nContent-ID: <root@x>\r\n\r\n<img src=cid:img@x>\r\n--r--\r\n"));

        Assert.Equal("2", MessageParts.FindDisplayBody(message)?.PartNumber);
    }

    [Fact]
    public void Nothing_to_show_gives_null()
    {
        MimeEntity message = MimeParser.Parse("Content-Type: image/png\r\n\r\nPNG"u8);

        Assert.Null(MessageParts.FindDisplayBody(message));
        Assert.Equal("1", Assert.Single(MessageParts.FindAttachments(message)).PartNumber);
    }
}
