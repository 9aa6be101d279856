// RFC 1035 4.1 (message format), 4.1.4 (compression), 3.3 (RDATA of the standard types);
// RFC 3596 2.2 (AAAA), RFC 2782 (SRV), RFC 6698 2.1 (TLSA), RFC 8659 4.1 (CAA), RFC 6891 6.1.3 (OPT).
using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Appliance.Dns.Wire;

/// <summary>
/// A bounds-checked parser. Every length and count read from the wire is checked against the bytes
/// present before it is used; any violation is a <see cref="DnsFormatException"/> caught here, so
/// callers only see true/false. Work is bounded by the message length: compression pointers must
/// go strictly backwards, so a name can never be read twice.
/// </summary>
internal static class DnsMessageParser
{
    /// <summary>RFC 1035 2.3.4.</summary>
    public const int MaxLabelLength = 63;

    /// <summary>RFC 1035 2.3.4: wire length including length octets and the root label.</summary>
    public const int MaxNameLength = 255;

    private const int HeaderLength = 12;

    /// <summary>Parses a whole message; false when it breaks the format anywhere.</summary>
    public static bool TryParse(ReadOnlySpan<byte> message, out DnsMessage? parsed)
    {
        try
        {
            parsed = Parse(message);
            return true;
        }
        catch (DnsFormatException)
        {
            parsed = null;
            return false;
        }
    }

    /// <summary>
    /// Reads only the header and the question: enough to tell whether a datagram answers our query
    /// (RFC 5452 9.1) before trusting anything else in it.
    /// </summary>
    public static bool TryParseQuestion(ReadOnlySpan<byte> message, out ushort id, out ushort flags, out DnsQuestion question)
    {
        id = 0;
        flags = 0;
        question = default;
        try
        {
            int pos = 0;
            ReadHeader(message, ref pos, out id, out flags, out int qdCount, out _, out _, out _);
            // A response to our one-question query repeats exactly that question (RFC 1035 4.1.2).
            if (qdCount != 1)
                return false;
            question = ReadQuestion(message, ref pos);
            return true;
        }
        catch (DnsFormatException)
        {
            return false;
        }
    }

    public static DnsMessage Parse(ReadOnlySpan<byte> message)
    {
        int pos = 0;
        ReadHeader(message, ref pos, out ushort id, out ushort flags, out int qdCount, out int anCount, out int nsCount, out int arCount);
        if (qdCount != 1)
            throw new DnsFormatException($"QDCOUNT is {qdCount}, expected 1.");
        var question = ReadQuestion(message, ref pos);

        var answers = new List<DnsRecord>();
        var authority = new List<DnsRecord>();
        // RFC 1035 4.1.1: the 4-bit RCODE; RFC 6891 6.1.3 puts 8 more bits in the OPT TTL.
        int rcode = flags & 0xF;
        for (int i = 0; i < anCount; i++)
            ReadRecord(message, ref pos, answers);
        for (int i = 0; i < nsCount; i++)
            ReadRecord(message, ref pos, authority);
        bool sawOpt = false;
        for (int i = 0; i < arCount; i++)
        {
            var opt = ReadRecord(message, ref pos, null);
            if (opt is { Type: DnsMessageBuilder.TypeOpt } o)
            {
                // RFC 6891 6.1.1: more than one OPT record is a FORMERR.
                if (sawOpt || o.OwnerIsRoot is false)
                    throw new DnsFormatException("Duplicate or misplaced OPT record.");
                sawOpt = true;
                rcode |= (int)(o.Ttl >> 24) << 4;
            }
        }
        // Trailing octets after the counted records are ignored, as most implementations do:
        // a few servers pad responses.
        return new DnsMessage(id, flags, rcode, question, answers, authority, sawOpt);
    }

    private static void ReadHeader(ReadOnlySpan<byte> m, ref int pos, out ushort id, out ushort flags, out int qd, out int an, out int ns, out int ar)
    {
        if (m.Length < HeaderLength)
            throw new DnsFormatException("Shorter than the 12-octet header.");
        id = ReadUInt16(m, ref pos);
        flags = ReadUInt16(m, ref pos);
        qd = ReadUInt16(m, ref pos);
        an = ReadUInt16(m, ref pos);
        ns = ReadUInt16(m, ref pos);
        ar = ReadUInt16(m, ref pos);
        // Each record takes at least 11 octets (root name, type, class, TTL, RDLENGTH) and each
        // question 5: counts the message cannot hold are rejected before any loop runs.
        long minimum = HeaderLength + (5L * qd) + (11L * (an + ns + ar));
        if (minimum > m.Length)
            throw new DnsFormatException("Section counts exceed the message length.");
    }

