namespace Appliance.Dns;

/// <summary>
/// How a query ended. The distinction matters to mail authentication: NXDOMAIN and NODATA are
/// answers ("there is none"), while SERVFAIL, a timeout, REFUSED or a malformed answer mean "we do
/// not know" (SPF and DMARC temperror, a retry for delivery), never "none".
/// </summary>
public enum DnsResponseStatus
{
    /// <summary>NOERROR with at least one record of the asked type.</summary>
    Success,
    /// <summary>NOERROR, the name exists, but has no record of the asked type (RFC 2308 2.2).</summary>
    NoData,
    /// <summary>RCODE 3: the name does not exist (RFC 2308 2.1).</summary>
    NxDomain,
    /// <summary>RCODE 2 from every server tried.</summary>
    ServerFailure,
    /// <summary>No server answered within the timeout and retries.</summary>
    Timeout,
    /// <summary>RCODE 5 from every server tried.</summary>
    Refused,
    /// <summary>The answer could not be parsed or did not match the question.</summary>
    FormatError,
}

public static class DnsResponseStatusExtensions
{
    /// <summary>True for outcomes that say nothing about the data: retry later, never treat as "none".</summary>
    public static bool IsTemporaryFailure(this DnsResponseStatus status) =>
        status is DnsResponseStatus.ServerFailure or DnsResponseStatus.Timeout or DnsResponseStatus.Refused or DnsResponseStatus.FormatError;
}
