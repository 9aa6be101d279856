// RFC 2045 2.7-2.8 (7bit and 8bit data), 6.2 (identity encodings), 6.7 (quoted-printable),
// 6.8 (base64); RFC 6152 (8BITMIME); RFC 5322 2.1.1 (998-character lines).
using System.Text;

namespace Appliance.Mime;

/// <summary>Chooses and applies a Content-Transfer-Encoding for one body.</summary>
internal static class BodyEncoder
{
    /// <summary>RFC 2045 6.7 (5) and 6.8: encoded lines are at most 76 characters.</summary>
    private const int EncodedLineLength = 76;

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>Text to bytes with every line break as CRLF, ending with one (mail text is lines, RFC 5322 2.1; RFC 2046 4.1.1).</summary>
    public static byte[] NormalizeText(string text)
    {
        string normalized = NormalizeLineEnds(text);
        return Encoding.UTF8.GetBytes(normalized);
    }

    /// <summary>CR, LF and CRLF all become CRLF; a non-empty text gets a final CRLF.</summary>
    public static string NormalizeLineEnds(string text)
    {
        var output = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\r')
            {
                if (i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }
                output.Append("\r\n");
            }
            else if (c == '\n')
            {
                output.Append("\r\n");
            }
            else
            {
                output.Append(c);
            }
        }
        if (output.Length > 0 && output[^1] != '\n')
        {
            output.Append("\r\n");
        }
        return output.ToString();
    }

    /// <summary>
    /// Text (already CRLF-normalized): 7bit when it is ASCII in short lines (RFC 2045 2.7), 8bit
    /// when the path supports 8BITMIME and lines are short (2.8), else quoted-printable or base64,
    /// whichever comes out shorter: QP for mostly-ASCII text, base64 for mostly non-ASCII.
    /// </summary>
    public static (string Encoding, byte[] Body) EncodeText(byte[] text, bool allow8Bit)
    {
        bool shortLines = MaxLineLength(text) <= HeaderWriter.HardLimit;
        bool noNul = text.AsSpan().IndexOf((byte)0) < 0;
        bool ascii = Ascii.IsValid(text);
        if (shortLines && noNul && ascii)
        {
            return ("7bit", text);
        }
        if (shortLines && noNul && allow8Bit)
        {
            return ("8bit", text);
        }
        byte[] qp = QuotedPrintable(text);
        int base64Length = (text.Length + 2) / 3 * 4 * (EncodedLineLength + 2) / EncodedLineLength;
        return qp.Length <= base64Length ? ("quoted-printable", qp) : ("base64", Base64(text));
    }

    /// <summary>RFC 2045 6.8: base64 in lines of 76 characters, each ending in CRLF.</summary>
    public static byte[] Base64(ReadOnlySpan<byte> data)
    {
        string encoded = Convert.ToBase64String(data);
        var output = new byte[encoded.Length + (encoded.Length + EncodedLineLength - 1) / EncodedLineLength * 2];
        int n = 0;
        for (int i = 0; i < encoded.Length; i += EncodedLineLength)
        {
            int length = Math.Min(EncodedLineLength, encoded.Length - i);
            n += Encoding.ASCII.GetBytes(encoded.AsSpan(i, length), output.AsSpan(n));
            output[n++] = (byte)'\r';
            output[n++] = (byte)'\n';
        }
        return output[..n];
    }

    /// <summary>
    /// RFC 2045 6.7 quoted-printable of CRLF text: CRLF stays a hard line break (rule 4); printable
    /// ASCII except "=" stays (rule 2); space and tab stay unless they end a line (rule 3); everything
    /// else is =XX (rule 1); soft breaks keep lines at 76 characters (rule 5). A "." or "F" at a line
    /// start is encoded so lines never read as SMTP end of data or mbox "From " after a naive relay.
    /// </summary>
    public static byte[] QuotedPrintable(ReadOnlySpan<byte> text)
    {
        var output = new List<byte>(text.Length + text.Length / 8 + 16);
        int column = 0;
        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if (b == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                output.Add((byte)'\r');
                output.Add((byte)'\n');
                column = 0;
                i++;
                continue;
            }
            bool lineEnd = i + 1 == text.Length || (text[i + 1] == '\r' && i + 2 < text.Length && text[i + 2] == '\n');
            bool literal = b is >= 33 and <= 126 and not (byte)'='
                || (b is (byte)' ' or (byte)'\t' && !lineEnd);
            if (column == 0 && b is (byte)'.' or (byte)'F')
            {
                literal = false;
            }
            int width = literal ? 1 : 3;
            // Room for the soft break "=" unless this is the line's last character.
            int room = lineEnd ? EncodedLineLength : EncodedLineLength - 1;
            if (column + width > room)
            {
                output.Add((byte)'=');
                output.Add((byte)'\r');
                output.Add((byte)'\n');
                column = 0;
                if (b is (byte)'.' or (byte)'F')
                {
                    literal = false;
                    width = 3;
                }
            }
            if (literal)
            {
                output.Add(b);
            }
            else
            {
                output.Add((byte)'=');
                output.Add(Hex[b >> 4]);
                output.Add(Hex[b & 15]);
            }
            column += width;
        }
        return [.. output];
    }

    private static int MaxLineLength(ReadOnlySpan<byte> data)
    {
        int longest = 0;
        while (true)
        {
            int lf = data.IndexOf((byte)'\n');
            int length = lf < 0 ? data.Length : lf;
            longest = Math.Max(longest, length > 0 && lf >= 0 && data[length - 1] == '\r' ? length - 1 : length);
            if (lf < 0)
            {
                return longest;
            }
            data = data[(lf + 1)..];
        }
    }
}
