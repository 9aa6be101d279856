// RFC 7489 (DMARC): section 3.1 (identifier alignment), 3.2 (organizational domain), 6.6.1 (author
// domain), 6.6.2 (authentication results), 6.6.3 (policy discovery), 6.6.4 (policy and pct).
using System.Collections.Concurrent;
using Appliance.Dns;
using Appliance.MailAuth.Spf;
using Appliance.Mime;

namespace Appliance.MailAuth.Dmarc;

/// <summary>
/// Evaluates DMARC for a message given its header and the SPF and DKIM outcomes. All DNS through
/// <see cref="IDnsResolver"/>. Stateless between calls; safe to share.
/// </summary>
public sealed class DmarcEvaluator
{
    private static readonly ConcurrentDictionary<string, Lazy<PublicSuffixList>> LoadedLists = new(StringComparer.Ordinal);

    private readonly IDnsResolver resolver;
    private readonly DmarcOptions options;
    private readonly PublicSuffixList suffixes;

    /// <param name="suffixes">The Public Suffix List; null loads <see cref="DmarcOptions.PublicSuffixListPath"/> once per process.</param>
    public DmarcEvaluator(IDnsResolver resolver, DmarcOptions? options = null, PublicSuffixList? suffixes = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        this.resolver = resolver;
        this.options = options ?? DmarcOptions.Default;
        this.suffixes = suffixes ?? LoadedLists.GetOrAdd(
            this.options.PublicSuffixListPath,
            path => new Lazy<PublicSuffixList>(() => PublicSuffixList.Load(path))).Value;
    }

    /// <summary>
    /// RFC 7489 6.6.1: the author domain comes from the message's From field. Several mailboxes in one
    /// From field are each checked and the strictest failing policy applies (6.6.1's rule for a
    /// multi-valued From). No From field, several From fields, or a mailbox without a domain cannot be
    /// evaluated: <see cref="DmarcVerdict.PermError"/> with <see cref="DmarcOptions.MalformedFromPolicy"/>.
    /// </summary>
    public async Task<DmarcResult> EvaluateAsync(HeaderBlock header, DmarcInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(input);
        var fromFields = header.GetAll("From").ToList();
        if (fromFields.Count != 1)
        {
            // RFC 5322 3.6 requires exactly one From field; RFC 7489 6.6.1: such messages are typically rejected.
            return Malformed(fromFields.Count == 0 ? "no From field" : $"{fromFields.Count} From fields");
        }
        var mailboxes = MailboxAddress.ParseList(fromFields[0].Value);
        if (mailboxes.Count == 0)
        {
            return Malformed("From field without a mailbox");
        }
        var domains = new List<string>();
        foreach (MailboxAddress mailbox in mailboxes)
        {
            string domain = mailbox.Domain.Trim().TrimEnd('.');
            if (!IsDomainName(domain))
            {
                return Malformed($"From mailbox '{mailbox.Address}' has no usable domain");
            }
            domains.Add(DnsName.Normalize(domain));
        }

        var results = new List<DmarcResult>();
        foreach (string domain in domains.Distinct(StringComparer.Ordinal))
        {
            results.Add(await EvaluateAsync(domain, input, cancellationToken).ConfigureAwait(false));
        }
        if (results.Count == 1)
        {
            return results[0];
        }
        // RFC 7489 6.6.1: with several author domains, "apply the most strict policy selected among the
        // checks that fail". A temporary error anywhere means we cannot know yet.
        DmarcResult? temp = results.FirstOrDefault(r => r.Verdict == DmarcVerdict.TempError);
        if (temp is not null)
        {
            return temp;
        }
        DmarcResult? strictest = results.Where(r => r.Verdict == DmarcVerdict.Fail).OrderByDescending(r => r.AppliedPolicy).FirstOrDefault();
        if (strictest is not null)
        {
            return strictest;
        }
        return results.FirstOrDefault(r => r.Verdict == DmarcVerdict.Pass) ?? results[0];
    }

    /// <summary>Evaluates DMARC for a known author domain (the From domain).</summary>
    public async Task<DmarcResult> EvaluateAsync(string fromDomain, DmarcInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fromDomain);
        ArgumentNullException.ThrowIfNull(input);
        fromDomain = fromDomain.Trim().TrimEnd('.').ToLowerInvariant();
        if (!IsDomainName(fromDomain))
        {
            return Malformed($"'{fromDomain}' is not a domain name");
        }
        fromDomain = DnsName.Normalize(fromDomain);
        string organizational = suffixes.GetOrganizationalDomain(fromDomain);

        // RFC 7489 6.6.3 step 1: the record at _dmarc.<author domain>.
        Discovery found = await DiscoverAsync(fromDomain, cancellationToken).ConfigureAwait(false);
        string? policyDomain = fromDomain;
        bool atOrganizational = false;
        if (found.Kind == DiscoveryKind.NotFound && organizational != fromDomain)
        {
            // RFC 7489 6.6.3 step 2: none there, so the organizational domain's record (whose sp applies).
            found = await DiscoverAsync(organizational, cancellationToken).ConfigureAwait(false);
            policyDomain = organizational;
            atOrganizational = true;
        }

