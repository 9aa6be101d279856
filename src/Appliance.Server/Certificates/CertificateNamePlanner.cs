using System.Net;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;

namespace Appliance.Server.Certificates;

/// <summary>A name that is not ordered, and why, in words for the admin dashboard.</summary>
public sealed record LeftOutName(string Name, string Reason);

/// <summary>The names to order (the first is the mail host name, the certificate's subject) and those left out.</summary>
internal sealed record CertificateNamePlan(IReadOnlyList<string> Names, IReadOnlyList<LeftOutName> LeftOut)
{
    /// <summary>True when <paramref name="names"/> is the same set as <see cref="Names"/> (order and case aside).</summary>
    public bool SameNamesAs(IEnumerable<string> names) =>
        new HashSet<string>(Names, StringComparer.OrdinalIgnoreCase).SetEquals(names);
}

/// <summary>
/// Decides which names the certificate is ordered for: the mail host name always, plus
/// autoconfig.&lt;domain&gt; (Thunderbird's autoconfiguration), autodiscover.&lt;domain&gt; (Outlook's)
/// and mta-sts.&lt;domain&gt; (RFC 8461 3.3: the policy host must present a valid certificate) for
/// every enabled hosted domain, but only where their A or AAAA records point at one of
/// Appliance:PublicAddresses. The CA validates over HTTP at each name (RFC 8555 8.3), so a name
/// that points elsewhere would fail the whole order.
/// </summary>
internal sealed class CertificateNamePlanner(AccountService accounts, IDnsResolver dns, ApplianceOptions options)
{
    /// <summary>The per-domain service names, in the order they are added to the certificate.</summary>
    public static readonly IReadOnlyList<string> ServiceLabels = ["autoconfig", "autodiscover", "mta-sts"];

    /// <summary>Plans for the enabled hosted domains.</summary>
    /// <param name="covered">The names of the certificate served now: a name whose lookup failed temporarily is kept when it is one of them.</param>
    public async Task<CertificateNamePlan> PlanAsync(IReadOnlyCollection<string> covered, CancellationToken cancellationToken = default)
    {
        var domains = (await accounts.ListDomainsAsync(cancellationToken).ConfigureAwait(false))
            .Where(domain => domain.Enabled)
            .Select(domain => domain.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        return await PlanAsync(domains, covered, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Plans for <paramref name="domains"/> (A-labels).</summary>
    public async Task<CertificateNamePlan> PlanAsync(IEnumerable<string> domains, IReadOnlyCollection<string> covered, CancellationToken cancellationToken = default)
    {
        var ours = options.ParsePublicAddresses().Select(Canonical).ToHashSet();
        string hostname = CertificateNames.Normalize(options.Hostname);
        var names = new List<string> { hostname };
        var seen = new HashSet<string>(StringComparer.Ordinal) { hostname };
        var leftOut = new List<LeftOutName>();
        int limit = options.Acme.MaxNamesPerCertificate;

        foreach (string domain in domains)
        {
            foreach (string label in ServiceLabels)
            {
                string name = label + "." + CertificateNames.Normalize(domain);
                if (!seen.Add(name))
                    continue;
                string? reason = ours.Count == 0
                    ? "Appliance:PublicAddresses is empty, so whether it points at this server cannot be checked"
                    : await WhyNotOursAsync(name, ours, covered, cancellationToken).ConfigureAwait(false);
                if (reason is null && names.Count >= limit)
                    reason = $"the certificate already has {limit} names (Appliance:Acme:MaxNamesPerCertificate)";
                if (reason is null)
                    names.Add(name);
                else
                    leftOut.Add(new LeftOutName(name, reason));
            }
        }
        return new CertificateNamePlan(names, leftOut);
    }

    /// <summary>Null when <paramref name="name"/> points at this server; otherwise why it is left out.</summary>
    private async Task<string?> WhyNotOursAsync(string name, HashSet<IPAddress> ours, IReadOnlyCollection<string> covered, CancellationToken cancellationToken)
    {
        var v4 = dns.QueryAsync(name, DnsRecordType.A, cancellationToken);
        var v6 = dns.QueryAsync(name, DnsRecordType.AAAA, cancellationToken);
        var responses = await Task.WhenAll(v4, v6).ConfigureAwait(false);
        var addresses = responses
            .SelectMany(response => response.Records<ARecord>().Select(record => record.Address)
                .Concat(response.Records<AaaaRecord>().Select(record => record.Address)))
            .Select(Canonical)
            .ToList();
        if (addresses.Any(ours.Contains))
            return null;
        if (addresses.Count > 0)
            return $"it points at {string.Join(", ", addresses)}, not at this server ({string.Join(", ", ours)})";
        var failed = responses.FirstOrDefault(response => response.Status.IsTemporaryFailure());
        if (failed is not null)
        {
            // A passing DNS failure must not drop a name the served certificate has: that would
            // make a new order without it now and another with it at the next check.
            return covered.Contains(name, StringComparer.OrdinalIgnoreCase)
                ? null
                : $"its DNS lookup failed ({failed.Status}); it is checked again at the next name check";
        }
        return "it has no A or AAAA record";
    }

    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
