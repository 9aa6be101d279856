using Appliance.Server.Accounts;
using Appliance.Server.ClientSetup;
using Appliance.Server.Configuration;
using Appliance.Server.Dkim;

namespace Appliance.Server.DnsAdvisor;

/// <summary>
/// The DNS page's operations for one domain: the records to publish, their live check, and the
/// zone-file export. Used by the admin UI, the REST API and the installer's summary.
/// </summary>
public sealed class DnsSetupService(AccountService accounts, DkimKeyService dkimKeys, DnsRecordChecker checker, ApplianceOptions options)
{
    /// <summary>The records for <paramref name="domain"/> (U-label or A-label); <see cref="AccountException"/> when it is not one of ours.</summary>
    public async Task<IReadOnlyList<ExpectedDnsRecord>> GetRecordsAsync(string domain, CancellationToken ct = default)
    {
        var info = await accounts.GetDomainAsync(domain, ct);
        var keys = await dkimKeys.GetPublishedKeysAsync(info.Name, ct);
        return DnsRecordPlanner.Plan(info.Name, options.Hostname, options.ParsePublicAddresses(), keys, MailClientEndpoints.From(options));
    }

    /// <summary>Each record checked against public DNS through the server's resolver.</summary>
    public async Task<IReadOnlyList<DnsCheckResult>> CheckAsync(string domain, CancellationToken ct = default)
    {
        var records = await GetRecordsAsync(domain, ct);
        return await checker.CheckAsync(records, options.ParsePublicAddresses(), ct);
    }

    /// <summary>The records as zone-file text, for admins who run their own DNS server.</summary>
    public async Task<string> GetZoneFileAsync(string domain, CancellationToken ct = default) =>
        DnsRecordPlanner.ZoneFile(await GetRecordsAsync(domain, ct));
}
