// RFC 5321 section 4.2 (reply format, multi-line replies), RFC 2034 / RFC 3463 (enhanced status codes).
using System.Text;

namespace Appliance.Server.Smtp;

/// <summary>One reply: a code, an enhanced status code (RFC 3463) and one or more lines of text.</summary>
internal readonly record struct SmtpReply(int Code, string? Enhanced, string Text)
{
    public bool IsPositive => Code < 400;

    public bool IsTemporary => Code is >= 400 and < 500;

    /// <summary>
    /// The wire form: every line but the last as "code-", the last as "code " (RFC 5321 4.2.1),
    /// each with the enhanced code (RFC 2034 section 4: on every line). Text is ASCII; anything
    /// else is replaced, since the client's reply parser may not take UTF-8.
    /// </summary>
    public byte[] Encode()
    {
        var lines = Text.Split('\n');
        var builder = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            builder.Append(Code).Append(i == lines.Length - 1 ? ' ' : '-');
            if (Enhanced is not null)
                builder.Append(Enhanced).Append(' ');
            foreach (char c in lines[i].TrimEnd('\r'))
                builder.Append(c is >= ' ' and <= '~' ? c : '?');
            builder.Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(builder.ToString());
    }

    public override string ToString() => Enhanced is null ? $"{Code} {Text}" : $"{Code} {Enhanced} {Text}";

    // The replies used in more than one place; each says which RFC defines it.

    /// <summary>RFC 5321 4.2.2: 503 bad sequence of commands.</summary>
    public static SmtpReply BadSequence(string text = "Bad sequence of commands") => new(503, "5.5.1", text);

    /// <summary>RFC 5321 4.2.2: 500 syntax error, command unrecognized.</summary>
    public static SmtpReply Unrecognized => new(500, "5.5.2", "Command not recognized");

    /// <summary>RFC 5321 4.2.2: 501 syntax error in parameters or arguments.</summary>
    public static SmtpReply SyntaxError(string text) => new(501, "5.5.4", text);

    public static SmtpReply Ok(string text = "Ok") => new(250, "2.0.0", text);

    /// <summary>RFC 3463 5.3.4: message too big for system.</summary>
    public static SmtpReply TooBig(long max) => new(552, "5.3.4", $"Message size exceeds the maximum of {max} octets");

    /// <summary>RFC 4954 section 6: 530 5.7.0 authentication required.</summary>
    public static SmtpReply AuthenticationRequired => new(530, "5.7.0", "Authentication required");

    /// <summary>Our own failure: 451 4.3.0 (RFC 3463 "other or undefined mail system status").</summary>
    public static SmtpReply LocalError => new(451, "4.3.0", "Local error in processing; try again later");
}
