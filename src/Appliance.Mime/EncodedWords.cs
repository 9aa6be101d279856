// RFC 2047 (MIME Part Three: message header extensions for non-ASCII text); RFC 2231 5 (language).
using System.Text;

namespace Appliance.Mime;

internal static class EncodedWords
{
    /// <summary>
    /// RFC 2047 2 caps an encoded-word at 75 characters, but senders exceed it (whole subjects in one
    /// word are common); we accept ten times that before calling a word unterminated.
    /// </summary>
    private const int MaxWordLength = 750;

    /// <summary>
    /// Decodes the encoded-words in a header value. Lenient where senders commonly break the rules:
    /// words glued to surrounding text or inside quoted strings are decoded too; words whose bytes
    /// only make sense together (a UTF-8 sequence split across two words) are joined before charset
    /// decoding. A malformed word is left exactly as written.
    /// </summary>
    public static string Decode(string text)
    {
        if (!text.Contains("=?", StringComparison.Ordinal))
        {
            return text;
        }
        var result = new StringBuilder(text.Length);
        var pending = new List<byte>();
        string? pendingCharset = null;
        int copied = 0;
        int search = 0;
        while (search < text.Length)
        {
            int start = text.IndexOf("=?", search, StringComparison.Ordinal);
            if (start < 0)
            {
                break;
            }
            if (!TryMatch(text, start, out int end, out string charset, out byte[] bytes))
            {
                search = start + 2;
                continue;
            }
            ReadOnlySpan<char> between = text.AsSpan(copied, start - copied);
            // RFC 2047 6.2: whitespace between adjacent encoded-words is not displayed.
            bool adjacent = pendingCharset is not null && between.IsWhiteSpace();
            if (!adjacent)
            {
                FlushPending();
                result.Append(between);
            }
            else if (!string.Equals(pendingCharset, charset, StringComparison.OrdinalIgnoreCase))
            {
                FlushPending();
            }
            pendingCharset = charset;
            pending.AddRange(bytes);
            copied = search = end;
        }
        FlushPending();
        result.Append(text.AsSpan(copied));
        return result.ToString();

        void FlushPending()
        {
            if (pendingCharset is not null)
            {
                result.Append(Charsets.Decode(pending.ToArray(), pendingCharset));
                pending.Clear();
                pendingCharset = null;
            }
        }
    }

    /// <summary>Length of a well-formed encoded-word starting at <paramref name="start"/>, or 0.</summary>
    public static int MatchLength(string text, int start) =>
        TryMatch(text, start, out int end, out _, out _) ? end - start : 0;

    /// <summary>
    /// RFC 2047 2: encoded-word = "=?" charset "?" encoding "?" encoded-text "?=", with no whitespace
    /// inside. Returns the decoded bytes and the charset (language suffix removed, RFC 2231 5).
    /// </summary>
    private static bool TryMatch(string text, int start, out int end, out string charset, out byte[] bytes)
    {
        end = 0;
        charset = "";
        bytes = [];
        if (string.CompareOrdinal(text, start, "=?", 0, 2) != 0)
        {
            return false;
        }
        int charsetStart = start + 2;
        int q1 = text.IndexOf('?', charsetStart);
        if (q1 <= charsetStart || q1 + 2 >= text.Length || text[q1 + 2] != '?')
        {
            return false;
        }
        ReadOnlySpan<char> label = text.AsSpan(charsetStart, q1 - charsetStart);
        if (label.ContainsAny(" \t\r\n\"()<>@,;:[]=".AsSpan()))
        {
            return false;
        }
        char encoding = char.ToUpperInvariant(text[q1 + 1]);
        int textStart = q1 + 3;
        // Encoded text holds no whitespace (RFC 2047 5), so the search stops at the next whitespace and
        // after MaxWordLength: a hostile run of "=?" without a close stays linear, not quadratic.
        int window = Math.Min(text.Length - textStart, MaxWordLength);
        int space = text.AsSpan(textStart, window).IndexOfAny(" \t\r\n".AsSpan());
        int close = text.AsSpan(textStart, space < 0 ? window : space).IndexOf("?=".AsSpan(), StringComparison.Ordinal);
        close = close < 0 ? -1 : textStart + close;
        if (close < 0 || encoding is not ('B' or 'Q'))
        {
            return false;
        }
        ReadOnlySpan<char> encoded = text.AsSpan(textStart, close - textStart);
        byte[]? decoded = encoding == 'B' ? DecodeB(encoded) : DecodeQ(encoded);
        if (decoded is null)
        {
            return false;
        }
        int star = label.IndexOf('*');
        charset = (star >= 0 ? label[..star] : label).ToString();
        bytes = decoded;
        end = close + 2;
        return true;
    }

    // RFC 2047 4.1: the "B" encoding is base64 (RFC 2045 6.8). Missing padding is tolerated because
    // several mailers drop it; wrong padding or any other stray character makes the word malformed.
    private static byte[]? DecodeB(ReadOnlySpan<char> encoded)
    {
        ReadOnlySpan<char> data = encoded.TrimEnd('=');
        int padding = encoded.Length - data.Length;
        if (data.Length % 4 == 1 || (padding > 0 && (padding > 2 || encoded.Length % 4 != 0)))
        {
            return null;
        }
        foreach (char c in data)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '+' && c != '/')
            {
                return null;
            }
        }
        return TransferEncodings.DecodeBase64(Encoding.ASCII.GetBytes(data.ToString()));
    }

    // RFC 2047 4.2: the "Q" encoding: "_" is space, "=XX" a byte. A broken "=" escape stays literal
    // rather than losing the whole word; non-ASCII characters (raw UTF-8 already read) pass as UTF-8.
    private static byte[] DecodeQ(ReadOnlySpan<char> encoded)
    {
        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            char c = encoded[i];
            if (c == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '=' && i + 2 < encoded.Length && char.IsAsciiHexDigit(encoded[i + 1]) && char.IsAsciiHexDigit(encoded[i + 2]))
            {
                bytes.Add((byte)Convert.ToInt32(encoded.Slice(i + 1, 2).ToString(), 16));
                i += 2;
            }
            else if (c < 128)
            {
                bytes.Add((byte)c);
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        return bytes.ToArray();
    }
}
