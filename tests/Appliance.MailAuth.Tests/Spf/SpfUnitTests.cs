// RFC 7208 section 7 (macro expander) and 4.6.4 (option-driven limits), tested below the evaluator.
using System.Net;
using Appliance.Dns;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Tests.Spf;

public sealed class SpfUnitTests
{
    private static readonly SpfMacroContext Rfc74 = new(
        "strong-bad@email.example.com", "strong-bad", "email.example.com", "email.example.com",
        IPAddress.Parse("192.0.2.3"), "helo.example", "receiver.example", 0) { ValidatedName = "mx.example.org" };

    // RFC 7208 7.4, the first table, one macro at a time.
    [Theory]
    [InlineData("%{s}", "strong-bad@email.example.com")]
    [InlineData("%{o}", "email.example.com")]
    [InlineData("%{d}", "email.example.com")]
    [InlineData("%{d4}", "email.example.com")]
    [InlineData("%{d3}", "email.example.com")]
    [InlineData("%{d2}", "example.com")]
    [InlineData("%{d1}", "com")]
    [InlineData("%{dr}", "com.example.email")]
    [InlineData("%{d2r}", "example.email")]
    [InlineData("%{l}", "strong-bad")]
    [InlineData("%{l-}", "strong.bad")]
    [InlineData("%{lr}", "strong-bad")]
    [InlineData("%{lr-}", "bad.strong")]
    [InlineData("%{l1r-}", "strong")]
    [InlineData("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com")]
    [InlineData("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com")]
    [InlineData("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com")]
    [InlineData("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net")]
    [InlineData("%{p}", "mx.example.org")]
    [InlineData("%{h}", "helo.example")]
    [InlineData("%%%_%-", "% %20")]
    public void Rfc_7208_7_4_examples(string macro, string expected)
    {
        Assert.True(SpfMacro.TryExpand(macro, Rfc74, explanation: false, out string result));
        Assert.Equal(expected, result);
    }

    [Fact]
    public void Rfc_7208_7_4_ipv6_example()
    {
        var context = Rfc74 with { Ip = IPAddress.Parse("2001:db8::cb01") };
        Assert.True(SpfMacro.TryExpand("%{ir}.%{v}._spf.%{d2}", context, explanation: false, out string result));
        Assert.Equal("1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com", result);
    }

    [Theory]
    [InlineData("%{c}")]
    [InlineData("%{r}")]
    [InlineData("%{t}")]
    [InlineData("%{d0}")]
    [InlineData("%{x}")]
    [InlineData("%{d")]
    [InlineData("%")]
    [InlineData("%x")]
    [InlineData("%{}")]
    [InlineData("%{d!}")]
    [InlineData("a b")]
    public void Syntax_errors_outside_explanations(string macro)
    {
        Assert.False(SpfMacro.TryExpand(macro, Rfc74, explanation: false, out _));
    }

    [Fact]
    public void Explanation_letters_and_spaces()
    {
        Assert.True(SpfMacro.TryExpand("%{c} at %{r} t=%{t}", Rfc74, explanation: true, out string result));
        Assert.Equal("192.0.2.3 at receiver.example t=0", result);
    }

    [Fact]
    public async Task Lookup_limit_is_an_option()
    {
        var dns = new FakeDnsResolver()
            .AddTxt("example.com", "v=spf1 a:a1.example.com a:a2.example.com all")
            .AddAddress("a1.example.com", "198.51.100.1").AddAddress("a2.example.com", "198.51.100.2");
        var strict = new SpfEvaluator(dns, new SpfOptions { MaxDnsLookups = 1 });
        var ip = IPAddress.Parse("192.0.2.1");
        Assert.Equal(SpfVerdict.PermError, (await strict.CheckHostAsync(ip, "example.com", "a@example.com", null)).Verdict);
        Assert.Equal(SpfVerdict.Pass, (await new SpfEvaluator(dns).CheckHostAsync(ip, "example.com", "a@example.com", null)).Verdict);
    }

    [Fact]
    public async Task Void_limit_is_an_option()
    {
        var dns = new FakeDnsResolver().AddTxt("example.com", "v=spf1 a:void.example.com all");
        var strict = new SpfEvaluator(dns, new SpfOptions { MaxVoidLookups = 0 });
        Assert.Equal(SpfVerdict.PermError, (await strict.CheckHostAsync(IPAddress.Parse("192.0.2.1"), "example.com", "a@example.com", null)).Verdict);
    }

    [Fact]
    public async Task A_record_is_fetched_once_and_the_query_count_matches_the_terms()
    {
        var dns = new FakeDnsResolver().AddTxt("example.com", "v=spf1 ip4:198.51.100.1 a -all").AddAddress("example.com", "192.0.2.1");
        SpfResult result = await new SpfEvaluator(dns).CheckHostAsync(IPAddress.Parse("192.0.2.1"), "example.com", "a@example.com", null);
        Assert.Equal(SpfVerdict.Pass, result.Verdict);
        Assert.Equal([("example.com", DnsRecordType.TXT), ("example.com", DnsRecordType.A)], dns.Queries);
    }

    /// <summary>A resolver whose answers never come, until the question is cancelled.</summary>
    private sealed class HangingResolver : IDnsResolver
    {
        public async Task<DnsResponse> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }

    [Fact]
    public async Task Elapsed_time_limit_gives_temperror()
    {
        var evaluator = new SpfEvaluator(new HangingResolver(), new SpfOptions { MaxEvaluationTime = TimeSpan.FromMilliseconds(50) });
        SpfResult result = await evaluator.CheckHostAsync(IPAddress.Parse("192.0.2.1"), "example.com", "a@example.com", null);
        Assert.Equal(SpfVerdict.TempError, result.Verdict);
        Assert.Contains("longer than", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Caller_cancellation_is_not_a_temperror()
    {
        var evaluator = new SpfEvaluator(new HangingResolver());
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            evaluator.CheckHostAsync(IPAddress.Parse("192.0.2.1"), "example.com", "a@example.com", null, cts.Token));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        var dns = new FakeDnsResolver().AddTxt("example.com", "v=spf1 -all");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SpfEvaluator(dns).CheckHostAsync(IPAddress.Parse("192.0.2.1"), "example.com", "a@example.com", null, cts.Token));
    }
}
