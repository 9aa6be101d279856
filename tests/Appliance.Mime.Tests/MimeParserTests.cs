using System.Text;

namespace Appliance.Mime.Tests;

public sealed class MimeParserTests
{
    [Fact]
    public void Multipart_split_follows_rfc_2046_delimiters()
    {
        // RFC 2046 5.1.1: transport padding after a delimiter, "--bb" is not "--b", the CRLF before a
        // delimiter belongs to it, and nothing after the close delimiter is a part.
        Assert.Equal(
            ["A: 1\r\n\r\none", "\r\ntwo\r\n\r\n--bb\r\nstill two"],
            Parts("preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b  \t\r\n\r\ntwo\r\n\r\n--bb\r\nstill two\r\n--b--\r\nepilogue\r\n--b\r\nnot a part\r\n"));
    }

    [Fact]
    public void Unclosed_last_part_runs_to_the_end_and_no_delimiter_means_no_parts()
    {
        Assert.Equal(["\nx\n--c"], Parts("--b\n\nx\n--c"));
        Assert.Empty(Parts("no delimiters here\r\n"));
        Assert.Equal([""], Parts("--b\r\n--b--"));
    }

    [Fact]
    public void Part_numbers_follow_the_rfc_9051_section_example()
    {
        // RFC 9051 6.4.5: the example message's parts, built to the same shape.
        string message =
            "Content-Type: multipart/mixed; boundary=m\r\n\r\n" +
            "--m\r\nContent-Type: text/plain\r\n\r\n1\r\n" +
            "--m\r\nContent-Type: application/octet-stream\r\n\r\n2\r\n" +
            "--m\r\nContent-Type: message/rfc822\r\n\r\n" +
                "Content-Type: multipart/mixed; boundary=m3\r\n\r\n" +
                "--m3\r\nContent-Type: text/plain\r\n\r\n3.1\r\n" +
                "--m3\r\nContent-Type: application/octet-stream\r\n\r\n3.2\r\n--m3--\r\n" +
            "--m\r\nContent-Type: multipart/mixed; boundary=m4\r\n\r\n" +
                "--m4\r\nContent-Type: image/gif\r\n\r\n4.1\r\n" +
                "--m4\r\nContent-Type: message/rfc822\r\n\r\n" +
                    "Content-Type: multipart/mixed; boundary=m42\r\n\r\n" +
                    "--m42\r\nContent-Type: text/plain\r\n\r\n4.2.1\r\n" +
                    "--m42\r\nContent-Type: multipart/alternative; boundary=m422\r\n\r\n" +
                        "--m422\r\nContent-Type: text/plain\r\n\r\n4.2.2.1\r\n" +
                        "--m422\r\nContent-Type: text/richtext\r\n\r\n4.2.2.2\r\n--m422--\r\n" +
                    "--m42--\r\n" +
                "--m4--\r\n" +
            "--m--\r\n";

        MimeEntity root = MimeParser.Parse(Encoding.ASCII.GetBytes(message));

        string[] numbers = [.. Walk(root).Select(e => $"{e.PartNumber} {e.MediaType}/{e.MediaSubtype}")];
        Assert.Equal(
            [
                " multipart/mixed", "1 text/plain", "2 application/octet-stream", "3 message/rfc822", "3 multipart/mixed",
                "3.1 text/plain", "3.2 application/octet-stream", "4 multipart/mixed", "4.1 image/gif", "4.2 message/rfc822",
                "4.2 multipart/mixed", "4.2.1 text/plain", "4.2.2 multipart/alternative", "4.2.2.1 text/plain", "4.2.2.2 text/richtext",
            ],
            numbers);
        // FindPart goes back from a number to the entity (a message/rfc822 part before its message).
        foreach (MimeEntity e in Walk(root))
        {
            MimeEntity? found = root.FindPart(e.PartNumber);
            Assert.True(found == e || (found == e.Parent && e.IsMessage), e.PartNumber);
        }
        Assert.Null(root.FindPart("5"));
        Assert.Null(root.FindPart("1.1"));
        Assert.Null(root.FindPart("01"));
        Assert.Null(root.FindPart("4.1.1"));
        Assert.Equal("4.2.2.2", root.FindPart("4.2.2.2")?.PartNumber);
        // Each leaf's body is its own part number: offsets point at the right bytes.
        foreach (MimeEntity leaf in Walk(root).Where(e => e.Children.Count == 0))
        {
            Assert.Equal(leaf.PartNumber, message[(int)leaf.BodyStart..(int)leaf.BodyEnd]);
        }
    }