    private static DnsQuestion ReadQuestion(ReadOnlySpan<byte> m, ref int pos)
    {
        string name = ReadName(m, ref pos, m.Length);
        ushort type = ReadUInt16(m, ref pos);
        ushort @class = ReadUInt16(m, ref pos);
        return new DnsQuestion(name, type, @class);
    }

    /// <summary>What <see cref="ReadRecord"/> saw of an additional-section record.</summary>
    private readonly record struct RawRecord(ushort Type, uint Ttl, bool OwnerIsRoot);

    /// <summary>
    /// RFC 1035 4.1.3. Records of known types and class IN go to <paramref name="into"/>; others
    /// are skipped whole (RDLENGTH still checked).
    /// </summary>
    private static RawRecord? ReadRecord(ReadOnlySpan<byte> m, ref int pos, List<DnsRecord>? into)
    {
        string owner = ReadName(m, ref pos, m.Length);
        ushort type = ReadUInt16(m, ref pos);
        ushort @class = ReadUInt16(m, ref pos);
        uint ttl = ReadUInt32(m, ref pos);
        int rdLength = ReadUInt16(m, ref pos);
        int end = pos + rdLength;
        if (end > m.Length)
            throw new DnsFormatException("RDLENGTH runs past the end of the message.");

        if (into is not null && @class == DnsMessageBuilder.ClassIn && Enum.IsDefined((DnsRecordType)type))
        {
            // RFC 2181 8: a TTL with the top bit set is treated as zero.
            uint effectiveTtl = ttl > int.MaxValue ? 0 : ttl;
            int rd = pos;
            into.Add(ReadRdata(m, ref rd, end, owner, effectiveTtl, (DnsRecordType)type));
            if (rd != end)
                throw new DnsFormatException($"RDATA of {(DnsRecordType)type} is shorter than RDLENGTH.");
        }
        pos = end;
        return new RawRecord(type, ttl, owner.Length == 0);
    }

