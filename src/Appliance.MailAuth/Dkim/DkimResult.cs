// RFC 6376 6.1 (verifier results: SUCCESS, PERMFAIL, TEMPFAIL), RFC 8601 2.7.1 (the dkim result names).
using Appliance.MailAuth.Dmarc;

namespace Appliance.MailAuth.Dkim;

/// <summary>The dkim results of RFC 8601 2.7.1 that a verifier produces.</summary>
public enum DkimVerdict
{
    /// <summary>The signature verified.</summary>
    Pass,
    /// <summary>The signature was checked and did not verify (bad hash, bad signature, expired, revoked key, rsa-sha1, small key).</summary>
    Fail,
    /// <summary>The signature was not evaluated (over <see cref="DkimVerifierOptions.MaxSignatures"/>).</summary>
    Neutral,
    /// <summary>A temporary failure, typically DNS: try again later (RFC 6376 6.1.2 TEMPFAIL).</summary>
    TempError,
    /// <summary>The signature or key record is unusable: syntax, missing tags, no key (RFC 6376 6.1.1, 6.1.2).</summary>
    PermError,
}

/// <summary>The outcome for one DKIM-Signature field.</summary>
public sealed record DkimResult(DkimVerdict Verdict, string? Domain, string? Selector, string? Algorithm, string Reason)
{
    /// <summary>i= as written, or null.</summary>
    public string? Identity { get; init; }

    /// <summary>The key record has t=y: the domain is testing DKIM (RFC 6376 3.6.1).</summary>
    public bool Testing { get; init; }

    /// <summary>The form DMARC takes (RFC 7489 4.2: a passing signature's d= is the authenticated identifier).</summary>
    public DkimDomainResult ToDomainResult() => new(Domain ?? "", Verdict == DkimVerdict.Pass);
}
