// RFC 7208 (SPF) section 4.6.1 (term evaluation and syntax), 5 (mechanisms), 6 (modifiers),
// 12 (collected ABNF).
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Appliance.MailAuth.Spf;

internal enum SpfQualifier { Pass, Fail, SoftFail, Neutral }

internal enum SpfMechanismKind { All, Include, A, Mx, Ptr, Ip4, Ip6, Exists }

/// <param name="DomainSpec">The unexpanded domain-spec, or null when the mechanism has none.</param>
/// <param name="Network">For ip4/ip6: the network address.</param>
/// <param name="Prefix4">The IPv4 CIDR length (ip4, a, mx), 32 when absent.</param>
/// <param name="Prefix6">The IPv6 CIDR length (ip6, a, mx), 128 when absent.</param>
/// <param name="Text">The term as written, for results and headers.</param>
internal sealed record SpfMechanism(
    SpfQualifier Qualifier, SpfMechanismKind Kind, string? DomainSpec, IPAddress? Network, int Prefix4, int Prefix6, string Text);

/// <summary>A parsed SPF record: its directives in order and the two modifiers we know.</summary>
internal sealed record SpfRecord(IReadOnlyList<SpfMechanism> Mechanisms, string? Redirect, string? Explanation)
{
    /// <summary>RFC 7208 4.5: a record starts with "v=spf1" (case-insensitive) followed by a space or its end.</summary>
    public static bool IsSpfRecord(string text) =>
        text.StartsWith("v=spf1", StringComparison.OrdinalIgnoreCase) && (text.Length == 6 || text[6] == ' ');

