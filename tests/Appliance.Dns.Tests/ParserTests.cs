using System.Net;
using System.Text;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Tests;

public sealed class ParserTests
{
    private static Wire Response(int an, int ns = 0, int ar = 0, string question = "example.com", DnsRecordType type = DnsRecordType.A) =>
        new Wire().Header(0x1234, Wire.ResponseFlags(), 1, an, ns, ar).Question(question, type);

    private static DnsRecord Single(Wire w)
    {
        Assert.True(DnsMessageParser.TryParse(w.ToArray(), out var m));
        return Assert.Single(m!.Answers);
    }

    private static void AssertFormatError(byte[] message) => Assert.False(DnsMessageParser.TryParse(message, out _));

    [Fact]
    public void Query_has_rd_one_question_and_an_opt_record_with_the_payload_size_and_do_off()
    {
        byte[] q = DnsMessageBuilder.BuildQuery(0xBEEF, "mail.example.com", (ushort)DnsRecordType.MX, 1232);
        byte[] expected = new Wire().Header(0xBEEF, 0x0100, 1, 0, 0, 1).Question("mail.example.com", DnsRecordType.MX)
            .U8(0).U16(41).U16(1232).U32(0).U16(0).ToArray();
        Assert.Equal(expected, q);
        Assert.Equal(expected.Length - 11, DnsMessageBuilder.BuildQuery(1, "mail.example.com", 15, 0).Length);
        Assert.Throws<ArgumentException>(() => DnsMessageBuilder.BuildQuery(1, new string('a', 64) + ".com", 1, 1232));
    }

    [Fact]
    public void Parses_a_and_aaaa_and_lowercases_names_without_trailing_dot()
    {
        var a = (ARecord)Single(Response(1).Rr("WWW.Example.COM", DnsRecordType.A, 60, r => r.Bytes(192, 0, 2, 1)));
        Assert.Equal(new ARecord("www.example.com", 60, IPAddress.Parse("192.0.2.1")), a);
        var aaaa = (AaaaRecord)Single(Response(1).Rr("example.com", DnsRecordType.AAAA, 60, r => r.Bytes(IPAddress.Parse("2001:db8::1").GetAddressBytes())));
        Assert.Equal(IPAddress.Parse("2001:db8::1"), aaaa.Address);
    }

    [Fact]
    public void Parses_name_types_with_compression_pointers()
    {
        // The question name starts at offset 12; pointers to it and to its suffix "com" (offset 20).
        var w = Response(4)
            .Rr("example.com", DnsRecordType.CNAME, 1, r => r.Label("Alias").Pointer(12))
            .Rr("example.com", DnsRecordType.NS, 2, r => r.Label("ns1").Pointer(12))
            .Rr("example.com", DnsRecordType.PTR, 3, r => r.Label("host").Label("example").Pointer(20))
            .Rr("example.com", DnsRecordType.MX, 4, r => r.U16(10).Label("mail").Pointer(12));
        Assert.True(DnsMessageParser.TryParse(w.ToArray(), out var m));
        Assert.Equal(
            [
                new CnameRecord("example.com", 1, "alias.example.com"),
                new NsRecord("example.com", 2, "ns1.example.com"),
                new PtrRecord("example.com", 3, "host.example.com"),
                new MxRecord("example.com", 4, 10, "mail.example.com"),
            ],
            m!.Answers);
    }

    [Fact]
    public void Parses_null_mx_as_root_exchange()
    {
        Assert.Equal(new MxRecord("example.com", 5, 0, ""), Single(Response(1).Rr("example.com", DnsRecordType.MX, 5, r => r.U16(0).U8(0))));
    }

    [Fact]
    public void Parses_txt_with_several_strings_and_joins_them()
    {
        byte[] first = Encoding.ASCII.GetBytes(new string('a', 255));
        var txt = (TxtRecord)Single(Response(1).Rr("example.com", DnsRecordType.TXT, 5, r => r.U8(255).Bytes(first).U8(3).Bytes("xyz"u8.ToArray()).U8(0)));
        Assert.Equal([255, 3, 0], txt.Strings.Select(s => s.Length));
        Assert.Equal(new string('a', 255) + "xyz", txt.Text);
    }

