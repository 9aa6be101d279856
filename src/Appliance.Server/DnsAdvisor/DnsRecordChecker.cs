// Live checks of a domain's records through our own resolver. Each kind is compared by meaning,
// not by text: SPF by evaluating check_host for the server's addresses (RFC 7208 4), DKIM by the
// key's p= tag (RFC 6376 3.6.1), DMARC by parsing the record (RFC 7489 6.3), MX, SRV and CNAME by
// their targets, PTR by its name.
using System.Net;
using Appliance.Dns;
using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Spf;

namespace Appliance.Server.DnsAdvisor;

/// <summary>Checks planned records against what DNS answers now.</summary>
public sealed class DnsRecordChecker(IDnsResolver resolver)
{
    public async Task<IReadOnlyList<DnsCheckResult>> CheckAsync(IReadOnlyList<ExpectedDnsRecord> records, IReadOnlyList<IPAddress> publicAddresses, CancellationToken ct = default)
    {
        // One question per record, all at once: a page of checks takes one round trip, not twenty.
        return await Task.WhenAll(records.Select(record => CheckOneAsync(record, publicAddresses, ct)));
    }

    private async Task<DnsCheckResult> CheckOneAsync(ExpectedDnsRecord expected, IReadOnlyList<IPAddress> addresses, CancellationToken ct)
    {
        // CNAME-shaped expectations are checked by where the name leads (A), since resolvers follow CNAMEs.
        var type = expected.Type == DnsRecordType.CNAME ? DnsRecordType.A : expected.Type;
        var response = await resolver.QueryAsync(expected.Name, type, ct);
        if (response.Status is not (DnsResponseStatus.Success or DnsResponseStatus.NoData or DnsResponseStatus.NxDomain))
            return new(expected, DnsCheckStatus.LookupFailed, [], $"The lookup failed: {response.Status}.");
        var found = response.Answers.Select(Describe).ToList();
        if (expected.Type == DnsRecordType.CNAME && response.CanonicalName != DnsName.Normalize(expected.Name))
            found.Insert(0, "CNAME " + response.CanonicalName);
        if (response.Answers.Count == 0)
            return new(expected, DnsCheckStatus.Missing, found);
        return expected.Purpose switch
        {
            DnsRecordPurpose.Mx => Judge(expected, found, response.Records<MxRecord>().Any(mx => mx.Exchange == Target(expected.Value)),
                $"No MX record points to {Target(expected.Value)}."),
            DnsRecordPurpose.HostAddress or DnsRecordPurpose.ReverseDns => Judge(expected, found,
                found.Any(f => string.Equals(f, expected.Value, StringComparison.OrdinalIgnoreCase)), null),
            DnsRecordPurpose.Spf or DnsRecordPurpose.HeloSpf => await CheckSpfAsync(expected, response, found, addresses, ct),
            DnsRecordPurpose.Dkim => CheckDkim(expected, response, found),
            DnsRecordPurpose.Dmarc => CheckDmarc(expected, response, found),
            DnsRecordPurpose.TlsReporting => Judge(expected, found,
                response.Records<TxtRecord>().Count(t => t.Text.StartsWith("v=TLSRPTv1", StringComparison.Ordinal)) == 1, "There must be exactly one v=TLSRPTv1 record."),
            DnsRecordPurpose.MtaSts => Judge(expected, found,
                response.Records<TxtRecord>().Count(t => t.Text.StartsWith("v=STSv1", StringComparison.Ordinal)) == 1, "There must be exactly one v=STSv1 record (RFC 8461 3.1)."),
            DnsRecordPurpose.Autoconfig or DnsRecordPurpose.Autodiscover or DnsRecordPurpose.MtaStsHost => Judge(expected, found,
                response.CanonicalName == DnsName.Normalize(expected.Value)
                    || response.Records<ARecord>().Any(a => addresses.Contains(a.Address)),
                $"It should be a CNAME to {expected.Value}."),
            DnsRecordPurpose.Service => Judge(expected, found, response.Records<SrvRecord>().Any(srv =>
                $"{srv.Port} {srv.Target}" == string.Join(' ', expected.Value.Split(' ')[2..])), null),
            _ => Judge(expected, found, false, "Unknown record kind."),
        };
    }