    [Fact]
    public void A_non_multipart_message_is_part_1_and_its_encapsulated_message_body_is_1_1()
    {
        MimeEntity root = MimeParser.Parse("Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nbody"u8);

        Assert.Equal("1", root.PartNumber);
        Assert.Equal("1.1", root.EncapsulatedMessage?.PartNumber);
        Assert.Same(root, root.FindPart("1"));
        Assert.Same(root.EncapsulatedMessage, root.FindPart("1.1"));
        Assert.Null(root.FindPart("1.1.1"));
        Assert.Null(root.FindPart("2"));
        Assert.Equal("inner", root.EncapsulatedMessage?.Header.Get("Subject")?.Value);
    }

    [Fact]
    public void Digest_parts_default_to_message_rfc822_and_missing_type_to_text_plain_us_ascii()
    {
        MimeEntity root = MimeParser.Parse("Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: s\r\n\r\nx\r\n--d--\r\n"u8);
        MimeEntity plain = MimeParser.Parse("Content-Type: garbage\r\n\r\nx"u8);

        Assert.Equal("message/rfc822", root.Children[0].MediaType + "/" + root.Children[0].MediaSubtype);
        Assert.Equal("s", root.Children[0].EncapsulatedMessage?.Header.Get("Subject")?.Value);
        Assert.Equal(("text", "plain", "us-ascii"), (plain.MediaType, plain.MediaSubtype, plain.Charset));
    }

    [Fact]
    public void Mime_fields_are_read()
    {
        MimeEntity e = MimeParser.Parse(Encoding.UTF8.GetBytes(
            "Content-Type: Text/HTML; Charset=\"utf-8\"\r\nContent-Transfer-Encoding: Quoted-Printable (note)\r\n" +
            "Content-ID: <a@b>\r\nContent-Description: =?utf-8?q?caf=C3=A9?=\r\nContent-Language: en-GB, fr\r\n" +
            "Content-Location: http://example.org/\r\n x.html\r\nContent-MD5: abc=\r\nContent-Disposition: inline; filename*=utf-8''%C3%A9.html\r\n\r\n"));

        Assert.Equal(("text", "html", "utf-8", "quoted-printable"), (e.MediaType, e.MediaSubtype, e.Charset, e.TransferEncoding));
        Assert.Equal(("<a@b>", "café", "http://example.org/x.html", "abc="), (e.ContentId, e.Description, e.Location, e.Md5));
        Assert.Equal(["en-GB", "fr"], e.Languages);
        Assert.Equal(("inline", "é.html"), (e.Disposition, e.FileName));
    }

    [Fact]
    public void Message_rfc822_in_base64_stays_a_leaf()
    {
        MimeEntity root = MimeParser.Parse("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogeA0KDQp5\r\n"u8);

        Assert.Empty(root.Children);
        Assert.True(root.Problems.HasFlag(MimeProblems.EncodedMessage));
    }

    private static string[] Parts(string body)
    {
        string message = "Content-Type: multipart/mixed; boundary=b\r\n\r\n" + body;
        MimeEntity root = MimeParser.Parse(Encoding.ASCII.GetBytes(message));
        return [.. root.Children.Select(p => message[(int)p.HeaderStart..(int)p.BodyEnd])];
    }

    private static IEnumerable<MimeEntity> Walk(MimeEntity root)
    {
        yield return root;
        foreach (MimeEntity child in root.Children)
        {
            foreach (MimeEntity e in Walk(child))
            {
                yield return e;
            }
        }
    }

    [Theory]
    [InlineData("base64", "base64")]
    [InlineData(" BASE64 ", "base64")]
    [InlineData("Quoted-Printable (RFC 2045 6.7)", "quoted-printable")]
    [InlineData("\r\n 8bit", "8bit")]
    [InlineData("X-UUEncode (old)", "x-uuencode")]
    [InlineData("x-\r\n token", "x- token")]
    [InlineData(" (only a comment)", "7bit")]
    [InlineData("", "7bit")]
    public void Transfer_encoding_is_the_lower_cased_mechanism_without_comments(string value, string expected)
    {
        // RFC 2045 6.1: mechanism := token; CFWS around it is not part of it; absent or empty means 7bit.
        MimeEntity entity = MimeParser.Parse(Encoding.ASCII.GetBytes("Content-Transfer-Encoding:" + value + "\r\n\r\nbody"));

        Assert.Equal(expected, entity.TransferEncoding);
    }
}