    [Fact]
    public void Parses_soa_srv_tlsa_caa()
    {
        var w = Response(4)
            .Rr("example.com", DnsRecordType.SOA, 7, r => r.Label("ns").Pointer(12).Label("hostmaster").Pointer(12).U32(2026112101).U32(7200).U32(900).U32(1209600).U32(300))
            .Rr("_submission._tcp.example.com", DnsRecordType.SRV, 8, r => r.U16(1).U16(2).U16(587).Name("mail.example.com"))
            .Rr("_25._tcp.mail.example.com", DnsRecordType.TLSA, 9, r => r.U8(3).U8(1).U8(1).Bytes(0xAB, 0xCD))
            .Rr("example.com", DnsRecordType.CAA, 10, r => r.U8(128).Label("Issue").Bytes("letsencrypt.org"u8.ToArray()));
        Assert.True(DnsMessageParser.TryParse(w.ToArray(), out var m));
        Assert.Equal(new SoaRecord("example.com", 7, "ns.example.com", "hostmaster.example.com", 2026112101, 7200, 900, 1209600, 300), m!.Answers[0]);
        Assert.Equal(new SrvRecord("_submission._tcp.example.com", 8, 1, 2, 587, "mail.example.com"), m.Answers[1]);
        Assert.Equal(new TlsaRecord("_25._tcp.mail.example.com", 9, 3, 1, 1, [0xAB, 0xCD]), m.Answers[2]);
        Assert.Equal(new CaaRecord("example.com", 10, 128, "issue", "letsencrypt.org"), m.Answers[3]);
    }

    [Fact]
    public void Skips_unknown_types_and_other_classes_and_reads_the_opt_extended_rcode()
    {
        var w = Response(3, 1, 1)
            .Rr("example.com", 99, 1, r => r.Bytes(1, 2, 3)) // SPF (RFC 7208 3.1: obsolete), not ours
            .Rr("example.com", (int)DnsRecordType.A, 1, r => r.Bytes(1, 2, 3, 4), @class: 3) // CHAOS
            .Rr("example.com", DnsRecordType.A, 1, r => r.Bytes(192, 0, 2, 9))
            .Rr("example.com", DnsRecordType.SOA, 60, r => r.U8(0).U8(0).U32(1).U32(2).U32(3).U32(4).U32(5))
            .U8(0).U16(41).U16(1232).U32(0x01000000).U16(0); // OPT: extended RCODE 1 -> 16 (BADVERS)
        Assert.True(DnsMessageParser.TryParse(w.ToArray(), out var m));
        Assert.Equal(IPAddress.Parse("192.0.2.9"), ((ARecord)Assert.Single(m!.Answers)).Address);
        Assert.IsType<SoaRecord>(Assert.Single(m.Authority));
        Assert.Equal(16, m.Rcode);
    }

    [Fact]
    public void Ttl_with_the_top_bit_set_reads_as_zero()
    {
        Assert.Equal(0u, Single(Response(1).Rr("example.com", DnsRecordType.A, 0x80000000, r => r.Bytes(1, 2, 3, 4))).Ttl);
    }

