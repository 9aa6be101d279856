using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Imap;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Imap.Selected;
using Appliance.Server.Tests.Imap.Session;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>Messages and client helpers for the FETCH transcripts.</summary>
internal static class FetchTestSupport
{
    /// <summary>
    /// multipart/mixed: 1 text/plain, 2 base64 octets with NUL, 3 message/rfc822 holding a
    /// multipart/alternative (3.1 quoted-printable, 3.2 html), 4 text in an unknown encoding.
    /// </summary>
    public const string Multipart =
        "From: Carol <carol@example.net>\r\n" +
        "To: alice@example.org\r\n" +
        "Subject: parts\r\n" +
        "Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n" +
        "Message-ID: <m1@example.net>\r\n" +
        "MIME-Version: 1.0\r\n" +
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n" +
        "\r\n" +
        "preamble\r\n" +
        "--b1\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        "\r\n" +
        "Hello\r\n" +
        "--b1\r\n" +
        "Content-Type: application/octet-stream\r\n" +
        "Content-Transfer-Encoding: base64\r\n" +
        "\r\n" +
        "AAECAwBm\r\n" +
        "--b1\r\n" +
        "Content-Type: message/rfc822\r\n" +
        "\r\n" +
        "From: Dave <dave@example.com>\r\n" +
        "Subject: inner\r\n" +
        "Content-Type: multipart/alternative; boundary=\"b2\"\r\n" +
        "\r\n" +
        "--b2\r\n" +
        "Content-Type: text/plain\r\n" +
        "Content-Transfer-Encoding: quoted-printable\r\n" +
        "\r\n" +
        "x=3Dy=20=\r\n" +
        "z\r\n" +
        "--b2\r\n" +
        "Content-Type: text/html\r\n" +
        "\r\n" +
        "<p>hi</p>\r\n" +
        "--b2--\r\n" +
        "\r\n" +
        "--b1\r\n" +
        "Content-Type: text/plain\r\n" +
        "Content-Transfer-Encoding: x-uuencode\r\n" +
        "\r\n" +
        "begin 644 x\r\n" +
        "--b1--\r\n";

    /// <summary>"{n}" for a literal holding <paramref name="text"/>.</summary>
    public static string Literal(string text) => "{" + Encoding.UTF8.GetByteCount(text) + "}";

    /// <summary>
    /// The response lines of a literal as the line-reading client sees them: the literal's text is
    /// split at its line feeds, and its last line runs on into the rest of the response.
    /// </summary>
    public static List<string> Lines(string before, string literal, string after)
    {
        var lines = new List<string> { before + Literal(literal) };
        var parts = literal.Split("\r\n");
        lines.AddRange(parts[..^1]);
        lines.Add(parts[^1] + after);
        return lines;
    }

    /// <summary>A literal as sent: "{n}" CRLF and its octets.</summary>
    public static string Sent(string literal) => Literal(literal) + "\r\n" + literal;

    /// <summary>A whole response as the line-reading client sees it: split at CRLF.</summary>
    public static List<string> Split(string response) => [.. response.Split("\r\n")];

    /// <summary>Reads exactly <paramref name="count"/> octets (a literal's content) from the client's stream.</summary>
    public static async Task<byte[]> ReadOctetsAsync(ImapTestClient client, long count)
    {
        var data = new byte[count];
        int done = 0;
        while (done < count)
        {
            int read = await client.Raw.Stream.ReadAsync(data.AsMemory(done)).AsTask().WaitAsync(TestMailServer.Guard);
            if (read == 0)
                throw new EndOfStreamException();
            done += read;
        }
        return data;
    }

    /// <summary>SELECT (or EXAMINE) and check it succeeded.</summary>
    public static async Task SelectAsync(ImapTestClient client, string mailbox = "INBOX", bool examine = false)
    {
        var lines = await client.CommandAsync("s", (examine ? "EXAMINE " : "SELECT ") + mailbox);
        Assert.StartsWith("s OK", lines[^1]);
    }
}

/// <summary>QRESYNC for a logged-in session (RFC 7162 3.2.3).</summary>
internal static class QResyncClient
{
    public static async Task EnableQResyncAsync(this ImapTestClient client) =>
        Assert.Equal(["* ENABLED QRESYNC", "q OK ENABLE completed"], await client.CommandAsync("q", "ENABLE QRESYNC"));
}
