using System.Globalization;
using System.Text;

namespace Appliance.Server.Accounts;

/// <summary>
/// Validation and normalization of the domains and addresses we host. Domains are stored as
/// lower-case A-labels (RFC 5890, via <see cref="IdnMapping"/>) and shown as U-labels; local parts
/// are lower-cased, because users expect "Alice@" and "alice@" to be one mailbox (RFC 5321 2.4
/// lets the receiving host decide).
/// </summary>
public static class AddressRules
{
    /// <summary>RFC 5321 4.5.3.1.1.</summary>
    public const int MaxLocalPartOctets = 64;

    /// <summary>RFC 5321 4.5.3.1.2 allows 255 octets; a domain in a path must leave room for "@" and the local part.</summary>
    public const int MaxDomainOctets = 253;

    /// <summary>RFC 1035 2.3.4.</summary>
    public const int MaxLabelOctets = 63;

    /// <summary>The plus-addressing separator (user+tag@domain), as Postfix's recipient_delimiter.</summary>
    public const char SubaddressSeparator = '+';

    private static readonly IdnMapping Idn = new() { UseStd3AsciiRules = true, AllowUnassigned = false };

    /// <summary>Normalizes a domain name to its lower-case A-label, or explains why it is not one we can host.</summary>
    public static bool TryNormalizeDomain(string? input, out string domain, out string error)
    {
        domain = "";
        string text = (input ?? "").Trim();
        if (text.EndsWith('.'))
            text = text[..^1];
        if (text.Length == 0)
        {
            error = "A domain name is required.";
            return false;
        }
        if (text.StartsWith('[') || IPAddressLike(text))
        {
            error = $"'{input}' is an address literal, not a domain name.";
            return false;
        }
        string ascii;
        try
        {
            ascii = Idn.GetAscii(text).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            error = $"'{input}' is not a valid domain name (letters, digits and hyphens in dot-separated labels; international names are allowed).";
            return false;
        }
        string[] labels = ascii.Split('.');
        if (labels.Length < 2)
        {
            error = $"'{input}' needs at least two labels, like example.com.";
            return false;
        }
        if (ascii.Length > MaxDomainOctets)
        {
            error = $"'{input}' is longer than {MaxDomainOctets} characters.";
            return false;
        }
        foreach (string label in labels)
        {
            if (label.Length == 0 || label.Length > MaxLabelOctets || label.StartsWith('-') || label.EndsWith('-'))
            {
                error = $"'{input}' has an empty, too long, or hyphen-edged label.";
                return false;
            }
        }
        if (labels[^1].All(char.IsAsciiDigit))
        {
            error = $"'{input}' ends in a numeric label; top-level domains are never all digits.";
            return false;
        }
        domain = ascii;
        error = "";
        return true;
    }

    /// <summary>The domain as people read it (U-label); the A-label when it cannot be converted.</summary>
    public static string ToDisplayDomain(string asciiDomain)
    {
        try
        {
            return Idn.GetUnicode(asciiDomain);
        }
        catch (ArgumentException)
        {
            return asciiDomain;
        }
    }

    /// <summary>The address as people read it: local part and U-label domain.</summary>
    public static string ToDisplayAddress(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? address : string.Concat(address.AsSpan(0, at + 1), ToDisplayDomain(address[(at + 1)..]));
    }

    /// <summary>
    /// Normalizes "local@domain". The local part must be a dot-atom (RFC 5322 3.2.3) of ASCII
    /// atext or, per RFC 6531 3.3, UTF-8 letters and digits; quoted local parts are not offered for
    /// new accounts, since many clients mishandle them.
    /// </summary>
    public static bool TryNormalizeAddress(string? input, out string localPart, out string domain, out string error)
    {
        localPart = "";
        domain = "";
        string text = (input ?? "").Trim();
        int at = text.LastIndexOf('@');
        if (at <= 0 || at == text.Length - 1)
        {
            error = $"'{input}' is not an address of the form name@domain.";
            return false;
        }
        if (!TryNormalizeLocalPart(text[..at], out localPart, out error))
        {
            error = $"'{input}': {error}";
            return false;
        }
        if (!TryNormalizeDomain(text[(at + 1)..], out domain, out error))
            return false;
        return true;
    }

    public static bool TryNormalizeLocalPart(string input, out string localPart, out string error)
    {
        localPart = "";
        string lower = input.Normalize(NormalizationForm.FormC).ToLowerInvariant();
        if (lower.Length == 0)
        {
            error = "the part before @ is empty.";
            return false;
        }
        if (Encoding.UTF8.GetByteCount(lower) > MaxLocalPartOctets)
        {
            error = $"the part before @ is longer than {MaxLocalPartOctets} octets.";
            return false;
        }
        if (lower.StartsWith('.') || lower.EndsWith('.') || lower.Contains("..", StringComparison.Ordinal))
        {
            error = "the part before @ may not start or end with a dot or contain two dots in a row.";
            return false;
        }
        foreach (char c in lower)
        {
            if (!IsAtext(c) && c != '.')
            {
                error = $"the character '{Printable(c)}' is not allowed before @.";
                return false;
            }
        }
        localPart = lower;
        error = "";
        return true;
    }

    /// <summary>
    /// The address without its +tag ("user+tag@d" gives "user@d"), or null when it has none.
    /// </summary>
    public static string? WithoutSubaddress(string normalizedAddress)
    {
        int at = normalizedAddress.LastIndexOf('@');
        int plus = normalizedAddress.IndexOf(SubaddressSeparator);
        if (plus <= 0 || plus > at)
            return null;
        return string.Concat(normalizedAddress.AsSpan(0, plus), normalizedAddress.AsSpan(at));
    }

    /// <summary>RFC 5322 3.2.3 atext, plus non-ASCII letters and digits (RFC 6531 3.3 UTF8-non-ascii).</summary>
    private static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c) || (c > 0x7F && char.IsLetterOrDigit(c));

    private static bool IPAddressLike(string text) => System.Net.IPAddress.TryParse(text, out _);

    private static string Printable(char c) => char.IsControl(c) ? $"U+{(int)c:X4}" : c.ToString();
}
