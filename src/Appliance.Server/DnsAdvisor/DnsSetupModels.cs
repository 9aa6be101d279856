// The records an admin publishes for a domain and what the live check found for each (issue 7:
// "returned as typed results, never strings").
using Appliance.Dns;

namespace Appliance.Server.DnsAdvisor;

/// <summary>How much a record matters for mail to work.</summary>
public enum RecordRequirement
{
    /// <summary>Mail does not arrive, or is rejected or marked as spam, without it.</summary>
    Required,
    /// <summary>Mail works without it, but big providers trust it less or clients find less.</summary>
    Recommended,
    /// <summary>A convenience or a stricter policy.</summary>
    Optional,
}

/// <summary>What a record is for; the checker compares each kind by its own rules.</summary>
public enum DnsRecordPurpose
{
    Mx,
    HostAddress,
    Spf,
    HeloSpf,
    Dkim,
    Dmarc,
    Autoconfig,
    Autodiscover,
    Service,
    TlsReporting,
    MtaSts,
    MtaStsHost,
    ReverseDns,
}

/// <summary>One record to publish.</summary>
/// <param name="Name">Owner name, an A-label without the trailing dot.</param>
/// <param name="Value">The record's data as a zone file shows it (TXT: the whole text, unquoted; SRV: "priority weight port target").</param>
/// <param name="Why">One sentence for the admin.</param>
/// <param name="SetByProvider">PTR records live in the provider's reverse zone: the admin asks the hosting provider.</param>
public sealed record ExpectedDnsRecord(
    string Name,
    DnsRecordType Type,
    string Value,
    RecordRequirement Requirement,
    DnsRecordPurpose Purpose,
    string Why,
    bool SetByProvider = false)
{
    /// <summary>A TXT value cut into strings of at most 255 octets (RFC 1035 3.3.14), as DNS panels want them.</summary>
    public IReadOnlyList<string> TxtStrings => Type == DnsRecordType.TXT ? SplitTxt(Value) : [];

    internal static IReadOnlyList<string> SplitTxt(string value)
    {
        var parts = new List<string>();
        for (int i = 0; i < value.Length; i += 255)
            parts.Add(value.Substring(i, Math.Min(255, value.Length - i)));
        return parts.Count == 0 ? [""] : parts;
    }
}

public enum DnsCheckStatus
{
    /// <summary>Published and right.</summary>
    Ok,
    /// <summary>Something is published at the name, but not what is expected (see Found).</summary>
    Wrong,
    /// <summary>Nothing is published at the name.</summary>
    Missing,
    /// <summary>The lookup failed (timeout, SERVFAIL): the check says nothing either way.</summary>
    LookupFailed,
}

/// <summary>The live check of one expected record.</summary>
/// <param name="Found">What DNS returned at the name for the type, as zone-file data.</param>
/// <param name="Detail">Why it is wrong, or what makes it right, when that is not obvious.</param>
public sealed record DnsCheckResult(ExpectedDnsRecord Expected, DnsCheckStatus Status, IReadOnlyList<string> Found, string? Detail = null);