    /// <summary>
    /// Parses the whole record before anything is evaluated: RFC 7208 4.6 says a syntax error
    /// anywhere means permerror "without further interpretation or evaluation".
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out SpfRecord? record, out string error)
    {
        record = null;
        error = "";
        if (!IsSpfRecord(text))
        {
            error = "not an SPF record";
            return false;
        }
        var mechanisms = new List<SpfMechanism>();
        string? redirect = null;
        string? exp = null;
        // RFC 7208 12: terms = *( 1*SP ( directive / modifier ) ), record ends with *SP.
        foreach (string term in text[6..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (TryModifier(term, out string? name, out string? value))
            {
                if (!SpfMacro.IsValidMacroString(value, explanation: false))
                {
                    error = $"bad macro string in modifier '{term}'";
                    return false;
                }
                if (name.Equals("redirect", StringComparison.OrdinalIgnoreCase))
                {
                    // RFC 7208 6: redirect and exp "MUST NOT appear in a record more than once each".
                    if (redirect is not null || !IsValidDomainSpec(value))
                    {
                        error = redirect is not null ? "more than one redirect modifier" : $"bad domain in '{term}'";
                        return false;
                    }
                    redirect = value;
                }
                else if (name.Equals("exp", StringComparison.OrdinalIgnoreCase))
                {
                    if (exp is not null || !IsValidDomainSpec(value))
                    {
                        error = exp is not null ? "more than one exp modifier" : $"bad domain in '{term}'";
                        return false;
                    }
                    exp = value;
                }
                // RFC 7208 6: "Unrecognized modifiers MUST be ignored".
                continue;
            }
            if (!TryMechanism(term, out SpfMechanism? mechanism))
            {
                error = $"unknown or malformed term '{term}'";
                return false;
            }
            mechanisms.Add(mechanism);
        }
        record = new SpfRecord(mechanisms, redirect, exp);
        return true;
    }

    // RFC 7208 12: modifier = name "=" macro-string; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    private static bool TryModifier(string term, [NotNullWhen(true)] out string? name, [NotNullWhen(true)] out string? value)
    {
        name = value = null;
        int eq = term.IndexOf('=');
        if (eq <= 0 || !char.IsAsciiLetter(term[0]))
        {
            return false;
        }
        for (int i = 1; i < eq; i++)
        {
            char c = term[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }
        name = term[..eq];
        value = term[(eq + 1)..];
        return true;
    }

    private static bool TryMechanism(string term, [NotNullWhen(true)] out SpfMechanism? mechanism)
    {
        mechanism = null;
        // RFC 7208 4.6.2: the qualifier is optional and defaults to "+".
        SpfQualifier qualifier = SpfQualifier.Pass;
        int pos = 0;
        if (term.Length > 0 && term[0] is '+' or '-' or '~' or '?')
        {
            qualifier = term[0] switch { '-' => SpfQualifier.Fail, '~' => SpfQualifier.SoftFail, '?' => SpfQualifier.Neutral, _ => SpfQualifier.Pass };
            pos = 1;
        }
        int nameEnd = pos;
        while (nameEnd < term.Length && char.IsAsciiLetterOrDigit(term[nameEnd]))
        {
            nameEnd++;
        }
        // Mechanism names are case-insensitive (RFC 7208 4.6.1).
        string name = term[pos..nameEnd].ToLowerInvariant();
        string rest = term[nameEnd..];
        string? domain = null;
        string cidr = rest;
        if (rest.StartsWith(':'))
        {
            int slash = IndexOfCidr(rest);
            domain = rest[1..slash];
            cidr = rest[slash..];
            if (domain.Length == 0)
            {
                return false;
            }
        }
        int p4 = 32, p6 = 128;
        IPAddress? network = null;
        switch (name)
        {
            case "all":
                // RFC 7208 5.1: "all" takes no argument.
                if (rest.Length != 0)
                {
                    return false;
                }
                break;
            case "include" or "exists":
                // RFC 7208 5.2, 5.7: the domain-spec is required; there is no CIDR.
                if (domain is null || cidr.Length != 0 || !IsValidDomainSpec(domain))
                {
                    return false;
                }
                break;
            case "ptr":
                // RFC 7208 5.5: optional domain-spec, no CIDR.
                if (cidr.Length != 0 || (domain is not null && !IsValidDomainSpec(domain)))
                {
                    return false;
                }
                break;
            case "a" or "mx":
                // RFC 7208 5.3, 5.4: optional domain-spec, then dual-cidr-length.
                if ((domain is not null && !IsValidDomainSpec(domain)) || !TryDualCidr(cidr, out p4, out p6))
                {
                    return false;
                }
                break;
            case "ip4":
                // RFC 7208 5.6: ip4-network [ ip4-cidr-length ], dotted quad only.
                if (domain is null || !TryIp4(domain, out network) || !TryCidr(cidr, 32, out p4))
                {
                    return false;
                }
                domain = null;
                break;
            case "ip6":
                if (domain is null || !TryIp6(domain, out network) || !TryCidr(cidr, 128, out p6))
                {
                    return false;
                }
                domain = null;
                break;
            default:
                // RFC 7208 5: an unknown mechanism is a syntax error, hence permerror.
                return false;
        }
        var kind = name switch
        {
            "all" => SpfMechanismKind.All,
            "include" => SpfMechanismKind.Include,
            "a" => SpfMechanismKind.A,
            "mx" => SpfMechanismKind.Mx,
            "ptr" => SpfMechanismKind.Ptr,
            "ip4" => SpfMechanismKind.Ip4,
            "ip6" => SpfMechanismKind.Ip6,
            _ => SpfMechanismKind.Exists,
        };
        mechanism = new SpfMechanism(qualifier, kind, domain, network, p4, p6, term);
        return true;
    }

    // The CIDR starts at the first "/" outside a macro: "%{l/}" uses "/" as a delimiter (RFC 7208 7.1).
    private static int IndexOfCidr(string rest)
    {
        bool inMacro = false;
        for (int i = 1; i < rest.Length; i++)
        {
            char c = rest[i];
            if (c == '{' && rest[i - 1] == '%')
            {
                inMacro = true;
            }
            else if (c == '}')
            {
                inMacro = false;
            }
            else if (c == '/' && !inMacro)
            {
                return i;
            }
        }
        return rest.Length;
    }

    // RFC 7208 5.6: dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
    private static bool TryDualCidr(string text, out int p4, out int p6)
    {
        p4 = 32;
        p6 = 128;
        if (text.Length == 0)
        {
            return true;
        }
        int dual = text.IndexOf("//", StringComparison.Ordinal);
        string v4 = dual < 0 ? text : text[..dual];
        string v6 = dual < 0 ? "" : text[(dual + 1)..];
        return TryCidr(v4, 32, out p4) && TryCidr(v6, 128, out p6);
    }

    // RFC 7208 12: ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT); ip6 allows up to three digits. No leading zeros.
    private static bool TryCidr(string text, int max, out int prefix)
    {
        prefix = max;
        if (text.Length == 0)
        {
            return true;
        }
        string digits = text[1..];
        if (text[0] != '/' || digits.Length is 0 or > 3 || !digits.All(char.IsAsciiDigit) || (digits.Length > 1 && digits[0] == '0'))
        {
            return false;
        }
        prefix = int.Parse(digits, CultureInfo.InvariantCulture);
        return prefix <= max;
    }

    // RFC 7208 12: ip4-network = qnum "." qnum "." qnum "." qnum. IPAddress.TryParse alone would accept "1" or "1.2".
    private static bool TryIp4(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        string[] parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || int.Parse(p, CultureInfo.InvariantCulture) > 255))
        {
            return false;
        }
        return IPAddress.TryParse(text, out address);
    }

    private static bool TryIp6(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        return text.Contains(':') && !text.Contains('%')
            && IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    /// <summary>
    /// RFC 7208 7.1: domain-spec = macro-string domain-end; domain-end = ( "." toplabel [ "." ] ) / macro-expand.
    /// </summary>
    internal static bool IsValidDomainSpec(string spec)
    {
        if (spec.Length == 0 || !SpfMacro.IsValidMacroString(spec, explanation: false))
        {
            return false;
        }
        if (spec.EndsWith('}') || spec.EndsWith("%%", StringComparison.Ordinal)
            || spec.EndsWith("%_", StringComparison.Ordinal) || spec.EndsWith("%-", StringComparison.Ordinal))
        {
            return true;
        }
        string trimmed = spec.EndsWith('.') ? spec[..^1] : spec;
        int dot = trimmed.LastIndexOf('.');
        if (dot < 0)
        {
            return false;
        }
        return IsTopLabel(trimmed[(dot + 1)..]);
    }

    // RFC 7208 7.1: toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    private static bool IsTopLabel(string label) =>
        label.Length > 0 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
        && label[0] != '-' && label[^1] != '-' && (label.Any(char.IsAsciiLetter) || label.Contains('-'));
}
