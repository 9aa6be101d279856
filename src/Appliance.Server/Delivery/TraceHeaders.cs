// RFC 5321 section 4.4 (Received and Return-Path), RFC 3848 and RFC 6531 section 3.7.3 (the
// "with" protocol names), RFC 5322 section 3.3 (date-time), 3.6.4 (msg-id); RFC 8314 section 4.3
// (record TLS in the Received header).
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Server.Delivery;

/// <summary>The trace and identification fields we add to messages.</summary>
internal static class TraceHeaders
{
    /// <summary>
    /// A Received field. <paramref name="heloName"/> and <paramref name="clientAddress"/> are null
    /// for a private submission (the "from" clause is left out). "for" is written only with one
    /// recipient, so a message to many does not list them all (RFC 5321 7.2 warns about it).
    /// </summary>
    public static string Received(
        string? heloName, string? clientAddress, string hostname, string protocol, string id, string? tls,
        IReadOnlyList<string> recipients, DateTimeOffset now)
    {
        var builder = new StringBuilder("Received: ");
        if (heloName is not null || clientAddress is not null)
        {
            builder.Append("from ").Append(heloName ?? "unknown");
            if (clientAddress is not null)
                builder.Append(" ([").Append(clientAddress).Append("])");
            builder.Append("\r\n\t");
        }
        builder.Append("by ").Append(hostname).Append(" (Appliance) with ").Append(protocol).Append(" id ").Append(id);
        if (tls is not null)
            builder.Append("\r\n\t(").Append(tls).Append(')');
        if (recipients.Count == 1)
            builder.Append("\r\n\tfor <").Append(recipients[0]).Append('>');
        builder.Append(";\r\n\t").Append(FormatDate(now)).Append("\r\n");
        return builder.ToString();
    }

    /// <summary>RFC 3848 / RFC 6531 3.7.3: SMTP, ESMTP, then S for TLS and A for authenticated; UTF8SMTP for SMTPUTF8.</summary>
    public static string Protocol(bool extended, bool tls, bool authenticated, bool smtpUtf8)
    {
        string name = smtpUtf8 ? "UTF8SMTP" : extended ? "ESMTP" : "SMTP";
        if (!extended && !smtpUtf8)
            return name;
        return name + (tls ? "S" : "") + (authenticated ? "A" : "");
    }

    /// <summary>RFC 5321 4.4: the final delivery adds Return-Path with the reverse path.</summary>
    public static string ReturnPath(string reversePath) => $"Return-Path: <{reversePath}>\r\n";

    /// <summary>date-time of RFC 5322 3.3, in UTC with +0000.</summary>
    public static string FormatDate(DateTimeOffset when) =>
        when.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    /// <summary>A fresh msg-id (RFC 5322 3.6.4) on our host name.</summary>
    public static string NewMessageId(string hostname) => $"<{NewId()}@{hostname}>";

    /// <summary>A short random identifier for Received "id" clauses and queue ids in replies.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
