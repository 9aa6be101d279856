namespace Appliance.Dns;

/// <summary>Resource record types we query (RFC 1035 3.2.2 and the RFCs named per value).</summary>
public enum DnsRecordType : ushort
{
    A = 1,
    NS = 2,
    CNAME = 5,
    SOA = 6,
    PTR = 12,
    MX = 15,
    TXT = 16,
    /// <summary>RFC 3596.</summary>
    AAAA = 28,
    /// <summary>RFC 2782.</summary>
    SRV = 33,
    /// <summary>RFC 6698.</summary>
    TLSA = 52,
    /// <summary>RFC 8659.</summary>
    CAA = 257,
}
