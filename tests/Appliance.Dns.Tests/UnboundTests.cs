using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;
using Appliance.Tests.Shared;

namespace Appliance.Dns.Tests;

/// <summary>
/// A real DNS server: unbound (Debian package, installed by tests/run.sh) on 127.0.0.1 on a free
/// high port, answering a test zone from local-data lines. One instance for the class.
/// </summary>
public sealed class UnboundFixture : IAsyncLifetime
{
    public const string Zone = "test.example";
    public static readonly string LongText = new string('k', 255) + new string('l', 255) + "end";

    private UnboundServer _server = null!;

    public IPEndPoint EndPoint => _server.EndPoint;

    public DnsStubResolver Resolver(ushort udpPayloadSize = 1232) => _server.Resolver(udpPayloadSize);

    public async Task InitializeAsync() => _server = await UnboundServer.StartAsync(ZoneLines(), Zone);

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static IEnumerable<string> ZoneLines()
    {
        var lines = new List<string>
        {
            $"local-zone: \"{Zone}.\" static",
            "local-zone: \"2.0.192.in-addr.arpa.\" static",
            $"local-data: \"{Zone}. 300 IN SOA ns.{Zone}. hostmaster.{Zone}. 1 3600 600 86400 60\"",
            $"local-data: \"{Zone}. 300 IN MX 10 mail.{Zone}.\"",
            $"local-data: \"{Zone}. 300 IN MX 20 backup.{Zone}.\"",
            $"local-data: \"mail.{Zone}. 300 IN A 192.0.2.25\"",
            $"local-data: 'long.{Zone}. 300 IN TXT \"{LongText[..255]}\" \"{LongText[255..510]}\" \"{LongText[510..]}\"'",
            $"local-data: \"www.{Zone}. 300 IN CNAME web.{Zone}.\"",
            $"local-data: \"web.{Zone}. 300 IN CNAME host.{Zone}.\"",
            $"local-data: \"host.{Zone}. 300 IN A 192.0.2.80\"",
            $"local-data: \"mail.{Zone}. 300 IN AAAA 2001:db8::25\"",
            $"local-data: \"{Zone}. 300 IN NS ns.{Zone}.\"",
            $"local-data: \"25.2.0.192.in-addr.arpa. 300 IN PTR mail.{Zone}.\"",
            $"local-data: \"_submission._tcp.{Zone}. 300 IN SRV 0 1 587 mail.{Zone}.\"",
            $"local-data: \"_25._tcp.mail.{Zone}. 300 IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
            $"local-data: '{Zone}. 300 IN CAA 0 issue \"letsencrypt.org\"'",
        };
        for (int i = 1; i <= 60; i++)
            lines.Add($"local-data: \"big.{Zone}. 300 IN A 198.51.100.{i}\"");
        return lines;
    }
}

public sealed class UnboundTests(UnboundFixture unbound) : IClassFixture<UnboundFixture>
{
    private const string Zone = UnboundFixture.Zone;

    [Fact]
    public async Task Mx_records()
    {
        var r = await unbound.Resolver().QueryAsync(Zone, DnsRecordType.MX);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal(
            [(10, $"mail.{Zone}"), (20, $"backup.{Zone}")],
            r.Records<MxRecord>().OrderBy(m => m.Preference).Select(m => ((int)m.Preference, m.Exchange)));
        Assert.All(r.Answers, a => Assert.Equal(300u, a.Ttl));
    }

    [Fact]
    public async Task Txt_over_255_octets_in_several_strings()
    {
        var txt = Assert.Single((await unbound.Resolver().QueryAsync($"long.{Zone}", DnsRecordType.TXT)).Records<TxtRecord>());
        Assert.Equal([255, 255, 3], txt.Strings.Select(s => s.Length));
        Assert.Equal(UnboundFixture.LongText, txt.Text);
    }