    [Fact]
    public void Labels_with_dots_or_binary_octets_are_escaped()
    {
        var a = Single(new Wire().Header(1, Wire.ResponseFlags(), 1, 1).Question("x", DnsRecordType.A)
            .U8(3).Bytes((byte)'a', (byte)'.', 0xFF).U8(0).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4));
        Assert.Equal("a\\046\\255", a.Name);
    }

    [Theory]
    [InlineData("a\\046\\255.example")]
    [InlineData("under_score.example")]
    [InlineData("")]
    public void Escaped_names_round_trip_through_builder_and_parser(string name)
    {
        byte[] query = DnsMessageBuilder.BuildQuery(7, name, 1, 1232);
        Assert.True(DnsMessageParser.TryParseQuestion(query, out _, out _, out var question));
        Assert.Equal(name, question.Name);
    }

    [Theory]
    [InlineData("a\\999.example")]
    [InlineData("trailing\\")]
    [InlineData("b\u00fccher.example")]
    public void Names_that_cannot_be_written_are_refused(string name) => Assert.False(DnsMessageBuilder.IsEncodable(name));

    // ---- hostile input: each one a format error, never an exception or a hang ----

    [Fact]
    public void Truncated_header_is_a_format_error()
    {
        AssertFormatError([]);
        AssertFormatError(new Wire().Header(1, 0x8180, 1, 0).ToArray()[..11]);
        Assert.False(DnsMessageParser.TryParseQuestion(new byte[5], out _, out _, out _));
    }

    [Fact]
    public void Compression_loop_is_a_format_error()
    {
        // Answer owner at offset 29 points to 31, which points back to 29.
        var w = Response(1);
        Assert.Equal(29, w.Length);
        AssertFormatError(w.Pointer(31).Pointer(29).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());
        // A label followed by a pointer back to that label: strictly backwards, but a loop.
        AssertFormatError(Response(1).Label("a").Pointer(29).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());
    }

    [Fact]
    public void Pointer_to_itself_is_a_format_error() =>
        AssertFormatError(Response(1).Pointer(29).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());

    [Fact]
    public void Forward_pointer_is_a_format_error() =>
        AssertFormatError(Response(1).Pointer(31).Name("a.example").U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());

    [Fact]
    public void Pointer_out_of_bounds_is_a_format_error()
    {
        AssertFormatError(Response(1).Pointer(0x3FFF).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());
        AssertFormatError(Response(1).U8(0xC0).ToArray()); // the pointer itself cut off
    }

    [Fact]
    public void Pointer_chain_is_a_format_error()
    {
        // Offset 29 holds a pointer to the question name; the answer's owner points at that pointer.
        var chained = Response(2).Pointer(12).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4)
            .Pointer(29).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4);
        AssertFormatError(chained.ToArray());
        // The same second record pointing at the labels instead parses.
        var direct = Response(2).Pointer(12).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4)
            .Pointer(12).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4);
        Assert.True(DnsMessageParser.TryParse(direct.ToArray(), out var m));
        Assert.Equal(2, m!.Answers.Count);
    }

    [Fact]
    public void Label_of_64_octets_is_a_format_error()
    {
        AssertFormatError(Response(1).U8(64).Bytes(new byte[64]).U8(0).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());
        // 0x40 and 0x80 label types (RFC 6891 5) are not lengths either.
        AssertFormatError(Response(1).U8(0x80).U8(0).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());
    }

    [Fact]
    public void Name_over_255_octets_is_a_format_error()
    {
        // Four 63-octet labels: 4 * 64 + 1 = 257 octets.
        var w = Response(1);
        for (int i = 0; i < 4; i++)
            w.Label(new string('a', 63));
        AssertFormatError(w.U8(0).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4).ToArray());
        // Exactly 255 is fine: three 63-octet labels, one of 61, and the root.
        var ok = Response(1);
        for (int i = 0; i < 3; i++)
            ok.Label(new string('a', 63));
        ok.Label(new string('b', 61)).U8(0).U16(1).U16(1).U32(1).U16(4).Bytes(1, 2, 3, 4);
        Assert.Equal(253, Single(ok).Name.Length);
    }

    [Fact]
    public void Rdlength_longer_than_the_message_is_a_format_error() =>
        AssertFormatError(Response(1).Name("example.com").U16(1).U16(1).U32(1).U16(8).Bytes(1, 2, 3, 4).ToArray());

    [Fact]
    public void Rdlength_that_disagrees_with_the_rdata_is_a_format_error()
    {
        // A with RDLENGTH 5: one octet more than the address.
        AssertFormatError(Response(1).Name("example.com").U16(1).U16(1).U32(1).U16(5).Bytes(1, 2, 3, 4, 5).ToArray());
        // A with RDLENGTH 3: the address runs past RDATA.
        AssertFormatError(Response(1).Name("example.com").U16(1).U16(1).U32(1).U16(3).Bytes(1, 2, 3, 4).ToArray());
        // MX whose exchange name runs past RDLENGTH (the rest of the message would complete it).
        AssertFormatError(Response(1).Name("example.com").U16(15).U16(1).U32(1).U16(4).U16(10).Label("mail").U8(0).ToArray());
        // TXT whose character-string length runs past RDLENGTH.
        AssertFormatError(Response(1).Name("example.com").U16(16).U16(1).U32(1).U16(3).U8(5).Bytes(1, 2, 3, 4, 5).ToArray());
    }

    [Fact]
    public void Counts_larger_than_the_records_present_are_a_format_error()
    {
        AssertFormatError(Response(3).Rr("example.com", DnsRecordType.A, 1, r => r.Bytes(1, 2, 3, 4)).ToArray());
        AssertFormatError(new Wire().Header(1, 0x8180, 1, 0xFFFF, 0xFFFF, 0xFFFF).Question("example.com", DnsRecordType.A).ToArray());
        // Two questions: not an answer to our one.
        AssertFormatError(new Wire().Header(1, 0x8180, 2, 0).Question("a.example", DnsRecordType.A).Question("b.example", DnsRecordType.A).ToArray());
    }

    /// <summary>
    /// Thousands of random mutations (flipped bytes, truncations, inserted and deleted bytes, bad
    /// pointers) of valid messages: the parser must return, never throw. A seeded generator keeps
    /// any failure reproducible.
    /// </summary>
    [Fact]
    public void Random_mutations_never_throw_or_hang()
    {
        byte[][] seeds =
        [
            Response(5, 1, 1)
                .Rr("example.com", DnsRecordType.MX, 4, r => r.U16(10).Label("mail").Pointer(12))
                .Rr("example.com", DnsRecordType.TXT, 5, r => r.U8(3).Bytes("abc"u8.ToArray()).U8(2).Bytes("de"u8.ToArray()))
                .Rr("www.example.com", DnsRecordType.CNAME, 5, r => r.Label("web").Pointer(12))
                .Rr("example.com", DnsRecordType.CAA, 10, r => r.U8(0).Label("issue").Bytes("ca.example"u8.ToArray()))
                .Rr("_25._tcp.example.com", DnsRecordType.TLSA, 9, r => r.U8(3).U8(1).U8(1).Bytes(new byte[32]))
                .Rr("example.com", DnsRecordType.SOA, 7, r => r.Label("ns").Pointer(12).Label("h").Pointer(12).U32(1).U32(2).U32(3).U32(4).U32(5))
                .U8(0).U16(41).U16(1232).U32(0).U16(0)
                .ToArray(),
            Response(3, question: "_xmpp._tcp.example.com", type: DnsRecordType.SRV)
                .Rr("_xmpp._tcp.example.com", DnsRecordType.SRV, 8, r => r.U16(1).U16(2).U16(5222).Label("x").Pointer(23))
                .Rr("example.com", DnsRecordType.AAAA, 1, r => r.Bytes(new byte[16]))
                .Rr("example.com", DnsRecordType.PTR, 1, r => r.Pointer(12))
                .ToArray(),
        ];
        var random = new Random(20261121);
        int parsed = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] m = Mutate(seeds[i % seeds.Length], random);
            if (DnsMessageParser.TryParse(m, out _))
                parsed++;
            DnsMessageParser.TryParseQuestion(m, out _, out _, out _);
        }
        // Some mutations (TTL, address octets) leave a valid message; most do not.
        Assert.InRange(parsed, 1, 19_999);
    }

    private static byte[] Mutate(byte[] seed, Random random)
    {
        var m = new List<byte>(seed);
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits && m.Count > 0; e++)
        {
            int at = random.Next(m.Count);
            switch (random.Next(6))
            {
                case 0: m[at] = (byte)random.Next(256); break;
                case 1: m[at] ^= (byte)(1 << random.Next(8)); break;
                case 2: m.RemoveRange(at, m.Count - at); break; // truncate
                case 3: m.Insert(at, (byte)random.Next(256)); break;
                case 4: m.RemoveAt(at); break;
                default: // a compression pointer to anywhere
                    m[at] = (byte)(0xC0 | random.Next(64));
                    if (at + 1 < m.Count)
                        m[at + 1] = (byte)random.Next(256);
                    break;
            }
        }
        return [.. m];
    }
}
