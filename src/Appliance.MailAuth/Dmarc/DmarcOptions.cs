// RFC 7489 (DMARC) section 3.2 (public suffix list), 6.6.1 (author domain), 6.6.4 (pct sampling).
namespace Appliance.MailAuth.Dmarc;

public sealed class DmarcOptions
{
    public static DmarcOptions Default { get; } = new();

    /// <summary>
    /// The Public Suffix List used for organizational domains (RFC 7489 3.2) when no list is given to
    /// the evaluator. The default is where Debian's "publicsuffix" package puts it.
    /// </summary>
    public string PublicSuffixListPath { get; init; } = PublicSuffixList.DefaultPath;

    /// <summary>
    /// The policy applied when the author domain cannot be determined: no From field, several From
    /// fields, or a From without a mailbox with a domain. Those messages get
    /// <see cref="DmarcVerdict.PermError"/> with this policy. RFC 7489 6.6.1 says such messages "are
    /// typically rejected" since RFC 5322 3.6 forbids them, so the fail-safe default is reject: a
    /// message must not escape a sender's p=reject by omitting or duplicating From.
    /// </summary>
    public DmarcPolicy MalformedFromPolicy { get; init; } = DmarcPolicy.Reject;

    /// <summary>
    /// The random source of pct sampling (RFC 7489 6.6.4); tests inject a deterministic one. Must be
    /// thread-safe when the evaluator is shared (Random.Shared is; a plain new Random() is not).
    /// </summary>
    public Random Random { get; init; } = Random.Shared;
}
