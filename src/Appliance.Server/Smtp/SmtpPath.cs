// RFC 5321 section 4.1.2 (Path, Mailbox, Local-part, Domain, address literals) and 4.1.1.3 (source
// routes, ignored); RFC 6531 section 3.3 (UTF-8 in mailboxes with SMTPUTF8); RFC 1869/5321 4.1.2
// (esmtp-param syntax).
using System.Globalization;
using System.Net;
using System.Text;

namespace Appliance.Server.Smtp;

/// <summary>A parsed reverse-path or forward-path: the mailbox (empty for the null path) and its ESMTP parameters.</summary>
internal sealed record SmtpPath(string Mailbox, string LocalPart, string Domain, IReadOnlyList<KeyValuePair<string, string?>> Parameters)
{
    public bool IsNull => Mailbox.Length == 0;

    /// <summary>The local part or domain has non-ASCII characters (needs SMTPUTF8, RFC 6531).</summary>
    public bool IsInternational => !Ascii.IsValid(Mailbox);

    /// <summary>The domain is an address literal ([192.0.2.1], [IPv6:...]).</summary>
    public bool IsAddressLiteral => Domain.StartsWith('[');
}

/// <summary>
/// Strict parser for MAIL FROM / RCPT TO arguments. Strict where it matters for relaying: the
/// local part is a dot-string or a quoted string with only the characters RFC 5321 allows, the
/// domain is a host name or an address literal, nothing follows the path but parameters. A source
/// route (&lt;@a,@b:user@c&gt;) is accepted and ignored (RFC 5321 4.1.1.3 and appendix C), so
/// it never routes anything. "%" and "!" in a local part are ordinary characters: they are never
/// interpreted as a relay (the percent hack and bang paths simply name an unknown local user).
/// </summary>
internal static class SmtpPathParser
{
    /// <summary>RFC 5321 4.5.3.1.1: 64 octets of local part; 4.5.3.1.2: 255 of domain.</summary>
    public const int MaxLocalPartLength = 64;

    public const int MaxDomainLength = 255;

    /// <summary>
    /// Parses what follows "MAIL FROM:" or "RCPT TO:" (spaces after the colon are tolerated, as
    /// Postfix and Exim do). On failure, <paramref name="error"/> says what is wrong, for a 501.
    /// </summary>
    public static bool TryParse(string argument, bool allowNull, out SmtpPath? path, out string error)
    {
        path = null;
        string text = argument.TrimStart(' ');
        if (text.Length == 0 || text[0] != '<')
        {
            error = "Syntax error in address: it must be in angle brackets, like <user@example.org>";
            return false;
        }
        int close = FindClosingBracket(text);
        if (close < 0)
        {
            error = "Syntax error in address: no closing '>'";
            return false;
        }
        string inner = text[1..close];
        string rest = text[(close + 1)..];
        if (rest.Length > 0 && rest[0] != ' ')
        {
            error = "Syntax error: a space must separate the address from its parameters";
            return false;
        }
        if (!TryParseParameters(rest, out var parameters, out error))
            return false;

        if (inner.Length == 0)
        {
            if (!allowNull)
            {
                error = "Syntax error: an empty address is only allowed as a sender";
                return false;
            }
            path = new SmtpPath("", "", "", parameters);
            return true;
        }

        // RFC 5321 4.1.1.3: a source route is accepted and ignored.
        if (inner[0] == '@')
        {
            int colon = inner.IndexOf(':');
            if (colon < 0 || !IsValidRoute(inner[..colon]))
            {
                error = "Syntax error in source route";
                return false;
            }
            inner = inner[(colon + 1)..];
        }

        if (!TryParseMailbox(inner, out string local, out string domain, out error))
            return false;
        path = new SmtpPath($"{local}@{domain}", local, domain, parameters);
        return true;
    }

    /// <summary>Mailbox = Local-part "@" ( Domain / address-literal ).</summary>
    public static bool TryParseMailbox(string text, out string localPart, out string domain, out string error)
    {
        localPart = domain = "";
        int at;
        if (text.StartsWith('"'))
        {
            int end = 1;
            while (end < text.Length && text[end] != '"')
            {
                char c = text[end];
                if (c == '\\')
                {
                    // quoted-pairSMTP = %d92 %d32-126 (RFC 5321 4.1.2)
                    if (end + 1 >= text.Length || text[end + 1] < 32 || text[end + 1] > 126)
                    {
                        error = "Syntax error in quoted local part: bad escape";
                        return false;
                    }
                    end += 2;
                    continue;
                }
                // qtextSMTP = %d32-33 / %d35-91 / %d93-126, or UTF-8 (RFC 6531 3.3)
                if (c < 32 || c == 127)
                {
                    error = "Syntax error in quoted local part: control character";
                    return false;
                }
                end++;
            }
            if (end >= text.Length)
            {
                error = "Syntax error in quoted local part: no closing quote";
                return false;
            }
            at = end + 1;
            if (at >= text.Length || text[at] != '@')
            {
                error = "Syntax error: '@' must follow the quoted local part";
                return false;
            }
            localPart = text[..at];
            // RFC 5321 4.1.2: a quoted string that needs no quoting names the same mailbox as its
            // dot-string ("alice"@example.org is alice@example.org). Anything else stays quoted, and
            // then matches no mailbox of ours: quoting never smuggles "@" or "%" into a route.
            string unquoted = localPart[1..^1];
            if (IsDotString(unquoted))
                localPart = unquoted;
        }
        else
        {
            at = text.LastIndexOf('@');
            if (at <= 0)
            {
                error = "Syntax error: the address has no local part or no '@domain'";
                return false;
            }
            localPart = text[..at];
            if (!IsDotString(localPart))
            {
                error = "Syntax error in local part (use quotes for special characters)";
                return false;
            }
        }
        if (Encoding.UTF8.GetByteCount(localPart) > MaxLocalPartLength)
        {
            error = "Local part too long (RFC 5321 4.5.3.1.1 allows 64 octets)";
            return false;
        }
        domain = text[(at + 1)..];
        if (!IsValidDomainOrLiteral(domain))
        {
            error = "Syntax error in domain";
            return false;
        }
        error = "";
        return true;
    }

