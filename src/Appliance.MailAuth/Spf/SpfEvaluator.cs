// RFC 7208 (SPF): section 4 (check_host()), 5 (mechanisms), 6 (modifiers), 4.6.4 (DNS limits).
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Appliance.Dns;

namespace Appliance.MailAuth.Spf;

/// <summary>
/// Evaluates SPF (RFC 7208) for a client address and a domain, with every DNS question going
/// through <see cref="IDnsResolver"/>. Stateless between calls; safe to share.
/// </summary>
public sealed class SpfEvaluator
{
    private readonly IDnsResolver resolver;
    private readonly SpfOptions options;

    public SpfEvaluator(IDnsResolver resolver, SpfOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resolver);
        this.resolver = resolver;
        this.options = options ?? SpfOptions.Default;
    }

    /// <summary>RFC 7208 4.5: whether a TXT record is an SPF record ("v=spf1" then a space or the end).</summary>
    public static bool IsSpfRecord(string text) => SpfRecord.IsSpfRecord(text);

    /// <summary>
    /// RFC 7208 4: check_host(ip, domain, sender). For the MAIL FROM identity pass the reverse-path's
    /// domain and the reverse-path; for the HELO identity (2.3, or a null reverse-path, 2.4) pass the
    /// HELO name as domain and "postmaster@" + HELO as sender.
    /// </summary>
    /// <param name="sender">The reverse-path; a missing or empty local part becomes "postmaster" (4.3).</param>
    /// <param name="heloDomain">The HELO/EHLO name, for the %{h} macro.</param>
    public async Task<SpfResult> CheckHostAsync(IPAddress ip, string domain, string sender, string? heloDomain, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ip);
        ArgumentNullException.ThrowIfNull(domain);
        // An IPv4-mapped IPv6 address (RFC 4291 2.5.5.2, ::ffff:192.0.2.1) is an IPv4 client seen through a
        // dual-stack socket. RFC 7208 5 picks A or AAAA records and 5.6 ip4 or ip6 by the client's family,
        // so it is evaluated as IPv4: it matches ip4 and "a" via A records, and %{i} / %{v} expand as IPv4.
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        domain = domain.Trim().TrimEnd('.');
        // RFC 7208 4.3: "If the <sender> has no local-part, substitute the string 'postmaster'".
        sender = string.IsNullOrEmpty(sender) ? "postmaster@" + domain : sender;
        int at = sender.LastIndexOf('@');
        string local = at < 0 ? "" : sender[..at];
        string senderDomain = at < 0 ? sender : sender[(at + 1)..];
        if (local.Length == 0)
        {
            local = "postmaster";
            sender = local + "@" + senderDomain;
        }
        var context = new SpfMacroContext(
            sender, local, senderDomain, domain, ip, heloDomain ?? "unknown",
            options.ReceivingDomain ?? "unknown", options.TimeProvider.GetUtcNow().ToUnixTimeSeconds());
        using var deadline = new CancellationTokenSource(options.MaxEvaluationTime, options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var check = new Check(this, context, linked.Token);
        Outcome outcome;
        try
        {
            outcome = await check.CheckHostAsync(domain, wantExplanation: true).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // RFC 7208 4.6.4: exceeding the elapsed-time limit "SHOULD be 'temperror'".
            outcome = new Outcome(SpfVerdict.TempError, null, null, string.Create(CultureInfo.InvariantCulture, $"evaluation took longer than {options.MaxEvaluationTime.TotalSeconds:0.###} s"));
        }
        return new SpfResult(outcome.Verdict, ip, domain, sender, heloDomain, outcome.Mechanism, outcome.Explanation, outcome.Reason);
    }

    private readonly record struct Outcome(SpfVerdict Verdict, string? Mechanism, string? Explanation, string Reason);

    /// <summary>Thrown inside one evaluation to end it at once (limits, DNS failures); never escapes.</summary>
    private sealed class AbortException(SpfVerdict verdict, string reason) : Exception(reason)
    {
        public SpfVerdict Verdict { get; } = verdict;
    }

    /// <summary>The state of one top-level check: the lookup counters span the whole include/redirect tree (4.6.4).</summary>
    private sealed class Check(SpfEvaluator owner, SpfMacroContext root, CancellationToken ct)
    {
        private int lookups;
        private int voids;
        private List<string>? validatedNames;

        private SpfOptions Options => owner.options;

        public async Task<Outcome> CheckHostAsync(string domain, bool wantExplanation)
        {
            try
            {
                return await EvaluateAsync(domain, wantExplanation).ConfigureAwait(false);
            }
            catch (AbortException e)
            {
                return new Outcome(e.Verdict, null, null, e.Message);
            }
        }

        private async Task<Outcome> EvaluateAsync(string domain, bool wantExplanation)
        {
            // RFC 7208 4.3: a malformed or single-label domain gives "none" without any query.
            if (!IsValidDomain(domain))
            {
                return new Outcome(SpfVerdict.None, null, null, $"'{domain}' is not a valid multi-label domain name");
            }
            // RFC 7208 4.4: the record is fetched with a TXT query (the SPF RR type is no longer used, 3.1).
            DnsResponse response = await owner.resolver.QueryAsync(domain, DnsRecordType.TXT, ct).ConfigureAwait(false);
            if (response.Status.IsTemporaryFailure())
            {
                return new Outcome(SpfVerdict.TempError, null, null, $"DNS {response.Status} looking up TXT of {domain}");
            }
            // RFC 7208 4.5: keep only records starting "v=spf1"; none is "none", more than one "permerror".
            var records = response.Records<TxtRecord>().Select(r => r.Text).Where(SpfRecord.IsSpfRecord).ToList();
            if (records.Count == 0)
            {
                return new Outcome(SpfVerdict.None, null, null, $"no SPF record at {domain}");
            }
            if (records.Count > 1)
            {
                return new Outcome(SpfVerdict.PermError, null, null, $"{records.Count} SPF records at {domain}");
            }
            if (!SpfRecord.TryParse(records[0], out SpfRecord? record, out string error))
            {
                return new Outcome(SpfVerdict.PermError, null, null, $"syntax error in the SPF record of {domain}: {error}");
            }
            SpfMacroContext context = root with { Domain = domain };

            // RFC 7208 4.6.2: mechanisms are evaluated left to right; the first match decides.
            foreach (SpfMechanism mechanism in record.Mechanisms)
            {
                ct.ThrowIfCancellationRequested();
                if (!await MatchesAsync(mechanism, context).ConfigureAwait(false))
                {
                    continue;
                }
                SpfVerdict verdict = mechanism.Qualifier switch
                {
                    SpfQualifier.Fail => SpfVerdict.Fail,
                    SpfQualifier.SoftFail => SpfVerdict.SoftFail,
                    SpfQualifier.Neutral => SpfVerdict.Neutral,
                    _ => SpfVerdict.Pass,
                };
                string? explanation = null;
                // RFC 7208 6.2: exp= is consulted only for a "fail"; from an included record it "MUST NOT be used" (5.2).
                if (verdict == SpfVerdict.Fail && wantExplanation && record.Explanation is not null)
                {
                    explanation = await ExplainAsync(record.Explanation, context).ConfigureAwait(false);
                }
                return new Outcome(verdict, mechanism.Text, explanation, $"{domain}: mechanism '{mechanism.Text}' matched");
            }

            // RFC 7208 6.1: redirect applies only when no mechanism matched.
            if (record.Redirect is not null)
            {
                CountLookup("redirect");
                string target = await ExpandDomainAsync(record.Redirect, context).ConfigureAwait(false);
                Outcome redirected = await EvaluateAsync(target, wantExplanation).ConfigureAwait(false);
                // RFC 7208 6.1: "if no SPF record is found, or if the <target-name> is malformed, the result is a 'permerror'".
                if (redirected.Verdict == SpfVerdict.None)
                {
                    return new Outcome(SpfVerdict.PermError, null, null, $"redirect target {target}: {redirected.Reason}");
                }
                return redirected;
            }
            // RFC 7208 4.7: "If none of the mechanisms match and there is no 'redirect' modifier, then the check_host() returns a result of 'neutral'".
            return new Outcome(SpfVerdict.Neutral, "default", null, $"{domain}: no mechanism matched");
        }

        private async Task<bool> MatchesAsync(SpfMechanism m, SpfMacroContext context)
        {
            IPAddress ip = context.Ip;
            bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
            switch (m.Kind)
            {
                case SpfMechanismKind.All:
                    return true;
                case SpfMechanismKind.Ip4:
                    // RFC 7208 5.6: ip4 never matches an IPv6 client (a mapped address was made IPv4 above).
                    return !v6 && InNetwork(ip, m.Network!, m.Prefix4);
                case SpfMechanismKind.Ip6:
                    return v6 && InNetwork(ip, m.Network!, m.Prefix6);
                case SpfMechanismKind.Include:
                {
                    CountLookup("include");
                    string target = await ExpandDomainAsync(m.DomainSpec!, context).ConfigureAwait(false);
                    Outcome inner = await EvaluateAsync(target, wantExplanation: false).ConfigureAwait(false);
                    // RFC 7208 5.2 table: pass matches; fail, softfail and neutral do not; temperror and
                    // permerror propagate; "none" becomes permerror.
                    return inner.Verdict switch
                    {
                        SpfVerdict.Pass => true,
                        SpfVerdict.Fail or SpfVerdict.SoftFail or SpfVerdict.Neutral => false,
                        SpfVerdict.TempError => throw new AbortException(SpfVerdict.TempError, $"include:{target}: {inner.Reason}"),
                        _ => throw new AbortException(SpfVerdict.PermError, $"include:{target}: {inner.Reason}"),
                    };
                }
                case SpfMechanismKind.A:
                {
                    CountLookup("a");
                    string target = m.DomainSpec is null ? context.Domain : await ExpandDomainAsync(m.DomainSpec, context).ConfigureAwait(false);
                    // RFC 7208 5.3: A records for an IPv4 client, AAAA for IPv6; the CIDR length of the family applies.
                    var addresses = await AddressesAsync(target, v6, countVoid: true, "a").ConfigureAwait(false);
                    return addresses.Any(a => InNetwork(ip, a, v6 ? m.Prefix6 : m.Prefix4));
                }
                case SpfMechanismKind.Mx:
                {
                    CountLookup("mx");
                    string target = m.DomainSpec is null ? context.Domain : await ExpandDomainAsync(m.DomainSpec, context).ConfigureAwait(false);
                    DnsResponse mx = await QueryAsync(target, DnsRecordType.MX, "mx", countVoid: true).ConfigureAwait(false);
                    var hosts = mx.Records<MxRecord>().ToList();
                    // RFC 7208 4.6.4: "If this limit is exceeded, the 'mx' mechanism MUST produce a 'permerror' result."
                    if (hosts.Count > Options.MaxMxNames)
                    {
                        throw new AbortException(SpfVerdict.PermError, $"mx:{target} has {hosts.Count} MX records, over the limit of {Options.MaxMxNames}");
                    }
                    foreach (MxRecord host in hosts.OrderBy(h => h.Preference))
                    {
                        // A null MX (RFC 7505) names no host.
                        if (host.Exchange.Length == 0)
                        {
                            continue;
                        }
                        // RFC 7208 5.4: each exchange is matched as "a" would be. These address queries are part
                        // of the one "mx" term for the 10-lookup limit (4.6.4) and are not counted as void.
                        var addresses = await AddressesAsync(host.Exchange, v6, countVoid: false, "mx").ConfigureAwait(false);
                        if (addresses.Any(a => InNetwork(ip, a, v6 ? m.Prefix6 : m.Prefix4)))
                        {
                            return true;
                        }
                    }
                    return false;
                }
                case SpfMechanismKind.Ptr:
                {
                    CountLookup("ptr");
                    string target = m.DomainSpec is null ? context.Domain : await ExpandDomainAsync(m.DomainSpec, context).ConfigureAwait(false);
                    var names = await ValidatedNamesAsync(countVoid: true).ConfigureAwait(false);
                    // RFC 7208 5.5: a validated name equal to the target or ending in "." + target matches.
                    return names.Any(n => n == target || n.EndsWith("." + target, StringComparison.Ordinal));
                }
                default:
                {
                    CountLookup("exists");
                    string target = await ExpandDomainAsync(m.DomainSpec!, context).ConfigureAwait(false);
                    // RFC 7208 5.7: always an A query, "even when the connection type is IP version 6".
                    var addresses = await AddressesAsync(target, v6: false, countVoid: true, "exists").ConfigureAwait(false);
                    return addresses.Count > 0;
                }
            }
        }

        /// <summary>RFC 7208 4.6.4: each term that queries DNS counts once, over the whole evaluation.</summary>
        private void CountLookup(string term)
        {
            if (++lookups > Options.MaxDnsLookups)
            {
                throw new AbortException(SpfVerdict.PermError, $"more than {Options.MaxDnsLookups} DNS-querying terms (at '{term}')");
            }
        }

        private async Task<DnsResponse> QueryAsync(string name, DnsRecordType type, string term, bool countVoid)
        {
            if (!IsValidDomain(name))
            {
                // A name the macros made malformed cannot be asked; it is treated as answering nothing.
                return CountVoid(DnsResponse.Failure(name, type, DnsResponseStatus.NxDomain), countVoid, term);
            }
            DnsResponse response = await owner.resolver.QueryAsync(name, type, ct).ConfigureAwait(false);
            // RFC 7208 5: a DNS error other than "no such name" while evaluating a mechanism ends the check with temperror.
            if (response.Status.IsTemporaryFailure())
            {
                throw new AbortException(SpfVerdict.TempError, $"DNS {response.Status} looking up {type} of {name} for '{term}'");
            }
            return CountVoid(response, countVoid, term);
        }

        // RFC 7208 4.6.4: a void lookup answers NXDOMAIN or NOERROR with no answers.
        private DnsResponse CountVoid(DnsResponse response, bool countVoid, string term)
        {
            if (countVoid && response.Status is DnsResponseStatus.NxDomain or DnsResponseStatus.NoData
                && ++voids > Options.MaxVoidLookups)
            {
                throw new AbortException(SpfVerdict.PermError, $"more than {Options.MaxVoidLookups} void DNS lookups (at '{term}' for {response.Name})");
            }
            return response;
        }

        private async Task<List<IPAddress>> AddressesAsync(string name, bool v6, bool countVoid, string term)
        {
            DnsResponse response = await QueryAsync(name, v6 ? DnsRecordType.AAAA : DnsRecordType.A, term, countVoid).ConfigureAwait(false);
            return v6
                ? response.Records<AaaaRecord>().Select(r => r.Address).ToList()
                : response.Records<ARecord>().Select(r => r.Address).ToList();
        }

        /// <summary>
        /// RFC 7208 5.5: the client's PTR names whose own A/AAAA records include the client. At most
        /// <see cref="SpfOptions.MaxPtrNames"/> names are tried (4.6.4); DNS errors skip a name rather
        /// than failing the check, since the RFC says such errors make the mechanism not match.
        /// </summary>
        private async Task<List<string>> ValidatedNamesAsync(bool countVoid)
        {
            IPAddress ip = root.Ip;
            bool v6 = ip.AddressFamily == AddressFamily.InterNetworkV6;
            string reverse = ReverseName(ip);
            DnsResponse ptr = await owner.resolver.QueryAsync(reverse, DnsRecordType.PTR, ct).ConfigureAwait(false);
            if (ptr.Status.IsTemporaryFailure())
            {
                return [];
            }
            CountVoid(ptr, countVoid, "ptr");
            var validated = new List<string>();
            foreach (PtrRecord record in ptr.Records<PtrRecord>().Take(Options.MaxPtrNames))
            {
                string name = record.Target.TrimEnd('.').ToLowerInvariant();
                if (!IsValidDomain(name))
                {
                    continue;
                }
                DnsResponse response = await owner.resolver.QueryAsync(name, v6 ? DnsRecordType.AAAA : DnsRecordType.A, ct).ConfigureAwait(false);
                var addresses = v6
                    ? response.Records<AaaaRecord>().Select(r => r.Address)
                    : response.Records<ARecord>().Select(r => r.Address);
                if (addresses.Any(a => a.Equals(ip)))
                {
                    validated.Add(name);
                }
            }
            return validated;
        }

        /// <summary>
        /// RFC 7208 7.3: %{p} is a validated name of the client, preferring the target domain itself,
        /// then one of its subdomains, then any; "unknown" when none validates.
        /// </summary>
        private async Task<string> ValidatedNameAsync(string domain)
        {
            // The names are fetched once per check; which one is chosen depends on the current domain,
            // which differs inside include and redirect. Not counted toward the limits: 4.6.4 counts
            // terms, and the RFC discourages %{p} rather than limiting it.
            var names = validatedNames ??= await ValidatedNamesAsync(countVoid: false).ConfigureAwait(false);
            return names.FirstOrDefault(n => n == domain)
                ?? names.FirstOrDefault(n => n.EndsWith("." + domain, StringComparison.Ordinal))
                ?? names.FirstOrDefault()
                ?? "unknown";
        }

        private async Task<string> ExpandDomainAsync(string spec, SpfMacroContext context)
        {
            if (SpfMacro.UsesPtr(spec))
            {
                context = context with { ValidatedName = await ValidatedNameAsync(context.Domain).ConfigureAwait(false) };
            }
            // The record was validated at parse time, so expansion cannot fail here.
            SpfMacro.TryExpand(spec, context, explanation: false, out string expanded);
            return SpfMacro.TruncateDomain(expanded).ToLowerInvariant();
        }

        /// <summary>
        /// RFC 7208 6.2: fetch the TXT record at the expanded exp= name and expand it as explain-string.
        /// Any problem (DNS error, no record or several, bad syntax) means no explanation, never an error.
        /// Not counted toward the lookup limits (4.6.4 lists exp among terms that do not count).
        /// </summary>
        private async Task<string?> ExplainAsync(string spec, SpfMacroContext context)
        {
            string target = await ExpandDomainAsync(spec, context).ConfigureAwait(false);
            if (!IsValidDomain(target))
            {
                return null;
            }
            DnsResponse response = await owner.resolver.QueryAsync(target, DnsRecordType.TXT, ct).ConfigureAwait(false);
            var texts = response.Records<TxtRecord>().ToList();
            if (response.Status != DnsResponseStatus.Success || texts.Count != 1)
            {
                return null;
            }
            string text = texts[0].Text;
            if (SpfMacro.UsesPtr(text))
            {
                context = context with { ValidatedName = await ValidatedNameAsync(context.Domain).ConfigureAwait(false) };
            }
            // RFC 7208 6.2: the explanation is ASCII; anything else is treated as a syntax error.
            return text.All(char.IsAscii) && SpfMacro.TryExpand(text, context, explanation: true, out string expanded) ? expanded : null;
        }
    }

    internal static bool IsValidDomain(string name)
    {
        if (name.Length == 0 || !name.Contains('.'))
        {
            return false;
        }
        try
        {
            DnsName.Normalize(name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal static bool InNetwork(IPAddress ip, IPAddress network, int prefix)
    {
        if (ip.AddressFamily != network.AddressFamily)
        {
            return false;
        }
        byte[] a = ip.GetAddressBytes();
        byte[] b = network.GetAddressBytes();
        int full = prefix / 8;
        for (int i = 0; i < full; i++)
        {
            if (a[i] != b[i])
            {
                return false;
            }
        }
        int rest = prefix % 8;
        if (rest == 0)
        {
            return true;
        }
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (a[full] & mask) == (b[full] & mask);
    }

    /// <summary>The in-addr.arpa / ip6.arpa name of an address (RFC 1035 3.5, RFC 3596 2.5).</summary>
    internal static string ReverseName(IPAddress ip)
    {
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return string.Join('.', SpfMacro.DottedAddress(ip).Split('.').Reverse()) + ".ip6.arpa";
        }
        return string.Join('.', ip.GetAddressBytes().Reverse()) + ".in-addr.arpa";
    }
}
