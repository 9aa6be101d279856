using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Server.Queue;

// RFC 3464 (delivery status notifications: multipart/report of RFC 6522 with message/delivery-status),
// RFC 6533 (internationalized DSNs: message/global-delivery-status, utf-8 address type),
// RFC 3461 4.3 (RET), 4.4 (ENVID), 4.2 (ORCPT), RFC 3834 5 (Auto-Submitted).

/// <summary>One recipient's block of a DSN (RFC 3464 2.3).</summary>
/// <param name="Status">The enhanced status code, "5.1.1" (RFC 3464 2.3.4, RFC 3463).</param>
/// <param name="RemoteMta">The MX that gave the reply, or null when no server answered (RFC 3464 2.3.5).</param>
/// <param name="DiagnosticCode">The reply as the server gave it, "550 5.1.1 user unknown", or null when no server gave one (RFC 3464 2.3.6).</param>
/// <param name="Explanation">For the human-readable part: what went wrong, in words.</param>
internal sealed record DsnRecipient(
    string FinalRecipient, string? OriginalRecipient, string Status, string? RemoteMta, string? DiagnosticCode, DateTimeOffset? LastAttempt,
    string Explanation);

/// <summary>A DSN ready to be queued: its octets and what its envelope must say.</summary>
internal sealed record DsnMessage(byte[] Content, bool RequiresSmtpUtf8, bool EightBit);

/// <summary>Writes failure DSNs by hand: MessageBuilder has no multipart/report or message/delivery-status.</summary>
internal static class DsnBuilder
{
    /// <summary>Longest value written on one header or status line: under RFC 5322 2.1.1's 998 with room for the field name.</summary>
    private const int MaxFieldValue = 900;

    public static DsnMessage BuildFailure(
        string hostname, QueuedMessage original, IReadOnlyList<DsnRecipient> recipients, Stream originalContent,
        long maxReturnedSize, DateTimeOffset now)
    {
        bool international = !IsAscii(original.ReversePath) || recipients.Any(r => !IsAscii(r.FinalRecipient) || !IsAscii(r.OriginalRecipient ?? ""))
            || original.RequiresSmtpUtf8;
        bool full = original.Return == DsnReturn.Full && original.Size <= maxReturnedSize;
        byte[] returned = full ? ReadAll(originalContent, maxReturnedSize) : ReadHeaders(originalContent);
        bool eightBit = international || original.EightBitMime || returned.Any(b => b >= 0x80);

        string boundary = "=_dsn_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var sb = new StringBuilder();
        // RFC 3464 2 and RFC 5321 4.5.5: From the postmaster-like daemon; the envelope sender is null.
        sb.Append("From: Mail Delivery System <MAILER-DAEMON@").Append(hostname).Append(">\r\n");
        sb.Append("To: <").Append(Clean(original.ReversePath)).Append(">\r\n");
        sb.Append("Subject: Undelivered Mail Returned to Sender\r\n");
        sb.Append("Date: ").Append(FormatDate(now)).Append("\r\n");
        sb.Append("Message-ID: <").Append(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(10))).Append('.').Append(original.Id)
            .Append('@').Append(hostname).Append(">\r\n");
        // RFC 3834 5: an automatic response, so that vacation responders stay quiet.
        sb.Append("Auto-Submitted: auto-replied\r\n");
        sb.Append("MIME-Version: 1.0\r\n");
        // RFC 6522 3 / RFC 3464 2: multipart/report; report-type=delivery-status.
        sb.Append("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"").Append(boundary).Append("\"\r\n");
        // RFC 2045 6.4: a multipart holding 8bit parts is labelled 8bit itself.
        if (eightBit)
            sb.Append("Content-Transfer-Encoding: 8bit\r\n");
        sb.Append("\r\n");
        sb.Append("This is a MIME-encapsulated message.\r\n\r\n");

        // Part 1: the human-readable explanation (RFC 3464 2, RFC 6522 3).
        sb.Append("--").Append(boundary).Append("\r\n");
        sb.Append("Content-Description: Notification\r\n");
        sb.Append("Content-Type: text/plain; charset=utf-8\r\n");
        sb.Append("Content-Transfer-Encoding: ").Append(eightBit ? "8bit" : "7bit").Append("\r\n\r\n");
        sb.Append("This is the mail system at host ").Append(hostname).Append(".\r\n\r\n");
        sb.Append("I'm sorry to have to inform you that your message could not\r\n");
        sb.Append("be delivered to one or more recipients. It's attached below.\r\n\r\n");
        foreach (var r in recipients)
        {
            sb.Append('<').Append(Clean(r.FinalRecipient)).Append(">: ");
            sb.Append(Clean(r.RemoteMta is null ? r.Explanation : $"host {r.RemoteMta} said: {r.Explanation}"));
            sb.Append("\r\n");
        }
        sb.Append("\r\n");