        switch (found.Kind)
        {
            case DiscoveryKind.TempError:
                return new DmarcResult(DmarcVerdict.TempError, DmarcPolicy.None, fromDomain, organizational, policyDomain, null, false, false, false, found.Reason);
            case DiscoveryKind.NotFound:
                return new DmarcResult(DmarcVerdict.None, DmarcPolicy.None, fromDomain, organizational, null, null, false, false, false, found.Reason);
            case DiscoveryKind.Unusable:
                // RFC 7489 6.6.3: discovery stops and no policy is applied; 11.2 names the result of "a
                // syntactically incorrect DMARC record" permerror, which tells the reader why nothing applied.
                return new DmarcResult(DmarcVerdict.PermError, DmarcPolicy.None, fromDomain, organizational, policyDomain, null, false, false, false, found.Reason);
        }

        DmarcRecord record = found.Record!;
        // RFC 7489 3.1.1 / 3.1.2: alignment of the DKIM d= domains and of the SPF-authenticated domain.
        bool dkimAligned = input.Dkim.Any(s => s.Passed && Aligned(s.Domain, fromDomain, organizational, record.DkimAlignment));
        string? spfDomain = input.SpfDomain;
        bool spfAligned = input.Spf == SpfVerdict.Pass && spfDomain is not null
            && Aligned(spfDomain, fromDomain, organizational, record.SpfAlignment);

        // RFC 7489 4.2: DMARC passes when either mechanism passes with an aligned identifier.
        if (dkimAligned || spfAligned)
        {
            return new DmarcResult(DmarcVerdict.Pass, DmarcPolicy.None, fromDomain, organizational, policyDomain, record, spfAligned, dkimAligned, false,
                dkimAligned ? "aligned DKIM signature passed" : "aligned SPF passed");
        }

        // RFC 7489 6.3 sp: applies to subdomains when the record came from the organizational domain.
        DmarcPolicy policy = atOrganizational ? record.SubdomainPolicy ?? record.Policy : record.Policy;
        bool sampledOut = false;
        // RFC 7489 6.6.4: with pct below 100 only that share of failing mail gets the policy; the rest gets
        // the next weaker one (reject -> quarantine, quarantine -> none).
        if (record.Percent < 100 && policy != DmarcPolicy.None && options.Random.Next(100) >= record.Percent)
        {
            sampledOut = true;
            policy = policy == DmarcPolicy.Reject ? DmarcPolicy.Quarantine : DmarcPolicy.None;
        }
        return new DmarcResult(DmarcVerdict.Fail, policy, fromDomain, organizational, policyDomain, record, false, false, sampledOut,
            "no aligned SPF or DKIM pass");
    }

    /// <summary>
    /// RFC 7489 3.1: strict alignment needs the same name; relaxed needs the same organizational domain.
    /// </summary>
    internal bool Aligned(string authenticated, string fromDomain, string fromOrganizational, DmarcAlignment mode)
    {
        string domain = authenticated.Trim().TrimEnd('.').ToLowerInvariant();
        if (!IsDomainName(domain))
        {
            return false;
        }
        domain = DnsName.Normalize(domain);
        return mode == DmarcAlignment.Strict
            ? domain == fromDomain
            : suffixes.GetOrganizationalDomain(domain) == fromOrganizational;
    }

    private enum DiscoveryKind { Found, NotFound, Unusable, TempError }

    private sealed record Discovery(DiscoveryKind Kind, DmarcRecord? Record, string Reason);

    private async Task<Discovery> DiscoverAsync(string domain, CancellationToken cancellationToken)
    {
        string name = "_dmarc." + domain;
        DnsResponse response = await resolver.QueryAsync(name, DnsRecordType.TXT, cancellationToken).ConfigureAwait(false);
        if (response.Status.IsTemporaryFailure())
        {
            return new Discovery(DiscoveryKind.TempError, null, $"DNS {response.Status} looking up TXT of {name}");
        }
        // RFC 7489 6.6.3 step 3: discard records that do not start with "v=DMARC1".
        var records = response.Records<TxtRecord>().Select(r => r.Text).Where(DmarcRecord.IsDmarcRecord).ToList();
        if (records.Count == 0)
        {
            return new Discovery(DiscoveryKind.NotFound, null, $"no DMARC record at {name}");
        }
        // RFC 7489 6.6.3 step 4: "If the remaining set contains multiple records ... DMARC processing is not applied".
        if (records.Count > 1)
        {
            return new Discovery(DiscoveryKind.Unusable, null, $"{records.Count} DMARC records at {name}");
        }
        // RFC 7489 6.6.3: an invalid p without a usable rua also means no DMARC processing.
        if (!DmarcRecord.TryParse(records[0], out DmarcRecord? record, out string error))
        {
            return new Discovery(DiscoveryKind.Unusable, null, $"DMARC record at {name} unusable: {error}");
        }
        return new Discovery(DiscoveryKind.Found, record, $"record at {name}");
    }

    private DmarcResult Malformed(string reason) =>
        new(DmarcVerdict.PermError, options.MalformedFromPolicy, null, null, null, null, false, false, false, reason);

    private static bool IsDomainName(string domain)
    {
        // A domain literal ("[192.0.2.1]") or a bare label has no DMARC policy to find.
        if (domain.Length == 0 || domain.StartsWith('[') || !domain.Contains('.'))
        {
            return false;
        }
        try
        {
            DnsName.Normalize(domain);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
