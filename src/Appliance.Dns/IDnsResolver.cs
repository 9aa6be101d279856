namespace Appliance.Dns;

/// <summary>
/// Every DNS question in the product goes through this: MX lookups for delivery, SPF, DKIM and
/// DMARC records, the admin's live DNS checks. The real implementation is a stub resolver
/// (RFC 1035) talking to the configured recursive servers; <see cref="FakeDnsResolver"/> serves
/// tests from zone data with failure injection.
/// </summary>
public interface IDnsResolver
{
    /// <summary>
    /// Asks one question. Never throws for DNS outcomes: failures are a <see cref="DnsResponse.Status"/>.
    /// </summary>
    /// <param name="name">A domain name; U-labels are converted to A-labels, case and a trailing dot do not matter.</param>
    Task<DnsResponse> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default);
}