        // Part 2: message/delivery-status (RFC 3464 2.1), or message/global-delivery-status (RFC 6533 6.1).
        sb.Append("--").Append(boundary).Append("\r\n");
        sb.Append("Content-Description: Delivery report\r\n");
        sb.Append("Content-Type: ").Append(international ? "message/global-delivery-status" : "message/delivery-status").Append("\r\n\r\n");
        // Per-message fields (RFC 3464 2.2).
        if (original.EnvelopeId is not null)
            sb.Append("Original-Envelope-Id: ").Append(Clean(original.EnvelopeId)).Append("\r\n");
        sb.Append("Reporting-MTA: dns; ").Append(hostname).Append("\r\n");
        sb.Append("Arrival-Date: ").Append(FormatDate(original.Created)).Append("\r\n");
        string addressType = international ? "utf-8" : "rfc822";
        foreach (var r in recipients)
        {
            // Per-recipient fields (RFC 3464 2.3), each block after a blank line.
            sb.Append("\r\n");
            if (r.OriginalRecipient is not null)
                sb.Append("Original-Recipient: ").Append(Clean(r.OriginalRecipient)).Append("\r\n");
            sb.Append("Final-Recipient: ").Append(addressType).Append("; ").Append(Clean(r.FinalRecipient)).Append("\r\n");
            sb.Append("Action: failed\r\n");
            sb.Append("Status: ").Append(r.Status).Append("\r\n");
            if (r.RemoteMta is not null)
                sb.Append("Remote-MTA: dns; ").Append(Clean(r.RemoteMta)).Append("\r\n");
            if (r.DiagnosticCode is not null)
                sb.Append("Diagnostic-Code: smtp; ").Append(Clean(r.DiagnosticCode)).Append("\r\n");
            if (r.LastAttempt is { } last)
                sb.Append("Last-Attempt-Date: ").Append(FormatDate(last)).Append("\r\n");
        }
        sb.Append("\r\n");

        // Part 3: the original, whole (RET=FULL) or its header (RFC 3462 text/rfc822-headers; RFC 6533 message/global-headers).
        sb.Append("--").Append(boundary).Append("\r\n");
        sb.Append("Content-Description: ").Append(full ? "Undelivered Message" : "Undelivered Message Headers").Append("\r\n");
        string type = (full, international) switch
        {
            (true, true) => "message/global",
            (true, false) => "message/rfc822",
            (false, true) => "message/global-headers",
            (false, false) => "text/rfc822-headers",
        };
        sb.Append("Content-Type: ").Append(type).Append("\r\n");
        if (eightBit)
            sb.Append("Content-Transfer-Encoding: 8bit\r\n");
        sb.Append("\r\n");

        using var output = new MemoryStream();
        var head = Encoding.UTF8.GetBytes(sb.ToString());
        output.Write(head);
        output.Write(returned);
        if (returned.Length > 0 && returned[^1] != '\n')
            output.Write("\r\n"u8);
        output.Write(Encoding.ASCII.GetBytes($"\r\n--{boundary}--\r\n"));
        return new DsnMessage(output.ToArray(), RequiresSmtpUtf8: !IsAscii(original.ReversePath), EightBit: eightBit);
    }

    /// <summary>RFC 5322 3.3 date-time, in UTC.</summary>
    public static string FormatDate(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    private static bool IsAscii(string value) => value.All(char.IsAscii);

    /// <summary>One line, no controls, bounded: peer replies and addresses go into header-like fields.</summary>
    private static string Clean(string value)
    {
        var sb = new StringBuilder(Math.Min(value.Length, MaxFieldValue));
        foreach (char c in value)
        {
            if (sb.Length >= MaxFieldValue)
                break;
            sb.Append(char.IsControl(c) ? ' ' : c);
        }
        return sb.ToString();
    }

    private static byte[] ReadAll(Stream stream, long max)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.Length <= max ? buffer.ToArray() : buffer.ToArray()[..(int)max];
    }

    /// <summary>The header block up to and including its blank line, at most the MIME library's header limit.</summary>
    private static byte[] ReadHeaders(Stream stream)
    {
        int max = Appliance.Mime.HeaderLimits.Default.MaxHeaderBytes;
        using var buffer = new MemoryStream();
        int previous = -1, beforePrevious = -1, b;
        while (buffer.Length < max && (b = stream.ReadByte()) >= 0)
        {
            buffer.WriteByte((byte)b);
            // CRLF CRLF or LF LF ends the header (the spool holds CRLF, but be lenient).
            if (b == '\n' && (previous == '\n' || (previous == '\r' && beforePrevious == '\n')))
                break;
            beforePrevious = previous;
            previous = b;
        }
        return buffer.ToArray();
    }
}
