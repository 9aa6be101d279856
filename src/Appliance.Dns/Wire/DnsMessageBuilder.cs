// RFC 1035 4.1 (message format) and RFC 6891 6.1 (the EDNS0 OPT pseudo-record).
using System.Buffers.Binary;
using System.Text;

namespace Appliance.Dns.Wire;

/// <summary>Builds query messages. A stub resolver only ever sends one question.</summary>
internal static class DnsMessageBuilder
{
    /// <summary>RFC 1035 3.2.4: class IN.</summary>
    public const ushort ClassIn = 1;

    /// <summary>RFC 6891 6.1.1: TYPE 41.</summary>
    public const ushort TypeOpt = 41;

    /// <summary>
    /// A recursive query (RD set, RFC 1035 4.1.1) for <paramref name="name"/>, which must already be
    /// normalized (<see cref="DnsName.Normalize"/>). With a payload size, an OPT record advertises it
    /// (RFC 6891 6.2.3); DO stays off (RFC 3225 3) because we do not validate signatures ourselves
    /// and only read the AD bit a trusted resolver sets (RFC 6840 5.7 lets AD be asked for without DO).
    /// </summary>
    public static byte[] BuildQuery(ushort id, string name, ushort type, ushort udpPayloadSize)
    {
        bool edns = udpPayloadSize > 0;
        var buffer = new List<byte>(64);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], DnsMessage.RdFlag);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1); // QDCOUNT
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], (ushort)(edns ? 1 : 0)); // ARCOUNT
        buffer.AddRange(header.ToArray());

        WriteName(buffer, name);
        WriteUInt16(buffer, type);
        WriteUInt16(buffer, ClassIn);

        if (edns)
        {
            // RFC 6891 6.1.2: owner is the root, CLASS carries the payload size, TTL carries
            // extended RCODE 0, VERSION 0 and the flags (DO = 0), RDLENGTH 0 (no options).
            buffer.Add(0);
            WriteUInt16(buffer, TypeOpt);
            WriteUInt16(buffer, udpPayloadSize);
            WriteUInt16(buffer, 0);
            WriteUInt16(buffer, 0);
            WriteUInt16(buffer, 0);
        }
        return [.. buffer];
    }

    /// <summary>True when <paramref name="name"/> can be written as a query name (see <see cref="WriteName"/>).</summary>
    public static bool IsEncodable(string name)
    {
        try
        {
            WriteName(new List<byte>(), name);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// RFC 1035 3.1: length-prefixed labels ending in the zero-length root label; uncompressed.
    /// The text may carry the master-file escapes of RFC 1035 5.1 (\DDD and \X) that
    /// <see cref="DnsMessageParser"/> writes for octets that cannot appear as they are, so a name
    /// read from an answer (a CNAME target) can be asked for again unchanged.
    /// </summary>
    private static void WriteName(List<byte> buffer, string name)
    {
        int start = buffer.Count;
        var label = new List<byte>(63);
        for (int i = 0; i <= name.Length && name.Length > 0; i++)
        {
            if (i == name.Length || name[i] == '.')
            {
                if (label.Count is 0 or > DnsMessageParser.MaxLabelLength)
                    throw new ArgumentException($"'{name}' has an empty label or one over 63 octets.", nameof(name));
                buffer.Add((byte)label.Count);
                buffer.AddRange(label);
                label.Clear();
            }
            else if (name[i] == '\\')
            {
                if (i + 3 < name.Length && char.IsAsciiDigit(name[i + 1]) && char.IsAsciiDigit(name[i + 2]) && char.IsAsciiDigit(name[i + 3]))
                {
                    int value = ((name[i + 1] - '0') * 100) + ((name[i + 2] - '0') * 10) + (name[i + 3] - '0');
                    if (value > 255)
                        throw new ArgumentException($"'{name}' has an escape over 255.", nameof(name));
                    label.Add((byte)value);
                    i += 3;
                }
                else if (i + 1 < name.Length && name[i + 1] <= 0x7F)
                {
                    label.Add((byte)name[++i]);
                }
                else
                {
                    throw new ArgumentException($"'{name}' ends in a lone backslash.", nameof(name));
                }
            }
            else if (name[i] <= 0x7F)
            {
                label.Add((byte)name[i]);
            }
            else
            {
                throw new ArgumentException($"'{name}' is not ASCII: normalize it first.", nameof(name));
            }
        }
        buffer.Add(0);
        if (buffer.Count - start > DnsMessageParser.MaxNameLength)
            throw new ArgumentException($"'{name}' is over 255 octets.", nameof(name));
    }

    private static void WriteUInt16(List<byte> buffer, ushort value)
    {
        buffer.Add((byte)(value >> 8));
        buffer.Add((byte)value);
    }
}