    private static DnsCheckResult Judge(ExpectedDnsRecord expected, IReadOnlyList<string> found, bool ok, string? whyWrong) =>
        new(expected, ok ? DnsCheckStatus.Ok : DnsCheckStatus.Wrong, found, ok ? null : whyWrong);

    private async Task<DnsCheckResult> CheckSpfAsync(ExpectedDnsRecord expected, DnsResponse response, List<string> found, IReadOnlyList<IPAddress> addresses, CancellationToken ct)
    {
        var spf = response.Records<TxtRecord>().Where(t => SpfEvaluator.IsSpfRecord(t.Text)).ToList();
        if (spf.Count == 0)
            return new(expected, DnsCheckStatus.Missing, found);
        if (spf.Count > 1)
            return new(expected, DnsCheckStatus.Wrong, found, "There are several SPF records; RFC 7208 4.5 makes that a permanent error.");
        if (addresses.Count == 0)
            return new(expected, DnsCheckStatus.Ok, found, "Published; the server's public address is not configured, so it was not evaluated.");
        var evaluator = new SpfEvaluator(resolver);
        foreach (var address in addresses)
        {
            var result = await evaluator.CheckHostAsync(address, expected.Name, "postmaster@" + expected.Name, expected.Name, ct);
            if (result.Verdict != SpfVerdict.Pass)
                return new(expected, DnsCheckStatus.Wrong, found, $"It does not allow {address} to send: the result is {ReceivedSpfHeader.VerdictName(result.Verdict)}.");
        }
        return new(expected, DnsCheckStatus.Ok, found);
    }

    private static DnsCheckResult CheckDkim(ExpectedDnsRecord expected, DnsResponse response, List<string> found)
    {
        string? want = PublicKey(expected.Value);
        bool ok = response.Records<TxtRecord>().Any(t => PublicKey(t.Text) is { } key && key == want);
        return Judge(expected, found, ok, "The published key is not this server's key for this selector.");
    }

    /// <summary>The p= tag of a key record with whitespace removed (RFC 6376 3.6.1: base64 may be folded).</summary>
    private static string? PublicKey(string record) => DkimKeyRecord.TryGetPublicKey(record, out string key) ? key : null;

    private static DnsCheckResult CheckDmarc(ExpectedDnsRecord expected, DnsResponse response, List<string> found)
    {
        var dmarc = response.Records<TxtRecord>().Where(t => t.Text.StartsWith("v=DMARC1", StringComparison.Ordinal)).ToList();
        if (dmarc.Count == 0)
            return new(expected, DnsCheckStatus.Missing, found);
        if (dmarc.Count > 1)
            return new(expected, DnsCheckStatus.Wrong, found, "There are several DMARC records; receivers then ignore them all (RFC 7489 6.6.3).");
        if (!DmarcRecord.TryParse(dmarc[0].Text, out var record, out string error))
            return new(expected, DnsCheckStatus.Wrong, found, "The DMARC record is invalid: " + error);
        return new(expected, DnsCheckStatus.Ok, found, $"Policy {record.Policy.ToString().ToLowerInvariant()}.");
    }

    private static string Target(string value) => DnsName.Normalize(value[(value.LastIndexOf(' ') + 1)..]);

    private static string Describe(DnsRecord record) => record switch
    {
        ARecord a => a.Address.ToString(),
        AaaaRecord a => a.Address.ToString(),
        MxRecord mx => $"{mx.Preference} {mx.Exchange}",
        TxtRecord txt => txt.Text,
        CnameRecord c => "CNAME " + c.Target,
        PtrRecord p => p.Target,
        SrvRecord s => $"{s.Priority} {s.Weight} {s.Port} {s.Target}",
        _ => record.Type.ToString(),
    };
}
