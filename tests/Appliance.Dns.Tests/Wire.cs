using System.Text;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Tests;

/// <summary>
/// Writes DNS messages byte by byte, so tests can build both valid answers and every kind of broken
/// one. Offsets are absolute, so a test can point compression pointers wherever it likes.
/// </summary>
internal sealed class Wire
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public Wire U8(int value)
    {
        _bytes.Add((byte)value);
        return this;
    }

    public Wire U16(int value) => U8(value >> 8).U8(value);

    public Wire U32(uint value) => U16((int)(value >> 16)).U16((int)(value & 0xFFFF));

    public Wire Bytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public Wire Label(string label) => U8(label.Length).Bytes(Encoding.ASCII.GetBytes(label));

    /// <summary>An uncompressed name ending in the root label.</summary>
    public Wire Name(string name)
    {
        foreach (string label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
            Label(label);
        return U8(0);
    }

    public Wire Pointer(int offset) => U16(0xC000 | offset);

    public Wire Header(ushort id, int flags, int qd, int an, int ns = 0, int ar = 0) =>
        U16(id).U16(flags).U16(qd).U16(an).U16(ns).U16(ar);

    public Wire Question(string name, DnsRecordType type) => Name(name).U16((int)type).U16(1);

    /// <summary>A record whose RDLENGTH is computed from what <paramref name="rdata"/> writes.</summary>
    public Wire Rr(string name, int type, uint ttl, Action<Wire> rdata, int @class = 1)
    {
        Name(name).U16(type).U16(@class).U32(ttl);
        int lengthAt = _bytes.Count;
        U16(0);
        int start = _bytes.Count;
        rdata(this);
        int length = _bytes.Count - start;
        _bytes[lengthAt] = (byte)(length >> 8);
        _bytes[lengthAt + 1] = (byte)length;
        return this;
    }

    public Wire Rr(string name, DnsRecordType type, uint ttl, Action<Wire> rdata) => Rr(name, (int)type, ttl, rdata);

    public byte[] ToArray() => [.. _bytes];

    /// <summary>Response flags: QR, RD, RA and the RCODE.</summary>
    public static int ResponseFlags(int rcode = 0, bool truncated = false, bool ad = false) =>
        0x8180 | rcode | (truncated ? 0x0200 : 0) | (ad ? 0x0020 : 0);

    /// <summary>A response to <paramref name="query"/> (echoing ID and question) with the given records.</summary>
    public static byte[] Answer(byte[] query, int rcode, IReadOnlyList<Action<Wire>> answers, IReadOnlyList<Action<Wire>>? authority = null,
        bool truncated = false, bool ad = false, ushort? id = null, string? questionName = null)
    {
        Assert.True(DnsMessageParser.TryParseQuestion(query, out ushort queryId, out _, out var question));
        authority ??= [];
        var w = new Wire().Header(id ?? queryId, ResponseFlags(rcode, truncated, ad), 1, answers.Count, authority.Count);
        if (questionName is null)
        {
            // Echo the question octets as sent: the query's name is uncompressed labels.
            int end = 12;
            while (query[end] != 0)
                end += query[end] + 1;
            w.Bytes(query[12..(end + 5)]);
        }
        else
        {
            w.Question(questionName, (DnsRecordType)question.Type);
        }
        foreach (var a in answers)
            a(w);
        foreach (var a in authority)
            a(w);
        return w.ToArray();
    }

    public static Action<Wire> A(string name, string address, uint ttl = 300) =>
        w => w.Rr(name, DnsRecordType.A, ttl, r => r.Bytes(System.Net.IPAddress.Parse(address).GetAddressBytes()));

    public static Action<Wire> Cname(string name, string target, uint ttl = 300) =>
        w => w.Rr(name, DnsRecordType.CNAME, ttl, r => r.Name(target));

    public static Action<Wire> Soa(string zone, uint ttl, uint minimum) =>
        w => w.Rr(zone, DnsRecordType.SOA, ttl, r => r.Name("ns." + zone).Name("hostmaster." + zone).U32(1).U32(3600).U32(600).U32(86400).U32(minimum));
}
