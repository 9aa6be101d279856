using static Appliance.Dns.Tests.Wire;

namespace Appliance.Dns.Tests;

/// <summary>The resolver's cache, with a clock the test moves; the server counts what reaches it.</summary>
public sealed class CacheTests
{
    private static DnsStubResolver Resolver(FakeDnsServer server, ManualTimeProvider clock, int maxEntries = 100,
        TimeSpan? maxTtl = null, TimeSpan? minTtl = null) =>
        new(new DnsStubResolverOptions
        {
            Nameservers = [server.EndPoint],
            Timeout = TimeSpan.FromSeconds(5),
            Attempts = 1,
            Rotate = false,
            MaxCacheEntries = maxEntries,
            MaxCacheTtl = maxTtl ?? TimeSpan.FromDays(1),
            MinCacheTtl = minTtl ?? TimeSpan.Zero,
            TimeProvider = clock,
        });

    [Fact]
    public async Task Answer_is_served_from_cache_until_its_ttl_runs_out()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1", 30)])]);
        var clock = new ManualTimeProvider();
        var dns = Resolver(server, clock);

        var first = await dns.QueryAsync("example.com", DnsRecordType.A);
        clock.Advance(TimeSpan.FromSeconds(29));
        var second = await dns.QueryAsync("EXAMPLE.com.", DnsRecordType.A);
        Assert.Same(first, second);
        Assert.Equal(1, server.UdpCount);
        Assert.Equal(1, dns.Cache.Count);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Equal(2, server.UdpCount);
    }

    [Fact]
    public async Task Types_are_cached_apart()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1", 300)], [Soa("example.com", 300, 300)])]);
        var dns = Resolver(server, new ManualTimeProvider());
        Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Equal(DnsResponseStatus.NoData, (await dns.QueryAsync("example.com", DnsRecordType.MX)).Status);
        Assert.Equal(2, server.UdpCount);
    }

    [Fact]
    public async Task Chain_is_cached_for_its_shortest_ttl()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [Cname("www.example.com", "host.example.com", 10), A("host.example.com", "192.0.2.1", 300)])]);
        var clock = new ManualTimeProvider();
        var dns = Resolver(server, clock);
        await dns.QueryAsync("www.example.com", DnsRecordType.A);
        clock.Advance(TimeSpan.FromSeconds(10));
        await dns.QueryAsync("www.example.com", DnsRecordType.A);
        Assert.Equal(2, server.UdpCount);
    }

    [Fact]
    public async Task Ttl_is_clamped_to_the_options()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1", q.Question.Name == "long.example" ? 86400u : 0u)])]);
        var clock = new ManualTimeProvider();
        var dns = Resolver(server, clock, maxTtl: TimeSpan.FromSeconds(60), minTtl: TimeSpan.FromSeconds(5));

        await dns.QueryAsync("long.example", DnsRecordType.A);
        await dns.QueryAsync("zero.example", DnsRecordType.A);
        clock.Advance(TimeSpan.FromSeconds(4));
        await dns.QueryAsync("zero.example", DnsRecordType.A); // TTL 0 raised to 5 s: still cached
        Assert.Equal(2, server.UdpCount);
        clock.Advance(TimeSpan.FromSeconds(56));
        await dns.QueryAsync("long.example", DnsRecordType.A); // a day lowered to 60 s: expired
        Assert.Equal(3, server.UdpCount);
    }

    [Fact]
    public async Task Zero_ttl_is_not_cached_by_default()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1", 0)])]);
        var dns = Resolver(server, new ManualTimeProvider());
        await dns.QueryAsync("example.com", DnsRecordType.A);
        await dns.QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(2, server.UdpCount);
    }

    [Theory]
    [InlineData(3, 300u, 60u, 60)] // NXDOMAIN: SOA MINIMUM smaller than the SOA TTL
    [InlineData(3, 20u, 60u, 20)] // NXDOMAIN: SOA TTL smaller
    [InlineData(0, 300u, 45u, 45)] // NODATA
    [InlineData(3, 86400u, 86400u, 3600)] // capped by MaxNegativeCacheTtl (1 hour by default)
    public async Task Negative_answers_are_cached_for_the_smaller_of_soa_ttl_and_minimum(int rcode, uint soaTtl, uint minimum, int expectedSeconds)
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, rcode, [], [Soa("example.com", soaTtl, minimum)])]);
        var clock = new ManualTimeProvider();
        var dns = Resolver(server, clock);

        var first = await dns.QueryAsync("nothing.example.com", DnsRecordType.TXT);
        Assert.Equal(rcode == 3 ? DnsResponseStatus.NxDomain : DnsResponseStatus.NoData, first.Status);
        clock.Advance(TimeSpan.FromSeconds(expectedSeconds - 1));
        Assert.Same(first, await dns.QueryAsync("nothing.example.com", DnsRecordType.TXT));
        Assert.Equal(1, server.UdpCount);
        clock.Advance(TimeSpan.FromSeconds(1));
        await dns.QueryAsync("nothing.example.com", DnsRecordType.TXT);
        Assert.Equal(2, server.UdpCount);
    }

    [Fact]
    public async Task Negative_answer_without_soa_is_not_cached()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 3, [])]);
        var dns = Resolver(server, new ManualTimeProvider());
        Assert.Equal(DnsResponseStatus.NxDomain, (await dns.QueryAsync("nothing.example", DnsRecordType.A)).Status);
        await dns.QueryAsync("nothing.example", DnsRecordType.A);
        Assert.Equal(2, server.UdpCount);
    }

    [Theory]
    [InlineData(2)] // SERVFAIL
    [InlineData(5)] // REFUSED
    public async Task Failures_are_not_cached(int rcode)
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, rcode, [], [Soa("example.com", 300, 300)])]);
        var dns = Resolver(server, new ManualTimeProvider());
        await dns.QueryAsync("example.com", DnsRecordType.A);
        await dns.QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(2, server.UdpCount);
        Assert.Equal(0, dns.Cache.Count);
    }

    [Fact]
    public async Task Cache_is_capped_and_drops_the_least_recently_used()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1", 300)])]);
        var dns = Resolver(server, new ManualTimeProvider(), maxEntries: 2);
        await dns.QueryAsync("a.example", DnsRecordType.A);
        await dns.QueryAsync("b.example", DnsRecordType.A);
        await dns.QueryAsync("a.example", DnsRecordType.A); // a is now the most recently used
        await dns.QueryAsync("c.example", DnsRecordType.A); // evicts b
        Assert.Equal(3, server.UdpCount);
        Assert.Equal(2, dns.Cache.Count);
        await dns.QueryAsync("a.example", DnsRecordType.A);
        Assert.Equal(3, server.UdpCount);
        await dns.QueryAsync("b.example", DnsRecordType.A);
        Assert.Equal(4, server.UdpCount);
    }

    [Fact]
    public async Task Zero_entries_turns_the_cache_off()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1", 300)])]);
        var dns = Resolver(server, new ManualTimeProvider(), maxEntries: 0);
        await dns.QueryAsync("a.example", DnsRecordType.A);
        await dns.QueryAsync("a.example", DnsRecordType.A);
        Assert.Equal(2, server.UdpCount);
    }
}
