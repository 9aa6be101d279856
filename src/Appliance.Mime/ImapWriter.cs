// RFC 9051 4.3 (strings: quoted and literal), 4.5 (NIL), 9 (formal syntax: quoted, literal, nstring).
using System.Text;

namespace Appliance.Mime;

/// <summary>Appends IMAP tokens: NIL, quoted strings with escapes, literals for what a quoted string cannot carry.</summary>
internal sealed class ImapWriter
{
    private readonly StringBuilder text = new();

    public ImapWriter Nil()
    {
        Space();
        text.Append("NIL");
        return this;
    }

    /// <summary>
    /// RFC 9051 4.3: a quoted string holds 7-bit characters except CR, LF and NUL, with "\" and
    /// the double quote escaped (the grammar's quoted-specials); anything else goes as a literal
    /// "{n}" CRLF followed by the n octets (UTF-8 here).
    /// </summary>
    public ImapWriter String(string? value)
    {
        if (value is null)
        {
            return Nil();
        }
        Space();
        bool quotable = true;
        foreach (char c in value)
        {
            if (c is < (char)0x20 or > (char)0x7E)
            {
                quotable = false;
                break;
            }
        }
        if (quotable)
        {
            text.Append('"');
            foreach (char c in value)
            {
                if (c is '"' or '\\')
                {
                    text.Append('\\');
                }
                text.Append(c);
            }
            text.Append('"');
        }
        else
        {
            // A literal holds CHAR8, which excludes NUL (RFC 9051 9): drop any from broken headers.
            string octets = value.Contains('\0', StringComparison.Ordinal) ? value.Replace("\0", "", StringComparison.Ordinal) : value;
            text.Append('{').Append(Encoding.UTF8.GetByteCount(octets)).Append("}\r\n").Append(octets);
        }
        return this;
    }

    public ImapWriter Number(long value)
    {
        Space();
        text.Append(value);
        return this;
    }

    /// <param name="adjacent">
    /// No space before it: lists of addresses ("(" 1*address ")") and the parts of a multipart
    /// ("(" 1*body SP media-subtype ...) follow each other without one (RFC 9051 9).
    /// </param>
    public ImapWriter Open(bool adjacent = false)
    {
        if (!adjacent)
        {
            Space();
        }
        text.Append('(');
        return this;
    }

    public ImapWriter Close()
    {
        text.Append(')');
        return this;
    }

    public override string ToString() => text.ToString();

    // Tokens in a list are separated by one space; none after "(" or at the start.
    private void Space()
    {
        if (text.Length > 0 && text[^1] != '(')
        {
            text.Append(' ');
        }
    }
}