    [Fact]
    public async Task Large_answer_is_truncated_over_udp_and_fetched_over_tcp()
    {
        // First show that unbound really truncates at an advertised 512 octets: ask over UDP directly.
        byte[] query = DnsMessageBuilder.BuildQuery(0x4242, $"big.{Zone}", (ushort)DnsRecordType.A, 512);
        using var udp = new UdpClient(AddressFamily.InterNetwork);
        udp.Connect(unbound.EndPoint);
        await udp.SendAsync(query);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var datagram = (await udp.ReceiveAsync(wait.Token)).Buffer;
        Assert.True(datagram.Length <= 512);
        Assert.True(DnsMessageParser.TryParseQuestion(datagram, out ushort id, out ushort flags, out _));
        Assert.Equal(0x4242, id);
        Assert.NotEqual(0, flags & DnsMessage.TcFlag);

        // Then the resolver with the same 512 gets all 60 records: only TCP can have carried them.
        var r = await unbound.Resolver(udpPayloadSize: 512).QueryAsync($"big.{Zone}", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal(60, r.Records<ARecord>().Select(a => a.Address).Distinct().Count());
    }

    [Fact]
    public async Task Nxdomain_and_nodata()
    {
        var dns = unbound.Resolver();
        var nx = await dns.QueryAsync($"nothing.{Zone}", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.NxDomain, nx.Status);
        Assert.Empty(nx.Answers);
        Assert.Equal(DnsResponseStatus.NoData, (await dns.QueryAsync($"mail.{Zone}", DnsRecordType.TXT)).Status);
    }

    [Fact]
    public async Task Cname_chain_is_followed()
    {
        var r = await unbound.Resolver().QueryAsync($"WWW.{Zone}.", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal($"host.{Zone}", r.CanonicalName);
        Assert.Equal(IPAddress.Parse("192.0.2.80"), Assert.Single(r.Records<ARecord>()).Address);
    }

    [Fact]
    public async Task Every_record_type_as_a_real_server_encodes_it()
    {
        var dns = unbound.Resolver();
        async Task<T> One<T>(string name, DnsRecordType type) where T : DnsRecord
        {
            var r = await dns.QueryAsync(name, type);
            Assert.Equal(DnsResponseStatus.Success, r.Status);
            return Assert.Single(r.Records<T>());
        }

        Assert.Equal(IPAddress.Parse("192.0.2.25"), (await One<ARecord>($"mail.{Zone}", DnsRecordType.A)).Address);
        Assert.Equal(IPAddress.Parse("2001:db8::25"), (await One<AaaaRecord>($"mail.{Zone}", DnsRecordType.AAAA)).Address);
        Assert.Equal($"ns.{Zone}", (await One<NsRecord>(Zone, DnsRecordType.NS)).Host);
        Assert.Equal($"mail.{Zone}", (await One<PtrRecord>("25.2.0.192.in-addr.arpa", DnsRecordType.PTR)).Target);
        Assert.Equal($"web.{Zone}", (await One<CnameRecord>($"www.{Zone}", DnsRecordType.CNAME)).Target);
        Assert.Equal(new SoaRecord(Zone, 300, $"ns.{Zone}", $"hostmaster.{Zone}", 1, 3600, 600, 86400, 60), await One<SoaRecord>(Zone, DnsRecordType.SOA));
        Assert.Equal(new SrvRecord($"_submission._tcp.{Zone}", 300, 0, 1, 587, $"mail.{Zone}"), await One<SrvRecord>($"_submission._tcp.{Zone}", DnsRecordType.SRV));
        Assert.Equal(new TlsaRecord($"_25._tcp.mail.{Zone}", 300, 3, 1, 1, Convert.FromHexString("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")),
            await One<TlsaRecord>($"_25._tcp.mail.{Zone}", DnsRecordType.TLSA));
        Assert.Equal(new CaaRecord(Zone, 300, 0, "issue", "letsencrypt.org"), await One<CaaRecord>(Zone, DnsRecordType.CAA));
    }
}
