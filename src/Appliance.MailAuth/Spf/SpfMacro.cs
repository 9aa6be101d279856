// RFC 7208 (SPF) section 7: macros.
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.MailAuth.Spf;

/// <summary>The values the macro letters stand for during one check_host() call (RFC 7208 7.3).</summary>
internal sealed record SpfMacroContext(
    string Sender, string LocalPart, string SenderDomain, string Domain, IPAddress Ip, string Helo,
    string ReceivingDomain, long Timestamp)
{
    /// <summary>The %{p} value: must be computed (with DNS) before expansion when the string uses it.</summary>
    public string ValidatedName { get; init; } = "unknown";
}

internal static class SpfMacro
{
    private const string Delimiters = ".-+,/_=";

    /// <summary>True when the string uses %{p}: its value costs DNS queries, so it is fetched only then.</summary>
    public static bool UsesPtr(string text) =>
        text.Contains("%{p", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// RFC 7208 7.1 syntax: macro-expand = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-".
    /// The letters c, r and t are allowed only in explanation text (7.2).
    /// </summary>
    public static bool IsValidMacroString(string text, bool explanation) => TryExpand(text, null, explanation, out _);

    /// <summary>Expands a macro-string; false on a syntax error. With a null context it only validates.</summary>
    public static bool TryExpand(string text, SpfMacroContext? context, bool explanation, out string result)
    {
        var sb = new StringBuilder(text.Length);
        result = "";
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '%')
            {
                // RFC 7208 7.1: macro-literal = %x21-24 / %x26-7E; explanation text also allows SP.
                if (c is < '!' or > '~' && !(explanation && c == ' '))
                {
                    return false;
                }
                sb.Append(c);
                continue;
            }
            if (i + 1 >= text.Length)
            {
                return false;
            }
            char next = text[++i];
            switch (next)
            {
                case '%':
                    sb.Append('%');
                    continue;
                case '_':
                    sb.Append(' ');
                    continue;
                case '-':
                    sb.Append("%20");
                    continue;
                case '{':
                    break;
                default:
                    // RFC 7208 7.1: "A '%' character not followed by a '{', '%', '-', or '_' character is a syntax error."
                    return false;
            }
            int close = text.IndexOf('}', i);
            if (close < 0 || !TryExpandOne(text[(i + 1)..close], context, explanation, out string value))
            {
                return false;
            }
            sb.Append(value);
            i = close;
        }
        result = sb.ToString();
        return true;
    }

    private static bool TryExpandOne(string body, SpfMacroContext? context, bool explanation, out string value)
    {
        value = "";
        if (body.Length == 0)
        {
            return false;
        }
        char letter = body[0];
        char lower = char.ToLowerInvariant(letter);
        if ("slodiphvcrt".IndexOf(lower) < 0 || !char.IsAsciiLetter(letter))
        {
            return false;
        }
        // RFC 7208 7.2: "c", "r" and "t" "are allowed only in 'exp' text".
        if (!explanation && lower is 'c' or 'r' or 't')
        {
            return false;
        }
        // RFC 7208 7.1: transformers = *DIGIT [ "r" ], then *delimiter.
        int pos = 1;
        while (pos < body.Length && char.IsAsciiDigit(body[pos]))
        {
            pos++;
        }
        string digits = body[1..pos];
        bool reverse = false;
        if (pos < body.Length && body[pos] is 'r' or 'R')
        {
            reverse = true;
            pos++;
        }
        string delimiters = body[pos..];
        if (delimiters.Any(d => Delimiters.IndexOf(d) < 0))
        {
            return false;
        }
        int keep = int.MaxValue;
        if (digits.Length > 0)
        {
            // RFC 7208 7.3: the DIGIT transformer "MUST be nonzero"; huge values simply keep every part.
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out keep))
            {
                keep = int.MaxValue;
            }
            if (keep == 0)
            {
                return false;
            }
        }
        if (context is null)
        {
            return true;
        }
        string raw = lower switch
        {
            's' => context.Sender,
            'l' => context.LocalPart,
            'o' => context.SenderDomain,
            'd' => context.Domain,
            'i' => DottedAddress(context.Ip),
            'p' => context.ValidatedName,
            'v' => context.Ip.AddressFamily == AddressFamily.InterNetworkV6 ? "ip6" : "in-addr",
            'h' => context.Helo,
            // RFC 7208 7.3: c is the client IP "in human-readable format"; for IPv6 the RFC 5952 form.
            'c' => context.Ip.ToString(),
            'r' => context.ReceivingDomain,
            _ => context.Timestamp.ToString(CultureInfo.InvariantCulture),
        };
        // RFC 7208 7.3: split on the delimiters (default "."), optionally reverse, keep the rightmost
        // DIGIT parts, and join with ".".
        string[] parts = raw.Split(delimiters.Length == 0 ? ['.'] : delimiters.ToCharArray());
        if (reverse)
        {
            Array.Reverse(parts);
        }
        if (keep < parts.Length)
        {
            parts = parts[^keep..];
        }
        value = string.Join('.', parts);
        // RFC 7208 7.3: "Uppercase macros expand exactly as their lowercase equivalents, and are then
        // URL escaped" (RFC 3986: everything outside the unreserved set).
        if (char.IsAsciiLetterUpper(letter))
        {
            value = Uri.EscapeDataString(value);
        }
        return true;
    }

    /// <summary>
    /// RFC 7208 7.3: "i" is the dotted-quad for IPv4, and for IPv6 the 32 nibbles in dot format
    /// ("ip6.arpa" order reversed back), so that "%{ir}" builds reverse-DNS style names.
    /// </summary>
    public static string DottedAddress(IPAddress ip)
    {
        if (ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }
        byte[] bytes = ip.GetAddressBytes();
        var sb = new StringBuilder(63);
        foreach (byte b in bytes)
        {
            if (sb.Length > 0)
            {
                sb.Append('.');
            }
            sb.Append("0123456789abcdef"[b >> 4]).Append('.').Append("0123456789abcdef"[b & 0xF]);
        }
        return sb.ToString();
    }

    /// <summary>
    /// RFC 7208 7.3: an expanded name over 253 characters loses labels from the left until it fits.
    /// A trailing dot is dropped since every query is absolute.
    /// </summary>
    public static string TruncateDomain(string name)
    {
        name = name.TrimEnd('.');
        while (name.Length > 253)
        {
            int dot = name.IndexOf('.');
            name = dot < 0 ? "" : name[(dot + 1)..];
        }
        return name;
    }
}
