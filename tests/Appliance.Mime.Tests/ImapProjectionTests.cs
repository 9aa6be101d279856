using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>
/// Exact ENVELOPE and BODYSTRUCTURE text, worked out by hand from the RFC 9051 grammar (section 9)
/// and the rules of 7.5.2.
/// </summary>
public sealed class ImapProjectionTests
{
    private const string Simple =
        "Date: Tue, 03 Mar 2026 10:00:00 +0100\r\n" +
        "From: \"Alice Ex\" <alice@example.org>\r\n" +
        "Subject: Hi \"there\" \\o/\r\n" +
        "To: bob@example.net, Undisclosed:;\r\n" +
        "Cc: team: carol@example.com,\r\n dave@example.com;\r\n" +
        "Message-ID: <m1@example.org>\r\n" +
        "In-Reply-To: <m0@example.org>\r\n" +
        "\r\n" +
        "Hello\r\n";

    [Fact]
    public void Envelope_of_a_simple_message_with_groups()
    {
        MimeEntity message = Parse(Simple);

        string envelope = ImapEnvelope.FromHeader(message.Header).ToString();

        Assert.Equal(
            "(\"Tue, 03 Mar 2026 10:00:00 +0100\" \"Hi \\\"there\\\" \\\\o/\" " +
            "((\"Alice Ex\" NIL \"alice\" \"example.org\")) " +
            "((\"Alice Ex\" NIL \"alice\" \"example.org\")) " +
            "((\"Alice Ex\" NIL \"alice\" \"example.org\")) " +
            "((NIL NIL \"bob\" \"example.net\")(NIL NIL \"Undisclosed\" NIL)(NIL NIL NIL NIL)) " +
            "((NIL NIL \"team\" NIL)(NIL NIL \"carol\" \"example.com\")(NIL NIL \"dave\" \"example.com\")(NIL NIL NIL NIL)) " +
            "NIL \"<m0@example.org>\" \"<m1@example.org>\")",
            envelope);
    }

    [Fact]
    public void Envelope_sender_and_reply_to_are_their_own_when_present_and_missing_fields_are_nil()
    {
        MimeEntity message = Parse("From: a@example.org\r\nSender: s@example.org\r\nReply-To: r@example.org\r\n\r\n");

        Assert.Equal(
            "(NIL NIL ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"s\" \"example.org\")) ((NIL NIL \"r\" \"example.org\")) NIL NIL NIL NIL NIL)",
            ImapEnvelope.FromHeader(message.Header).ToString());
    }

    [Fact]
    public void Envelope_non_ascii_subject_is_a_literal_and_names_are_encoded_words()
    {
        MimeEntity message = Parse("Subject: Grüße\r\nFrom: Jürgen <j@example.de>\r\n\r\n");

        Assert.Equal(
            "(NIL {7}\r\nGrüße " +
            "((\"=?utf-8?b?SsO8cmdlbg==?=\" NIL \"j\" \"example.de\")) " +
            "((\"=?utf-8?b?SsO8cmdlbg==?=\" NIL \"j\" \"example.de\")) " +
            "((\"=?utf-8?b?SsO8cmdlbg==?=\" NIL \"j\" \"example.de\")) NIL NIL NIL NIL NIL)",
            ImapEnvelope.FromHeader(message.Header).ToString());
    }