    private static int FindClosingBracket(string text)
    {
        bool quoted = false;
        for (int i = 1; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '\\')
                    i++;
                else if (c == '"')
                    quoted = false;
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == '>')
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Dot-string = Atom *("." Atom); atext per RFC 5322 3.2.3, plus UTF-8 (RFC 6531).</summary>
    private static bool IsDotString(string s)
    {
        if (s.Length == 0 || s[0] == '.' || s[^1] == '.' || s.Contains("..", StringComparison.Ordinal))
            return false;
        foreach (char c in s)
        {
            if (c == '.' || c >= 0x80 || char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c))
                continue;
            return false;
        }
        return true;
    }

    private static bool IsValidRoute(string route)
    {
        foreach (string hop in route.Split(','))
        {
            if (hop.Length < 2 || hop[0] != '@' || !IsValidDomainOrLiteral(hop[1..]))
                return false;
        }
        return true;
    }

    public static bool IsValidDomainOrLiteral(string domain)
    {
        if (domain.StartsWith('['))
            return IsAddressLiteral(domain);
        return IsValidDomain(domain);
    }

    /// <summary>Domain = sub-domain *("." sub-domain); U-labels allowed (RFC 6531 3.3), checked by IdnMapping.</summary>
    public static bool IsValidDomain(string domain)
    {
        if (domain.Length == 0 || domain.Length > MaxDomainLength || domain.EndsWith('.'))
            return false;
        string ascii;
        try
        {
            ascii = Ascii.IsValid(domain) ? domain : new IdnMapping { UseStd3AsciiRules = true }.GetAscii(domain);
        }
        catch (ArgumentException)
        {
            return false;
        }
        if (ascii.Length > MaxDomainLength)
            return false;
        foreach (string label in ascii.Split('.'))
        {
            // sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2); 63 octets (RFC 1035 2.3.4)
            if (label.Length == 0 || label.Length > 63 || label[0] == '-' || label[^1] == '-')
                return false;
            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-')
                    return false;
            }
        }
        return true;
    }

    /// <summary>address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]" (RFC 5321 4.1.3).</summary>
    private static bool IsAddressLiteral(string literal)
    {
        if (literal.Length < 3 || literal[^1] != ']')
            return false;
        string inner = literal[1..^1];
        if (inner.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
            return IPAddress.TryParse(inner[5..], out var v6) && v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var parts = inner.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    /// <summary>Mail-parameters = esmtp-param *(SP esmtp-param); esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").</summary>
    private static bool TryParseParameters(string text, out IReadOnlyList<KeyValuePair<string, string?>> parameters, out string error)
    {
        var list = new List<KeyValuePair<string, string?>>();
        parameters = list;
        error = "";
        foreach (string item in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = item.IndexOf('=');
            string keyword = eq < 0 ? item : item[..eq];
            string? value = eq < 0 ? null : item[(eq + 1)..];
            if (keyword.Length == 0 || !char.IsAsciiLetterOrDigit(keyword[0]) || !keyword.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
            {
                error = $"Syntax error in parameter '{item}'";
                return false;
            }
            // esmtp-value = 1*(%d33-60 / %d62-126), or UTF-8 with SMTPUTF8
            if (value is not null && (value.Length == 0 || value.Any(c => c < 33 || c == '=' || c == 127)))
            {
                error = $"Syntax error in the value of parameter {keyword}";
                return false;
            }
            if (list.Any(p => p.Key.Equals(keyword, StringComparison.OrdinalIgnoreCase)))
            {
                error = $"Parameter {keyword.ToUpperInvariant()} given twice";
                return false;
            }
            list.Add(new(keyword.ToUpperInvariant(), value));
        }
        return true;
    }

    /// <summary>xtext decoding (RFC 3461 section 4): "+" followed by two upper-case hex digits is one octet.</summary>
    public static bool TryDecodeXtext(string xtext, out string decoded)
    {
        var bytes = new List<byte>(xtext.Length);
        for (int i = 0; i < xtext.Length; i++)
        {
            char c = xtext[i];
            if (c == '+')
            {
                if (i + 2 >= xtext.Length || !char.IsAsciiHexDigitUpper(xtext[i + 1]) && !char.IsAsciiDigit(xtext[i + 1])
                    || !char.IsAsciiHexDigitUpper(xtext[i + 2]) && !char.IsAsciiDigit(xtext[i + 2]))
                {
                    decoded = "";
                    return false;
                }
                bytes.Add(byte.Parse(xtext.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else if (c is < '!' or > '~' or '=')
            {
                decoded = "";
                return false;
            }
            else
            {
                bytes.Add((byte)c);
            }
        }
        decoded = Encoding.UTF8.GetString([.. bytes]);
        return true;
    }
}
