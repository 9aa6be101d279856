using System.Net;
using System.Text;

namespace Appliance.Dns;

/// <summary>
/// One resource record of an answer (RFC 1035 3.2.1). Names are lower-case A-labels without the
/// trailing dot.
/// </summary>
public abstract record DnsRecord(string Name, uint Ttl)
{
    public abstract DnsRecordType Type { get; }
}

public sealed record ARecord(string Name, uint Ttl, IPAddress Address) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.A;
}

public sealed record AaaaRecord(string Name, uint Ttl, IPAddress Address) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.AAAA;
}

public sealed record CnameRecord(string Name, uint Ttl, string Target) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.CNAME;
}

public sealed record NsRecord(string Name, uint Ttl, string Host) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.NS;
}

public sealed record PtrRecord(string Name, uint Ttl, string Target) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.PTR;
}

/// <summary>RFC 1035 3.3.9. An Exchange of "" (the root, ".") with preference 0 is a null MX (RFC 7505).</summary>
public sealed record MxRecord(string Name, uint Ttl, ushort Preference, string Exchange) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.MX;
}

/// <summary>
/// RFC 1035 3.3.14: one or more character-strings of up to 255 octets each. SPF (RFC 7208 3.3),
/// DKIM (RFC 6376 3.6.2.2) and DMARC join them without separators: <see cref="Text"/>.
/// </summary>
public sealed record TxtRecord(string Name, uint Ttl, IReadOnlyList<byte[]> Strings) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.TXT;

    /// <summary>The strings joined; octets above 0x7F are read as UTF-8 when valid, else as Latin-1.</summary>
    public string Text
    {
        get
        {
            var bytes = Strings.SelectMany(s => s).ToArray();
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                return Encoding.Latin1.GetString(bytes);
            }
        }
    }

    /// <summary>Builds a record from text, split into 255-octet strings as a zone file would.</summary>
    public static TxtRecord FromText(string name, uint ttl, string text)
    {
        byte[] all = Encoding.UTF8.GetBytes(text);
        var strings = new List<byte[]>();
        for (int i = 0; i < all.Length; i += 255)
            strings.Add(all[i..Math.Min(all.Length, i + 255)]);
        if (strings.Count == 0)
            strings.Add([]);
        return new TxtRecord(name, ttl, strings);
    }

    public bool Equals(TxtRecord? other) =>
        other is not null && Name == other.Name && Ttl == other.Ttl && Strings.Count == other.Strings.Count
        && Strings.Zip(other.Strings).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    public override int GetHashCode() => HashCode.Combine(Name, Ttl, Text);
}

public sealed record SoaRecord(string Name, uint Ttl, string PrimaryServer, string ResponsibleMailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum)
    : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.SOA;
}

/// <summary>RFC 2782.</summary>
public sealed record SrvRecord(string Name, uint Ttl, ushort Priority, ushort Weight, ushort Port, string Target) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.SRV;
}

/// <summary>RFC 6698 2.1.</summary>
public sealed record TlsaRecord(string Name, uint Ttl, byte CertificateUsage, byte Selector, byte MatchingType, byte[] Data) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.TLSA;

    public bool Equals(TlsaRecord? other) =>
        other is not null && Name == other.Name && Ttl == other.Ttl && CertificateUsage == other.CertificateUsage
        && Selector == other.Selector && MatchingType == other.MatchingType && Data.AsSpan().SequenceEqual(other.Data);

    public override int GetHashCode() => HashCode.Combine(Name, CertificateUsage, Selector, MatchingType, Data.Length);
}

/// <summary>RFC 8659 4.1.</summary>
public sealed record CaaRecord(string Name, uint Ttl, byte Flags, string Tag, string Value) : DnsRecord(Name, Ttl)
{
    public override DnsRecordType Type => DnsRecordType.CAA;
}
