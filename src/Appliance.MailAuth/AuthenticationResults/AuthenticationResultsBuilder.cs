// RFC 8601 (Authentication-Results header field): section 2.2 (syntax), 2.3 (authserv-id),
// 2.7 (methods and results); RFC 7489 11.2 (dmarc method), RFC 7208 9.1 / RFC 8601 2.7.2 (spf).
using System.Text;
using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Internal;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.AuthenticationResults;

/// <summary>
/// Builds one Authentication-Results field: the authserv-id, then one "method=result" entry per check
/// with an optional reason and properties, in the order added.
/// </summary>
public sealed class AuthenticationResultsBuilder
{
    private readonly string authservId;
    private readonly List<string> entries = [];

    /// <param name="authservId">RFC 8601 2.3: the name of our authentication service, usually our host name.</param>
    public AuthenticationResultsBuilder(string authservId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(authservId);
        this.authservId = authservId;
    }

    /// <summary>
    /// Adds "method=result [reason=...] [ptype.property=value ...]". Method, result, ptype and property
    /// are keywords (RFC 8601 2.2); the reason is quoted unless it is a token; property values are
    /// written bare when they are a token or an address/domain (2.2 pvalue), else quoted.
    /// </summary>
    public AuthenticationResultsBuilder Add(string method, string result, string? reason = null, params AuthenticationResultProperty[] properties)
    {
        RequireKeyword(method, nameof(method));
        RequireKeyword(result, nameof(result));
        var sb = new StringBuilder().Append(method.ToLowerInvariant()).Append('=').Append(result.ToLowerInvariant());
        if (!string.IsNullOrEmpty(reason))
        {
            // RFC 8601 2.2: reasonspec = "reason" [CFWS] "=" [CFWS] value; value is a token or quoted-string (RFC 2045).
            sb.Append(" reason=").Append(HeaderSyntax.TokenOrQuoted(reason));
        }
        foreach (AuthenticationResultProperty p in properties)
        {
            RequireKeyword(p.Type, nameof(properties));
            RequireKeyword(p.Property, nameof(properties));
            sb.Append(' ').Append(p.Type).Append('.').Append(p.Property).Append('=').Append(PropertyValue(p.Value));
        }
        entries.Add(sb.ToString());
        return this;
    }

    /// <summary>
    /// RFC 8601 2.7.2: "spf" with smtp.mailfrom (the MAIL FROM domain) or smtp.helo; the reason is
    /// the evaluator's when the result is an error, so the problem is visible downstream.
    /// </summary>
    public AuthenticationResultsBuilder AddSpf(SpfResult result, SpfIdentity identity = SpfIdentity.MailFrom)
    {
        ArgumentNullException.ThrowIfNull(result);
        string? reason = result.Verdict is SpfVerdict.TempError or SpfVerdict.PermError ? result.Reason : null;
        var property = identity == SpfIdentity.Helo
            ? new AuthenticationResultProperty("smtp", "helo", result.Helo ?? result.Domain)
            : new AuthenticationResultProperty("smtp", "mailfrom", result.Domain);
        return Add("spf", ReceivedSpfHeader.VerdictName(result.Verdict), reason, property);
    }

    /// <summary>
    /// RFC 8601 2.7.1: "dkim" with every verdict (pass, fail, neutral, temperror, permerror), the
    /// reason when it did not pass, header.d (the signing domain) and header.s (the selector) when known.
    /// </summary>
    public AuthenticationResultsBuilder AddDkim(DkimResult signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        string verdict = signature.Verdict switch
        {
            DkimVerdict.Pass => "pass",
            DkimVerdict.Fail => "fail",
            DkimVerdict.Neutral => "neutral",
            DkimVerdict.TempError => "temperror",
            _ => "permerror",
        };
        var properties = new List<AuthenticationResultProperty>();
        if (!string.IsNullOrEmpty(signature.Domain))
        {
            properties.Add(new("header", "d", signature.Domain));
        }
        if (!string.IsNullOrEmpty(signature.Selector))
        {
            properties.Add(new("header", "s", signature.Selector));
        }
        return Add("dkim", verdict, signature.Verdict == DkimVerdict.Pass ? null : signature.Reason, [.. properties]);
    }

    /// <summary>RFC 7489 11.2: "dmarc" with header.from (the author domain) when it was determined.</summary>
    public AuthenticationResultsBuilder AddDmarc(DmarcResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        string verdict = result.Verdict switch
        {
            DmarcVerdict.Pass => "pass",
            DmarcVerdict.Fail => "fail",
            DmarcVerdict.TempError => "temperror",
            DmarcVerdict.PermError => "permerror",
            _ => "none",
        };
        string? reason = result.Verdict is DmarcVerdict.TempError or DmarcVerdict.PermError ? result.Reason : null;
        return result.FromDomain is null
            ? Add("dmarc", verdict, reason)
            : Add("dmarc", verdict, reason, new AuthenticationResultProperty("header", "from", result.FromDomain));
    }

    /// <summary>
    /// The whole field without the final CRLF: "Authentication-Results: id;" and each result on its own
    /// folded line (CRLF TAB), or "id; none" when nothing was added (RFC 8601 2.2 no-result).
    /// </summary>
    public string Build()
    {
        var sb = new StringBuilder("Authentication-Results: ").Append(HeaderSyntax.TokenOrQuoted(authservId));
        if (entries.Count == 0)
        {
            return sb.Append("; none").ToString();
        }
        foreach (string entry in entries)
        {
            sb.Append(";\r\n\t").Append(entry);
        }
        return sb.ToString();
    }

    public override string ToString() => Build();

    // RFC 8601 2.2 uses RFC 5321 4.1.2's Keyword = Ldh-str: letters, digits and inner hyphens.
    private static void RequireKeyword(string value, string name)
    {
        ArgumentNullException.ThrowIfNull(value, name);
        if (value.Length == 0 || !char.IsAsciiLetterOrDigit(value[0]) || !char.IsAsciiLetterOrDigit(value[^1])
            || !value.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException($"'{value}' is not an RFC 8601 keyword.", name);
        }
    }

    // RFC 8601 2.2: pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
    private static string PropertyValue(string value)
    {
        if (HeaderSyntax.IsToken(value))
        {
            return value;
        }
        int at = value.LastIndexOf('@');
        if (at >= 0)
        {
            string local = value[..at];
            string domain = value[(at + 1)..];
            if ((local.Length == 0 || HeaderSyntax.IsDotAtom(local)) && IsDomainName(domain))
            {
                return value;
            }
        }
        return HeaderSyntax.Quote(value);
    }

    private static bool IsDomainName(string domain) =>
        domain.Length > 0 && domain.Split('.').All(l => l.Length > 0 && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
}

/// <summary>One property of a result (RFC 8601 2.2 propspec): ptype "." property "=" value, e.g. smtp.mailfrom=example.net.</summary>
public sealed record AuthenticationResultProperty(string Type, string Property, string Value);