    [Fact]
    public void Bodystructure_of_a_simple_text_message()
    {
        ImapBodyStructure structure = ImapBodyStructure.FromEntity(Parse(Simple));

        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)", structure.ToString());
        Assert.Equal("(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 1)", structure.ToString(extended: false));
    }

    [Fact]
    public void Bodystructure_of_nested_alternative_related_with_rfc2231_sections_joined()
    {
        MimeEntity message = ParseCorpus("rfc/nested-mixed-alternative-related.eml");

        Assert.Equal(
            "(" +
              "(" +
                "(\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 51 1 NIL NIL NIL NIL)" +
                "(" +
                  "(\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 75 0 NIL NIL NIL NIL)" +
                  "(\"image\" \"png\" NIL \"<logo@example.org>\" NIL \"base64\" 96 NIL (\"inline\" (\"filename\" \"logo.png\")) NIL NIL)" +
                  " \"related\" (\"boundary\" \"rel-1\" \"type\" \"text/html\") NIL NIL NIL)" +
                " \"alternative\" (\"boundary\" \"alt-1\") NIL NIL NIL)" +
              "(\"application\" \"pdf\" NIL NIL \"=?utf-8?q?Le_rapport?=\" \"base64\" 28 NIL " +
                "(\"attachment\" (\"filename*\" \"utf-8''Rapport%20trimestriel%20%C3%A9t%C3%A9.pdf\")) (\"fr\") NIL)" +
              " \"mixed\" (\"boundary\" \"mixed-1\") NIL NIL NIL)",
            ImapBodyStructure.FromEntity(message).ToString());
        Assert.Equal(
            "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 51 1)" +
            "((\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 75 0)" +
            "(\"image\" \"png\" NIL \"<logo@example.org>\" NIL \"base64\" 96) \"related\") \"alternative\")" +
            "(\"application\" \"pdf\" NIL NIL \"=?utf-8?q?Le_rapport?=\" \"base64\" 28) \"mixed\")",
            ImapBodyStructure.FromEntity(message).ToString(extended: false));
    }

    [Fact]
    public void Bodystructure_of_a_message_rfc822_part_has_envelope_body_and_lines()
    {
        MimeEntity message = ParseCorpus("rfc/message-rfc822-attachment.eml");
        MimeEntity part = message.Children[2];

        Assert.Equal(
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 59 " +
            "(NIL \"plain inner\" ((NIL NIL \"frank\" \"example.com\")) ((NIL NIL \"frank\" \"example.com\")) ((NIL NIL \"frank\" \"example.com\")) NIL NIL NIL NIL NIL) " +
            "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)",
            ImapBodyStructure.FromEntity(part).ToString());
    }

    [Fact]
    public void Rfc2231_sections_join_with_plain_sections_escaped_when_any_is_extended()
    {
        // Dovecot 2.3.19 joins the same way but leaves "b c.txt" unescaped inside the extended
        // value; RFC 2231 4 allows only attribute-chars and %XX there, so we escape.
        MimeEntity message = Parse(
            "Content-Type: application/octet-stream; a=1; name*1=\"b c.txt\"; name*0*=utf-8''%C3%A9; title*0=\"x\"; title*1=\"y\"\r\n\r\n");

        Assert.Equal(
            "(\"application\" \"octet-stream\" (\"a\" \"1\" \"name*\" \"utf-8''%C3%A9b%20c.txt\" \"title\" \"xy\") NIL NIL \"7bit\" 0 NIL NIL NIL NIL)",
            ImapBodyStructure.FromEntity(message).ToString());
    }

    [Fact]
    public void Multipart_without_any_delimiter_shows_one_empty_text_part()
    {
        MimeEntity message = Parse("Content-Type: multipart/mixed; boundary=x\r\n\r\nno parts here\r\n");

        Assert.Equal(
            "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL)",
            ImapBodyStructure.FromEntity(message).ToString());
    }

    [Fact]
    public void Languages_and_location_and_md5_are_extension_data()
    {
        MimeEntity message = Parse(
            "Content-Type: text/html\r\nContent-Language: en, de\r\nContent-Location: http://example.org/a.html\r\n" +
            "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n\r\n<p>x</p>");

        Assert.Equal(
            "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 8 0 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" NIL (\"en\" \"de\") \"http://example.org/a.html\")",
            ImapBodyStructure.FromEntity(message).ToString());
    }

    private static MimeEntity Parse(string message) => MimeParser.Parse(Encoding.UTF8.GetBytes(message));

    internal static MimeEntity ParseCorpus(string name)
    {
        using FileStream stream = File.OpenRead(Path.Combine(CorpusTests.CorpusDirectory(), name));
        return MimeParser.Parse(stream);
    }
}
