// RFC 5322 section 3.2.3 (atoms), 3.2.4 (quoted strings), 3.2.2 (comments); RFC 2045 5.1 (tokens,
// used by RFC 8601 values).
using System.Text;

namespace Appliance.MailAuth.Internal;

/// <summary>Quoting helpers for the trace header fields we write (Received-SPF, Authentication-Results).</summary>
internal static class HeaderSyntax
{
    // RFC 5322 3.2.3: atext = ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~"
    private static bool IsAtext(char c) => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c);

    /// <summary>RFC 5322 3.2.3: dot-atom-text = 1*atext *("." 1*atext).</summary>
    public static bool IsDotAtom(string value) =>
        value.Length > 0 && value.Split('.').All(part => part.Length > 0 && part.All(IsAtext));

    // RFC 2045 5.1: token = 1*<any CHAR except SPACE, CTLs, or tspecials>
    public static bool IsToken(string value) =>
        value.Length > 0 && value.All(c => c is > ' ' and < (char)127 && !"()<>@,;:\\\"/[]?=".Contains(c));

    /// <summary>RFC 5322 3.2.4: a quoted-string, with "\" and DQUOTE escaped as quoted-pairs.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\');
            }
            // Line breaks would end the field: no CR or LF may reach a header value.
            sb.Append(c is '\r' or '\n' ? ' ' : c);
        }
        return sb.Append('"').ToString();
    }

    /// <summary>The value as a dot-atom when it is one, else quoted (RFC 7208 9.1 key-value-pair).</summary>
    public static string DotAtomOrQuoted(string value) => IsDotAtom(value) ? value : Quote(value);

    /// <summary>The value as an RFC 2045 token when it is one, else quoted (RFC 8601 2.2 "value").</summary>
    public static string TokenOrQuoted(string value) => IsToken(value) ? value : Quote(value);

    /// <summary>RFC 5322 3.2.2: comment text with "(", ")" and "\" escaped as quoted-pairs.</summary>
    public static string Comment(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('(');
        foreach (char c in text)
        {
            if (c is '(' or ')' or '\\')
            {
                sb.Append('\\');
            }
            sb.Append(c is '\r' or '\n' ? ' ' : c);
        }
        return sb.Append(')').ToString();
    }
}
