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
/// records of the types in <see cref="DnsRecordType"/> (others are skipped).
/// </summary>
internal sealed record DnsMessage(
    ushort Id,
    ushort Flags,
    int Rcode,
    DnsQuestion Question,
    IReadOnlyList<DnsRecord> Answers,
    IReadOnlyList<DnsRecord> Authority,
    bool HasEdns = false)
{
    // RFC 1035 4.1.1 header flags; AD from RFC 4035 3.2.3.
    public const ushort QrFlag = 0x8000;
    public const ushort AaFlag = 0x0400;
    public const ushort TcFlag = 0x0200;
    public const ushort RdFlag = 0x0100;
    public const ushort RaFlag = 0x0080;
    public const ushort AdFlag = 0x0020;

    public bool IsResponse => (Flags & QrFlag) != 0;
    public bool Truncated => (Flags & TcFlag) != 0;
    public bool AuthenticatedData => (Flags & AdFlag) != 0;
    public int Opcode => (Flags >> 11) & 0xF;
}

/// <summary>RFC 1035 4.1.2. The name is lower-case without the trailing dot.</summary>
internal readonly record struct DnsQuestion(string Name, ushort Type, ushort Class);

/// <summary>A message that breaks the wire format; never escapes <see cref="DnsMessageParser"/>.</summary>
internal sealed class DnsFormatException(string message) : Exception(message);
