namespace Appliance.Dns.Wire;

/// <summary>RCODE values we act on (RFC 1035 4.1.1; RFC 6891 6.1.3 extends them with the OPT record).</summary>
internal enum DnsRcode
{
    NoError = 0,
    FormErr = 1,
    ServFail = 2,
    NxDomain = 3,
    NotImp = 4,
    Refused = 5,
}

/// <summary>
/// A parsed message: the header flags we use, the one question, and the answer and authority
/// records of the types in <see cref="DnsRecordType"/> (others are skipped), and whether an OPT
/// record came back (RFC 6891 7: a server that drops it does not speak EDNS).
/// </summary>
internal sealed record DnsMessage(
    ushort Id,
    ushort Flags,
    int Rcode,
    DnsQuestion Question,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authority,
    bool HasEdns)
{
    // RFC 1035 4.1.1 header flags; AD from RFC 4035 3.2.3.
    public const ushort QrFlag = 0x8000;
    public const ushort TcFlag = 0x0200;
    public const ushort RdFlag = 0x0100;
    public const ushort AdFlag = 0x0020;

    public bool AuthenticatedData => (Flags & AdFlag) != 0;
}

/// <summary>RFC 1035 4.1.2. The name is lower-case without the trailing dot.</summary>
internal readonly record struct DnsQuestion(string Name, ushort Type, ushort Class);

/// <summary>A message that breaks the wire format; never escapes <see cref="DnsMessageParser"/>.</summary>
internal sealed class DnsFormatException(string message) : Exception(message);