    private static DnsRecord ReadRdata(ReadOnlySpan<byte> m, ref int pos, int end, string owner, uint ttl, DnsRecordType type)
    {
        switch (type)
        {
            case DnsRecordType.A: // RFC 1035 3.4.1
                return new ARecord(owner, ttl, new IPAddress(Take(m, ref pos, end, 4)));
            case DnsRecordType.AAAA: // RFC 3596 2.2
                return new AaaaRecord(owner, ttl, new IPAddress(Take(m, ref pos, end, 16)));
            case DnsRecordType.CNAME: // RFC 1035 3.3.1
                return new CnameRecord(owner, ttl, ReadName(m, ref pos, end));
            case DnsRecordType.NS: // RFC 1035 3.3.11
                return new NsRecord(owner, ttl, ReadName(m, ref pos, end));
            case DnsRecordType.PTR: // RFC 1035 3.3.12
                return new PtrRecord(owner, ttl, ReadName(m, ref pos, end));
            case DnsRecordType.MX: // RFC 1035 3.3.9
            {
                ushort preference = ReadUInt16(m, ref pos, end);
                return new MxRecord(owner, ttl, preference, ReadName(m, ref pos, end));
            }
            case DnsRecordType.TXT: // RFC 1035 3.3.14: character-strings until RDLENGTH is used up
            {
                var strings = new List<byte[]>();
                while (pos < end)
                {
                    int length = Take(m, ref pos, end, 1)[0];
                    strings.Add(Take(m, ref pos, end, length));
                }
                return new TxtRecord(owner, ttl, strings);
            }
            case DnsRecordType.SOA: // RFC 1035 3.3.13
            {
                string mname = ReadName(m, ref pos, end);
                string rname = ReadName(m, ref pos, end);
                return new SoaRecord(owner, ttl, mname, rname,
                    ReadUInt32(m, ref pos, end), ReadUInt32(m, ref pos, end), ReadUInt32(m, ref pos, end),
                    ReadUInt32(m, ref pos, end), ReadUInt32(m, ref pos, end));
            }
            case DnsRecordType.SRV: // RFC 2782 "The format of the SRV RR"
            {
                ushort priority = ReadUInt16(m, ref pos, end);
                ushort weight = ReadUInt16(m, ref pos, end);
                ushort port = ReadUInt16(m, ref pos, end);
                return new SrvRecord(owner, ttl, priority, weight, port, ReadName(m, ref pos, end));
            }
            case DnsRecordType.TLSA: // RFC 6698 2.1
            {
                byte[] fixedPart = Take(m, ref pos, end, 3);
                return new TlsaRecord(owner, ttl, fixedPart[0], fixedPart[1], fixedPart[2], Take(m, ref pos, end, end - pos));
            }
            case DnsRecordType.CAA: // RFC 8659 4.1
            {
                byte[] fixedPart = Take(m, ref pos, end, 2);
                int tagLength = fixedPart[1];
                // RFC 8659 4.1: the tag is 1 to 15 ASCII letters and digits, matched case-insensitively.
                if (tagLength is 0 or > 15)
                    throw new DnsFormatException("CAA tag length outside 1..15.");
                byte[] tag = Take(m, ref pos, end, tagLength);
                if (!tag.All(b => b is >= (byte)'0' and <= (byte)'9' or >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z'))
                    throw new DnsFormatException("CAA tag is not alphanumeric.");
                string value = Encoding.UTF8.GetString(Take(m, ref pos, end, end - pos));
                return new CaaRecord(owner, ttl, fixedPart[0], Encoding.ASCII.GetString(tag).ToLowerInvariant(), value);
            }
            default:
                throw new DnsFormatException($"No RDATA reader for {type}.");
        }
    }

    /// <summary>
    /// RFC 1035 3.1 and 4.1.4. Inline labels must end before <paramref name="end"/> (the RDATA end
    /// for names inside RDATA); pointers may go anywhere earlier in the message. Each pointer must
    /// point strictly before the place the previous jump went to (or before the name's own start
    /// for the first jump), so loops, self-pointers and forward pointers are all rejected and a
    /// name is read in at most one pass over the message. A pointer whose target is itself a
    /// pointer (a chain) is rejected too: a compressor always points at labels, never at a pointer.
    /// </summary>
    internal static string ReadName(ReadOnlySpan<byte> m, ref int pos, int end)
    {
        var text = new StringBuilder();
        int wireLength = 0;
        int limit = pos; // pointers must target strictly below this
        int cursor = pos;
        bool jumped = false;
        while (true)
        {
            if (cursor >= (jumped ? m.Length : end))
                throw new DnsFormatException("Name runs past its end.");
            int length = m[cursor];
            if ((length & 0xC0) == 0xC0)
            {
                if (cursor + 1 >= (jumped ? m.Length : end))
                    throw new DnsFormatException("Compression pointer is cut off.");
                int target = ((length & 0x3F) << 8) | m[cursor + 1];
                if (!jumped)
                    pos = cursor + 2;
                if (target >= limit)
                    throw new DnsFormatException("Compression pointer does not point backwards (loop or forward pointer).");
                if ((m[target] & 0xC0) == 0xC0)
                    throw new DnsFormatException("Compression pointer points at another pointer.");
                limit = target;
                cursor = target;
                jumped = true;
                continue;
            }
            if ((length & 0xC0) != 0)
            {
                // RFC 6891 5: the 01 and 10 label types are not in use; a length over 63 is malformed.
                throw new DnsFormatException("Label longer than 63 octets or of an unknown label type.");
            }
            wireLength += length + 1;
            if (wireLength > MaxNameLength)
                throw new DnsFormatException("Name is over 255 octets.");
            cursor++;
            if (length == 0)
            {
                if (!jumped)
                    pos = cursor;
                break;
            }
            if (cursor + length > (jumped ? m.Length : end))
                throw new DnsFormatException("Label runs past its end.");
            if (text.Length > 0)
                text.Append('.');
            AppendLabel(text, m.Slice(cursor, length));
            cursor += length;
        }
        return text.ToString();
    }

    /// <summary>
    /// Lower-case ASCII (RFC 4343: names compare case-insensitively); octets that cannot stand in
    /// a dotted name as they are (dot, backslash, controls, non-ASCII) use the master-file \DDD
    /// escape of RFC 1035 5.1, so two different wire names never read as the same text.
    /// </summary>
    private static void AppendLabel(StringBuilder text, ReadOnlySpan<byte> label)
    {
        foreach (byte b in label)
        {
            if (b is > 0x20 and < 0x7F and not (byte)'.' and not (byte)'\\')
                text.Append(char.ToLowerInvariant((char)b));
            else
                text.Append('\\').Append(b.ToString("D3", System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    private static byte[] Take(ReadOnlySpan<byte> m, ref int pos, int end, int count)
    {
        if (count < 0 || pos + count > end)
            throw new DnsFormatException("RDATA is longer than RDLENGTH.");
        byte[] bytes = m.Slice(pos, count).ToArray();
        pos += count;
        return bytes;
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> m, ref int pos, int end = -1)
    {
        if (pos + 2 > (end < 0 ? m.Length : end))
            throw new DnsFormatException("Message cut off in a 16-bit field.");
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
        pos += 2;
        return value;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> m, ref int pos, int end = -1)
    {
        if (pos + 4 > (end < 0 ? m.Length : end))
            throw new DnsFormatException("Message cut off in a 32-bit field.");
        uint value = BinaryPrimitives.ReadUInt32BigEndian(m[pos..]);
        pos += 4;
        return value;
    }
}
