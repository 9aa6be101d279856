// RFC 3501 section 5.1.3 (mailbox international naming convention: modified UTF-7), kept by RFC
// 9051 section 5.1 and appendix A for IMAP4rev1 clients; RFC 2152 (UTF-7, whose base64 it
// modifies). IMAP4rev2 and UTF8=ACCEPT clients send UTF-8 instead.
using System.Text;

namespace Appliance.Server.Imap;

/// <summary>
/// Modified UTF-7 mailbox names. The decoder is strict: every name has exactly one encoding, so two
/// spellings can never reach the same mailbox (or slip a "/" or control past a check on the other).
/// </summary>
internal static class ModifiedUtf7
{
    // RFC 3501 5.1.3: modified BASE64 is RFC 2045 base64 with "," for "/".
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

    /// <summary>RFC 3501 5.1.3: printable US-ASCII but "&amp;" stands for itself; "&amp;" is "&amp;-"; everything else is "&amp;" modified-base64(UTF-16BE) "-".</summary>
    public static string Encode(string name)
    {
        var text = new StringBuilder(name.Length);
        int i = 0;
        while (i < name.Length)
        {
            char c = name[i];
            if (c == '&')
            {
                text.Append("&-");
                i++;
            }
            else if (c is >= '\x20' and <= '\x7e')
            {
                text.Append(c);
                i++;
            }
            else
            {
                // A run of non-printable characters becomes one shift (no adjacent shifts).
                int start = i;
                while (i < name.Length && name[i] is < '\x20' or > '\x7e')
                    i++;
                text.Append('&');
                int bits = 0, buffer = 0;
                for (int k = start; k < i; k++)
                {
                    buffer = (buffer << 16) | name[k];
                    bits += 16;
                    while (bits >= 6)
                    {
                        bits -= 6;
                        text.Append(Alphabet[(buffer >> bits) & 0x3f]);
                    }
                    buffer &= (1 << bits) - 1;
                }
                if (bits > 0)
                    text.Append(Alphabet[(buffer << (6 - bits)) & 0x3f]); // zero-filled, no "=" padding
                text.Append('-');
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// Decodes a modified UTF-7 name; false (with a reason) for anything that is not the one canonical
    /// encoding: octets outside printable ASCII, a bare or unterminated "&amp;", characters outside the
    /// modified base64 alphabet, "=" padding, leftover bits that are not zero or make a whole extra
    /// character, printable ASCII or "&amp;" inside a shift, an empty shift other than "&amp;-", two
    /// shifts next to each other, and unpaired surrogates.
    /// </summary>
    public static bool TryDecode(string encoded, out string decoded, out string? error)
    {
        decoded = "";
        error = null;
        var text = new StringBuilder(encoded.Length);
        bool previousWasShift = false;
        int i = 0;
        while (i < encoded.Length)
        {
            char c = encoded[i];
            if (c is < '\x20' or > '\x7e')
                return Fail("octets outside printable US-ASCII must be encoded", out error);
            if (c != '&')
            {
                text.Append(c);
                i++;
                previousWasShift = false;
                continue;
            }
            int end = encoded.IndexOf('-', i + 1);
            if (end < 0)
                return Fail("unterminated \"&\" shift", out error);
            if (end == i + 1)
            {
                text.Append('&'); // "&-" is "&"
                i = end + 1;
                previousWasShift = false;
                continue;
            }
            if (previousWasShift)
                return Fail("adjacent shifts must be one", out error);
            int bits = 0, buffer = 0;
            char? high = null;
            for (int k = i + 1; k < end; k++)
            {
                int value = Alphabet.IndexOf(encoded[k]);
                if (value < 0)
                    return Fail(encoded[k] == '=' ? "base64 padding is not allowed" : "not a modified base64 character", out error);
                buffer = (buffer << 6) | value;
                bits += 6;
                if (bits < 16)
                    continue;
                bits -= 16;
                char unit = (char)((buffer >> bits) & 0xffff);
                buffer &= (1 << bits) - 1;
                if (high is { } h)
                {
                    if (!char.IsLowSurrogate(unit))
                        return Fail("a high surrogate without its low surrogate", out error);
                    text.Append(h).Append(unit);
                    high = null;
                }
                else if (char.IsHighSurrogate(unit))
                    high = unit;
                else if (char.IsLowSurrogate(unit))
                    return Fail("a low surrogate without its high surrogate", out error);
                else if (unit is >= '\x20' and <= '\x7e')
                    return Fail("printable US-ASCII must not be encoded", out error);
                else
                    text.Append(unit);
            }
            // RFC 2152 / 3501 canonical form: fewer than 6 leftover bits, all zero.
            if (bits >= 6 || buffer != 0)
                return Fail("non-canonical base64 (leftover bits)", out error);
            if (high is not null)
                return Fail("a high surrogate without its low surrogate", out error);
            i = end + 1;
            previousWasShift = true;
        }
        decoded = text.ToString();
        return true;
    }

    public static bool TryDecode(string encoded, out string decoded) => TryDecode(encoded, out decoded, out _);

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }
}
