// RFC 7489 (DMARC) section 4.2 (result of the check), 6.6.4 (policy and pct), 11.2 (result names).
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Dmarc;

/// <summary>
/// The DMARC result (RFC 7489 11.2). None: no record. TempError: a DNS failure during discovery.
/// PermError: a record that cannot be used (several records, or an invalid p without rua; no policy
/// applies, 6.6.3), or an author domain that cannot be determined (see <see cref="DmarcOptions.MalformedFromPolicy"/>).
/// </summary>
public enum DmarcVerdict
{
    None,
    Pass,
    Fail,
    TempError,
    PermError,
}

/// <summary>One DKIM signature's outcome as DMARC needs it: the signing domain (d=) and whether it verified.</summary>
public sealed record DkimDomainResult(string Domain, bool Passed);

/// <summary>
/// What the other mechanisms established about a message. The SPF result is for the MAIL FROM
/// identity when <paramref name="MailFromDomain"/> is given, else for the HELO identity (RFC 7489 3.1.2:
/// with a null reverse-path the HELO identity is used).
/// </summary>
/// <param name="MailFromDomain">The RFC5321.MailFrom domain, or null/empty for a null reverse-path.</param>
/// <param name="HeloDomain">The HELO/EHLO name.</param>
/// <param name="Spf">The SPF verdict for that identity.</param>
/// <param name="Dkim">Every DKIM signature evaluated, passed or not.</param>
public sealed record DmarcInput(string? MailFromDomain, string? HeloDomain, SpfVerdict Spf, IReadOnlyList<DkimDomainResult> Dkim)
{
    /// <summary>The domain SPF authenticated (MAIL FROM's, or HELO's for a null reverse-path).</summary>
    public string? SpfDomain => string.IsNullOrEmpty(MailFromDomain) ? HeloDomain : MailFromDomain;
}

/// <summary>The outcome of a DMARC evaluation.</summary>
/// <param name="Verdict">The DMARC result.</param>
/// <param name="AppliedPolicy">What to do with the message: the record's p or sp for a failure, after pct
/// sampling; <see cref="DmarcPolicy.None"/> for pass and none; for the fail-safe From cases see
/// <see cref="DmarcOptions.MalformedFromPolicy"/>.</param>
/// <param name="FromDomain">The RFC5322.From (author) domain, or null when none could be read.</param>
/// <param name="OrganizationalDomain">The author domain's organizational domain (RFC 7489 3.2).</param>
/// <param name="PolicyDomain">The domain whose _dmarc record was used.</param>
/// <param name="Record">The record used, or null.</param>
/// <param name="SpfAligned">SPF passed for an identifier aligned with the author domain.</param>
/// <param name="DkimAligned">A passing DKIM signature's d= aligned with the author domain.</param>
/// <param name="SampledOut">pct sampling excluded the message: the next weaker policy applies (RFC 7489 6.6.4).</param>
/// <param name="Reason">A short human-readable reason.</param>
public sealed record DmarcResult(
    DmarcVerdict Verdict,
    DmarcPolicy AppliedPolicy,
    string? FromDomain,
    string? OrganizationalDomain,
    string? PolicyDomain,
    DmarcRecord? Record,
    bool SpfAligned,
    bool DkimAligned,
    bool SampledOut,
    string Reason);
