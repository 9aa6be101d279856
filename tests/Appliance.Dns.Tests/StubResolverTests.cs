using System.Diagnostics;
using System.Net;
using Appliance.Dns.Wire;
using static Appliance.Dns.Tests.Wire;

namespace Appliance.Dns.Tests;

/// <summary>
/// The resolver against scripted servers on loopback. Tests that expect an answer use a generous
/// timeout (an answer ends the wait at once, and a loaded 2-core machine can take a while to run
/// the fake server); tests that expect a timeout use a short one.
/// </summary>
public sealed class StubResolverTests
{
    private static readonly TimeSpan ShortTimeout = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);

    private static DnsStubResolver Resolver(params FakeDnsServer[] servers) => Resolver(null, servers);

    private static DnsStubResolver Resolver(Func<DnsStubResolverOptions, DnsStubResolverOptions>? tweak, params FakeDnsServer[] servers)
    {
        var options = new DnsStubResolverOptions
        {
            Nameservers = [.. servers.Select(s => s.EndPoint)],
            Timeout = AnswerTimeout,
            Attempts = 1,
            Rotate = false,
        };
        return new DnsStubResolver(tweak is null ? options : tweak(options));
    }

    private static IReadOnlyList<byte[]> Reply(FakeDnsServer.Query q, params Action<Wire>[] answers) => [Answer(q.Bytes, 0, answers)];

    [Fact]
    public async Task Sends_a_recursive_edns_query_and_reads_the_answer()
    {
        await using var server = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.1", 60)));
        var r = await Resolver(server).QueryAsync("Mail.Example.COM.", DnsRecordType.A);

        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal("mail.example.com", r.Name);
        Assert.Equal(new ARecord("mail.example.com", 60, IPAddress.Parse("192.0.2.1")), Assert.Single(r.Answers));
        Assert.False(r.AuthenticatedData);
        var query = Assert.Single(server.Queries);
        Assert.Equal(new DnsQuestion("mail.example.com", 1, 1), query.Question);
        Assert.Equal(0x0100, (query.Bytes[2] << 8) | query.Bytes[3]); // RD only
        Assert.Equal([0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0], query.Bytes[^11..]); // OPT, 1232, DO off
    }

    [Fact]
    public async Task Each_query_uses_a_new_source_port_and_id()
    {
        await using var server = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.1")));
        var dns = Resolver(o => new DnsStubResolverOptions { Nameservers = o.Nameservers, Timeout = o.Timeout, Attempts = 1, Rotate = false, MaxCacheEntries = 0 }, server);
        for (int i = 0; i < 4; i++)
            Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Equal(4, server.Queries.Select(q => q.From.Port).Distinct().Count());
        Assert.True(server.Queries.Select(q => (q.Bytes[0] << 8) | q.Bytes[1]).Distinct().Count() > 1);
    }

    [Fact]
    public async Task Forged_datagrams_are_ignored_and_the_real_answer_is_taken()
    {
        await using var server = new FakeDnsServer(q =>
        {
            ushort id = (ushort)((q.Bytes[0] << 8) | q.Bytes[1]);
            return
            [
                Answer(q.Bytes, 0, [A(q.Question.Name, "6.6.6.1")], id: (ushort)(id ^ 1)), // wrong id
                Answer(q.Bytes, 0, [A("evil.example", "6.6.6.2")], questionName: "evil.example"), // wrong question
                new Wire().Header(id, ResponseFlags(), 1, 1).Question(q.Question.Name, DnsRecordType.MX) // wrong type
                    .Rr(q.Question.Name, DnsRecordType.A, 1, r => r.Bytes(6, 6, 6, 3)).ToArray(),
                WithFlags(Answer(q.Bytes, 0, [A(q.Question.Name, "6.6.6.4")]), 0x0100), // QR clear: a query, not an answer
                [1, 2, 3], // garbage
                Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.10")]),
            ];
        });
        var r = await Resolver(server).QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.10"), Assert.Single(r.Records<ARecord>()).Address);
    }

    [Fact]
    public async Task Question_name_matches_case_insensitively()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A("EXAMPLE.com", "192.0.2.1")], questionName: "ExAmPlE.CoM")]);
        Assert.Equal(DnsResponseStatus.Success, (await Resolver(server).QueryAsync("example.com", DnsRecordType.A)).Status);
    }

    [Fact]
    public async Task Only_forged_datagrams_end_in_timeout()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "6.6.6.6")], id: (ushort)(((q.Bytes[0] << 8) | q.Bytes[1]) ^ 0x8000))]);
        var r = await Resolver(o => new DnsStubResolverOptions { Nameservers = o.Nameservers, Timeout = ShortTimeout, Attempts = 1, Rotate = false }, server).QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Timeout, r.Status);
        Assert.Empty(r.Answers);
    }

    [Fact]
    public async Task Silence_is_a_timeout_within_the_configured_time()
    {
        await using var server = new FakeDnsServer(_ => []);
        var clock = Stopwatch.StartNew();
        var r = await Resolver(o => new DnsStubResolverOptions { Nameservers = o.Nameservers, Timeout = ShortTimeout, Attempts = 2, Rotate = false }, server)
            .QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Timeout, r.Status);
        Assert.True(r.Status.IsTemporaryFailure());
        Assert.Equal(2, server.UdpCount); // two attempts
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Truncated_udp_answer_is_asked_again_over_tcp()
    {
        await using var server = new FakeDnsServer(q => q.Transport == FakeDnsServer.Transport.Udp
            ? [Answer(q.Bytes, 0, [], truncated: true)]
            : [Answer(q.Bytes, 0, [.. Enumerable.Range(1, 60).Select(i => A(q.Question.Name, $"192.0.2.{i}"))])]);
        var r = await Resolver(server).QueryAsync("big.example", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal(60, r.Answers.Count);
        Assert.Equal((1, 1), (server.UdpCount, server.TcpCount));
    }

    [Fact]
    public async Task Servfail_from_the_first_server_moves_on_to_the_second()
    {
        await using var failing = new FakeDnsServer(q => [Answer(q.Bytes, 2, [])]);
        await using var working = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.2")));
        var r = await Resolver(failing, working).QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal((1, 1), (failing.UdpCount, working.UdpCount));
    }

    [Fact]
    public async Task Timeout_on_the_first_server_moves_on_to_the_second()
    {
        await using var silent = new FakeDnsServer(_ => []);
        await using var working = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.2")));
        // One timeout for both servers: short enough for the silent one, long enough for a loaded machine.
        var dns = Resolver(o => new DnsStubResolverOptions { Nameservers = o.Nameservers, Timeout = TimeSpan.FromSeconds(1), Attempts = 1, Rotate = false }, silent, working);
        Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Equal((1, 1), (silent.UdpCount, working.UdpCount));
    }

    [Theory]
    [InlineData(2, DnsResponseStatus.ServerFailure, 1)]
    [InlineData(5, DnsResponseStatus.Refused, 1)]
    [InlineData(4, DnsResponseStatus.Refused, 1)]
    [InlineData(1, DnsResponseStatus.FormatError, 2)] // FORMERR without OPT: asked again without EDNS first
    public async Task Failure_rcodes_from_every_server_map_to_a_status(int rcode, DnsResponseStatus expected, int queriesPerServer)
    {
        await using var one = new FakeDnsServer(q => [Answer(q.Bytes, rcode, [])]);
        await using var two = new FakeDnsServer(q => [Answer(q.Bytes, rcode, [])]);
        var r = await Resolver(one, two).QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(expected, r.Status);
        Assert.Equal((queriesPerServer, queriesPerServer), (one.UdpCount, two.UdpCount));
    }

    [Fact]
    public async Task Server_without_edns_is_asked_again_without_the_opt_record()
    {
        // RFC 6891 7: such a server answers FORMERR (without OPT) to any query carrying OPT.
        await using var server = new FakeDnsServer(q => q.Bytes[11] == 1
            ? [Answer(q.Bytes, 1, [])]
            : Reply(q, A(q.Question.Name, "192.0.2.1")));
        var r = await Resolver(server).QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal([1, 0], server.Queries.Select(q => (int)q.Bytes[11])); // ARCOUNT: with OPT, then without
    }

    [Fact]
    public async Task Malformed_answer_is_a_format_error()
    {
        await using var server = new FakeDnsServer(q =>
        {
            byte[] good = Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1")]);
            good[7] = 2; // ANCOUNT 2 with one record present
            return [good];
        });
        Assert.Equal(DnsResponseStatus.FormatError, (await Resolver(server).QueryAsync("example.com", DnsRecordType.A)).Status);
    }

    [Fact]
    public async Task Nodata_and_nxdomain()
    {
        await using var server = new FakeDnsServer(q => q.Question.Name == "example.com"
            ? [Answer(q.Bytes, 0, [], [Soa("example.com", 300, 60)])]
            : [Answer(q.Bytes, 3, [], [Soa("example.com", 300, 60)])]);
        var dns = Resolver(server);
        Assert.Equal(DnsResponseStatus.NoData, (await dns.QueryAsync("example.com", DnsRecordType.MX)).Status);
        var nx = await dns.QueryAsync("nothing.example.com", DnsRecordType.MX);
        Assert.Equal(DnsResponseStatus.NxDomain, nx.Status);
        Assert.False(nx.Status.IsTemporaryFailure());
    }

    [Fact]
    public async Task Ad_bit_is_exposed()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1")], ad: true)]);
        Assert.True((await Resolver(server).QueryAsync("example.com", DnsRecordType.A)).AuthenticatedData);
    }

    [Fact]
    public async Task Cname_chain_in_the_answer_is_followed()
    {
        await using var server = new FakeDnsServer(q => Reply(q,
            Cname("www.example.com", "web.example.com", 100),
            Cname("web.example.com", "host.example.net", 50),
            A("host.example.net", "192.0.2.7", 200),
            A("other.example.net", "6.6.6.6", 200)));
        var r = await Resolver(server).QueryAsync("www.example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal("host.example.net", r.CanonicalName);
        Assert.Equal(IPAddress.Parse("192.0.2.7"), Assert.Single(r.Records<ARecord>()).Address);
    }

    [Fact]
    public async Task Cname_asked_for_is_not_followed()
    {
        await using var server = new FakeDnsServer(q => Reply(q, Cname("www.example.com", "web.example.com")));
        var r = await Resolver(server).QueryAsync("www.example.com", DnsRecordType.CNAME);
        Assert.Equal("web.example.com", Assert.Single(r.Records<CnameRecord>()).Target);
    }

    [Fact]
    public async Task Chain_that_ends_without_the_type_and_without_soa_is_asked_again_at_its_target()
    {
        await using var server = new FakeDnsServer(q => q.Question.Name == "www.example.com"
            ? Reply(q, Cname("www.example.com", "cdn.example.net"))
            : Reply(q, A("cdn.example.net", "192.0.2.8")));
        var r = await Resolver(server).QueryAsync("www.example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal("cdn.example.net", r.CanonicalName);
        Assert.Equal(["www.example.com", "cdn.example.net"], server.Queries.Select(q => q.Question.Name));
    }

    [Fact]
    public async Task Chain_ending_in_nxdomain_is_nxdomain_of_the_target()
    {
        await using var server = new FakeDnsServer(q => [Answer(q.Bytes, 3, [Cname("www.example.com", "gone.example.net")], [Soa("example.net", 60, 30)])]);
        var r = await Resolver(server).QueryAsync("www.example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.NxDomain, r.Status);
        Assert.Equal("gone.example.net", r.CanonicalName);
        Assert.Single(server.Queries);
    }

    [Fact]
    public async Task Cname_loops_and_overlong_chains_are_server_failures()
    {
        await using var server = new FakeDnsServer(q => q.Question.Name == "loop.example"
            ? Reply(q, Cname("loop.example", "loop2.example"), Cname("loop2.example", "loop.example"))
            // c0 -> c1 -> ... each answer holding one link, re-queried each time: a loop across queries.
            : Reply(q, Cname(q.Question.Name, "c" + (int.Parse(q.Question.Name[1..^8]) + 1) + ".example")));
        var dns = Resolver(server);
        Assert.Equal(DnsResponseStatus.ServerFailure, (await dns.QueryAsync("loop.example", DnsRecordType.A)).Status);
        Assert.Equal(DnsResponseStatus.ServerFailure, (await dns.QueryAsync("c0.example", DnsRecordType.A)).Status);
        Assert.Equal(9, server.Queries.Count(q => q.Question.Name.StartsWith('c'))); // c0..c8, then the ninth CNAME is refused
    }

    [Fact]
    public async Task Perfect_forgery_from_another_address_is_dropped()
    {
        // An off-path attacker who guessed port and ID sends the right answer from the wrong
        // address (127.0.0.2) before the real server answers: the connected socket never sees it.
        using var attacker = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        await using var server = new FakeDnsServer(q =>
        {
            attacker.Send(Answer(q.Bytes, 0, [A(q.Question.Name, "6.6.6.6")]), q.From);
            return Reply(q, A(q.Question.Name, "192.0.2.1"));
        });
        var r = await Resolver(server).QueryAsync("example.com", DnsRecordType.A);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), Assert.Single(r.Records<ARecord>()).Address);
    }

    [Fact]
    public async Task Rotate_spreads_queries_over_the_servers()
    {
        await using var one = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.1")));
        await using var two = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.2")));
        var dns = Resolver(o => new DnsStubResolverOptions { Nameservers = o.Nameservers, Timeout = o.Timeout, Attempts = 1, Rotate = true, MaxCacheEntries = 0 }, one, two);
        for (int i = 0; i < 4; i++)
            Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Equal((2, 2), (one.UdpCount, two.UdpCount));
    }

    [Fact]
    public async Task Closed_port_moves_on_without_waiting_for_the_timeout()
    {
        // Nothing listens on the first server's port: ICMP port unreachable ends that try at once.
        var closed = new FakeDnsServer(_ => []);
        var closedEndPoint = closed.EndPoint;
        await closed.DisposeAsync();
        await using var working = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.2")));
        var dns = new DnsStubResolver(new DnsStubResolverOptions
        {
            Nameservers = [closedEndPoint, working.EndPoint], Timeout = TimeSpan.FromSeconds(30), Attempts = 1, Rotate = false,
        });
        var clock = Stopwatch.StartNew();
        Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Cancellation_throws_and_is_not_a_dns_outcome()
    {
        await using var server = new FakeDnsServer(_ => []);
        using var cancel = new CancellationTokenSource();
        var query = Resolver(server).QueryAsync("example.com", DnsRecordType.A, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => query);
    }

    [Fact]
    public async Task Names_are_normalized_and_invalid_ones_are_format_errors_without_a_query()
    {
        await using var server = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "192.0.2.1")));
        var dns = Resolver(server);
        Assert.Equal(DnsResponseStatus.Success, (await dns.QueryAsync("Bücher.Example.", DnsRecordType.A)).Status);
        Assert.Equal("xn--bcher-kva.example", Assert.Single(server.Queries).Question.Name);
        Assert.Equal(DnsResponseStatus.FormatError, (await dns.QueryAsync("a..b.example", DnsRecordType.A)).Status);
        Assert.Single(server.Queries);
    }

    [Fact]
    public async Task Parallel_queries_each_get_their_own_answer()
    {
        await using var server = new FakeDnsServer(q => Reply(q, A(q.Question.Name, "10.0.0." + q.Question.Name[1..^8])));
        var dns = Resolver(server);
        var results = await Task.WhenAll(Enumerable.Range(1, 50).Select(i => dns.QueryAsync($"n{i}.example", DnsRecordType.A)));
        for (int i = 1; i <= 50; i++)
            Assert.Equal(IPAddress.Parse($"10.0.0.{i}"), Assert.Single(results[i - 1].Records<ARecord>()).Address);
    }

    [Fact]
    public async Task Mutated_answers_never_make_the_resolver_throw()
    {
        var random = new Random(7);
        await using var server = new FakeDnsServer(q =>
        {
            byte[] good = Answer(q.Bytes, 0, [Cname(q.Question.Name, "t.example"), A("t.example", "192.0.2.1")], [Soa("example", 60, 60)]);
            byte[] bad = (byte[])good.Clone();
            // Keep ID and question so the mutation is taken as the answer; damage what follows.
            int from = q.Bytes.Length - 11; // header and question end where the query's OPT record starts
            for (int i = 0; i < 3; i++)
                bad[random.Next(from, bad.Length)] = (byte)random.Next(256);
            return [bad];
        });
        var dns = Resolver(o => new DnsStubResolverOptions { Nameservers = o.Nameservers, Timeout = o.Timeout, Attempts = 1, Rotate = false, MaxCacheEntries = 0 }, server);
        var seen = new HashSet<DnsResponseStatus>();
        for (int i = 0; i < 200; i++)
            seen.Add((await dns.QueryAsync($"q{i}.example", DnsRecordType.A)).Status);
        Assert.Contains(DnsResponseStatus.FormatError, seen);
        Assert.Contains(DnsResponseStatus.Success, seen);
    }

    [Fact]
    public async Task Tcp_answer_to_another_question_is_a_format_error()
    {
        await using var server = new FakeDnsServer(q => q.Transport == FakeDnsServer.Transport.Udp
            ? [Answer(q.Bytes, 0, [], truncated: true)]
            : [Answer(q.Bytes, 0, [A(q.Question.Name, "192.0.2.1")], id: (ushort)(((q.Bytes[0] << 8) | q.Bytes[1]) ^ 1))]);
        Assert.Equal(DnsResponseStatus.FormatError, (await Resolver(server).QueryAsync("example.com", DnsRecordType.A)).Status);
        Assert.Equal(1, server.TcpCount);
    }

    private static byte[] WithFlags(byte[] message, int flags)
    {
        message[2] = (byte)(flags >> 8);
        message[3] = (byte)flags;
        return message;
    }
}
