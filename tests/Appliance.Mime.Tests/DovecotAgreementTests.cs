namespace Appliance.Mime.Tests;

/// <summary>
/// BODYSTRUCTURE and ENVELOPE of corpus messages, byte for byte as Dovecot 2.3.19 (Debian 12,
/// `doveadm fetch imap.bodystructure imap.envelope`) produced them, wrapped in the outer parentheses
/// doveadm leaves off. Dovecot is the reference many clients are tested against.
/// </summary>
public sealed class DovecotAgreementTests
{
    [Theory]
    [InlineData(
        "rfc/nested-mixed-alternative-related.eml",
        "(((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 51 1 NIL NIL NIL NIL)((\"text\" \"html\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 75 0 NIL NIL NIL NIL)(\"image\" \"png\" NIL \"<logo@example.org>\" NIL \"base64\" 96 NIL (\"inline\" (\"filename\" \"logo.png\")) NIL NIL) \"related\" (\"boundary\" \"rel-1\" \"type\" \"text/html\") NIL NIL NIL) \"alternative\" (\"boundary\" \"alt-1\") NIL NIL NIL)(\"application\" \"pdf\" NIL NIL \"=?utf-8?q?Le_rapport?=\" \"base64\" 28 NIL (\"attachment\" (\"filename*\" \"utf-8''Rapport%20trimestriel%20%C3%A9t%C3%A9.pdf\")) (\"fr\") NIL) \"mixed\" (\"boundary\" \"mixed-1\") NIL NIL NIL)",
        "(\"Tue, 03 Mar 2026 10:00:00 +0100\" \"Quarterly report\" ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Alice Example\" NIL \"alice\" \"example.org\")) ((\"Bob\" NIL \"bob\" \"example.net\")) NIL NIL NIL \"<report-1@example.org>\")")]
    [InlineData(
        "rfc/message-rfc822-attachment.eml",
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 359 (\"Tue, 03 Mar 2026 09:15:00 -0500\" \"Lunch\" ((\"Erin\" NIL \"erin\" \"example.com\")) ((\"Erin\" NIL \"erin\" \"example.com\")) ((\"Erin\" NIL \"erin\" \"example.com\")) ((NIL NIL \"carol\" \"example.com\")) NIL NIL NIL \"<lunch@example.com>\") ((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL) 17 NIL (\"attachment\" (\"filename\" \"lunch.eml\")) NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 59 (NIL \"plain inner\" ((NIL NIL \"frank\" \"example.com\")) ((NIL NIL \"frank\" \"example.com\")) ((NIL NIL \"frank\" \"example.com\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"outer\") NIL NIL NIL)",
        "(\"Wed, 04 Mar 2026 12:30:00 +0000\" \"Fwd: Lunch\" ((NIL NIL \"carol\" \"example.com\")) ((NIL NIL \"carol\" \"example.com\")) ((NIL NIL \"carol\" \"example.com\")) ((NIL NIL \"dave\" \"example.com\")) NIL NIL NIL NIL)")]
    [InlineData(
        "rfc/digest.eml",
        "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 43 (NIL \"first\" ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 4 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 90 (NIL \"second\" ((NIL NIL \"b\" \"example.org\")) ((NIL NIL \"b\" \"example.org\")) ((NIL NIL \"b\" \"example.org\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"7bit\" 4 0 NIL NIL NIL NIL) 4 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 7 0 NIL NIL NIL NIL) \"digest\" (\"boundary\" \"dig\") NIL NIL NIL)",
        "(NIL \"Digest, Vol 1, Issue 2\" ((NIL NIL \"list\" \"example.org\")) ((NIL NIL \"list\" \"example.org\")) ((NIL NIL \"list\" \"example.org\")) ((NIL NIL \"member\" \"example.net\")) NIL NIL NIL NIL)")]
    [InlineData(
        "rfc/signed.eml",
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL NIL NIL NIL)(\"application\" \"pgp-signature\" (\"name\" \"signature.asc\") NIL NIL \"7bit\" 76 NIL (\"attachment\" (\"filename\" \"signature.asc\")) NIL NIL) \"signed\" (\"micalg\" \"pgp-sha256\" \"protocol\" \"application/pgp-signature\" \"boundary\" \"sig\") NIL NIL NIL)",
        "(NIL \"Signed\" ((NIL NIL \"grace\" \"example.org\")) ((NIL NIL \"grace\" \"example.org\")) ((NIL NIL \"grace\" \"example.org\")) ((NIL NIL \"heidi\" \"example.org\")) NIL NIL NIL NIL)")]
    [InlineData(
        "malformed/empty-parts.eml",
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 1 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"e\") NIL NIL NIL)",
        "(NIL \"empty parts\" ((NIL NIL \"mallory\" \"example.org\")) ((NIL NIL \"mallory\" \"example.org\")) ((NIL NIL \"mallory\" \"example.org\")) NIL NIL NIL NIL NIL)")]
    [InlineData(
        "malformed/missing-close-nested.eml",
        "(((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 12 0 NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"c\") NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"p\") NIL NIL NIL)",
        "(NIL \"inner close missing\" ((NIL NIL \"kim\" \"example.org\")) ((NIL NIL \"kim\" \"example.org\")) ((NIL NIL \"kim\" \"example.org\")) NIL NIL NIL NIL NIL)")]
    [InlineData(
        "rfc/rfc2046-5-1-1-multipart.eml",
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 80 1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 78 2 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"simple boundary\") NIL NIL NIL)",
        "(\"Sun, 21 Mar 1993 23:56:48 -0800 (PST)\" \"Sample message\" ((\"Nathaniel Borenstein\" NIL \"nsb\" \"bellcore.com\")) ((\"Nathaniel Borenstein\" NIL \"nsb\" \"bellcore.com\")) ((\"Nathaniel Borenstein\" NIL \"nsb\" \"bellcore.com\")) ((\"Ned Freed\" NIL \"ned\" \"innosoft.com\")) NIL NIL NIL NIL)")]
    public void Projections_match_dovecot(string message, string bodystructure, string envelope)
    {
        MimeEntity root = ImapProjectionTests.ParseCorpus(message);

        Assert.Equal(bodystructure, ImapBodyStructure.FromEntity(root).ToString());
        Assert.Equal(envelope, ImapEnvelope.FromHeader(root.Header).ToString());
    }

    /// <summary>Dovecot reports sizes of the message with bare LF sent as CRLF.</summary>
    [Theory]
    [InlineData(
        "legacy/bare-lf-multipart.eml",
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 20 2 NIL NIL NIL NIL)(\"application\" \"octet-stream\" (\"name\" \"data.bin\") NIL NIL \"base64\" 4 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"lf\") NIL NIL NIL)")]
    [InlineData(
        "legacy/mbox-from-line-bare-lf.eml",
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 44 1 NIL NIL NIL NIL)")]
    public void Sizes_counting_bare_lf_as_crlf_match_dovecot(string message, string bodystructure)
    {
        MimeEntity root = ImapProjectionTests.ParseCorpus(message);

        Assert.Equal(bodystructure, ImapBodyStructure.FromEntity(root, crlfSizes: true).ToString());
    }
}
