// RFC 7489: policy discovery (6.6.3), alignment (3.1), p/sp (6.3), pct (6.6.4), author domain (6.6.1).
using System.Text;
using Appliance.Dns;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Spf;
using Appliance.Mime;

namespace Appliance.MailAuth.Tests.Dmarc;

public sealed class DmarcEvaluatorTests
{
    private static readonly DmarcInput Nothing = new("other.example", "mx.other.example", SpfVerdict.Pass, []);

    private static DmarcEvaluator Evaluator(FakeDnsResolver dns, DmarcOptions? options = null) => new(dns, options, TestSuffixList.List);

    private static HeaderBlock Header(string text) => HeaderBlock.Parse(Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n") + "\r\n"));

    private static DmarcInput SpfPass(string mailFromDomain) => new(mailFromDomain, "helo.example", SpfVerdict.Pass, []);

    private static DmarcInput DkimPass(string d) => new(null, null, SpfVerdict.None, [new DkimDomainResult(d, true)]);

    // ---- discovery ----

    [Fact]
    public async Task Record_at_the_author_domain()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", "v=DMARC1; p=reject");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("example.com", SpfPass("example.com"));
        Assert.Equal(DmarcVerdict.Pass, r.Verdict);
        Assert.Equal(DmarcPolicy.None, r.AppliedPolicy);
        Assert.True(r.SpfAligned);
        Assert.False(r.DkimAligned);
        Assert.Equal("example.com", r.PolicyDomain);
        Assert.Equal("example.com", r.OrganizationalDomain);
    }

    [Fact]
    public async Task Falls_back_to_the_organizational_domain()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.co.uk", "v=DMARC1; p=reject; sp=quarantine");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("a.b.example.co.uk", Nothing);
        Assert.Equal(DmarcVerdict.Fail, r.Verdict);
        Assert.Equal("example.co.uk", r.PolicyDomain);
        Assert.Equal(DmarcPolicy.Quarantine, r.AppliedPolicy);
        Assert.Equal(
            [("_dmarc.a.b.example.co.uk", DnsRecordType.TXT), ("_dmarc.example.co.uk", DnsRecordType.TXT)],
            dns.Queries);
    }

    [Fact]
    public async Task No_record_anywhere_is_none()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", "v=spf1 -all", "some text");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("mail.example.com", Nothing);
        Assert.Equal(DmarcVerdict.None, r.Verdict);
        Assert.Equal(DmarcPolicy.None, r.AppliedPolicy);
        Assert.Equal(2, dns.QueryCount);
    }

    [Fact]
    public async Task Author_domain_that_is_organizational_is_asked_once()
    {
        var dns = new FakeDnsResolver();
        DmarcResult r = await Evaluator(dns).EvaluateAsync("example.com", Nothing);
        Assert.Equal(DmarcVerdict.None, r.Verdict);
        Assert.Equal(1, dns.QueryCount);
    }

    [Fact]
    public async Task Two_records_mean_no_dmarc_processing()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", "v=DMARC1; p=reject", "v=DMARC1; p=none");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("example.com", Nothing);
        Assert.Equal(DmarcVerdict.PermError, r.Verdict);
        Assert.Equal(DmarcPolicy.None, r.AppliedPolicy);
        Assert.Contains("2 DMARC records", r.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unusable_policy_without_rua_is_permerror_without_policy_and_with_rua_is_p_none()
    {
        var dns = new FakeDnsResolver()
            .AddTxt("_dmarc.a.example", "v=DMARC1; p=whatever")
            .AddTxt("_dmarc.b.example", "v=DMARC1; p=whatever; rua=mailto:r@b.example");
        DmarcResult a = await Evaluator(dns).EvaluateAsync("a.example", Nothing);
        Assert.Equal(DmarcVerdict.PermError, a.Verdict);
        Assert.Equal(DmarcPolicy.None, a.AppliedPolicy);
        DmarcResult b = await Evaluator(dns).EvaluateAsync("b.example", Nothing);
        Assert.Equal(DmarcVerdict.Fail, b.Verdict);
        Assert.Equal(DmarcPolicy.None, b.AppliedPolicy);
        Assert.True(b.Record!.PolicyDefaulted);
    }

    [Theory]
    [InlineData(DnsResponseStatus.ServerFailure)]
    [InlineData(DnsResponseStatus.Timeout)]
    [InlineData(DnsResponseStatus.Refused)]
    public async Task Temporary_failure_at_the_author_domain_is_temperror(DnsResponseStatus status)
    {
        var dns = new FakeDnsResolver().Fail("_dmarc.mail.example.com", status).AddTxt("_dmarc.example.com", "v=DMARC1; p=none");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("mail.example.com", Nothing);
        Assert.Equal(DmarcVerdict.TempError, r.Verdict);
        Assert.Equal(DmarcPolicy.None, r.AppliedPolicy);
        Assert.Equal(1, dns.QueryCount);
    }

    [Fact]
    public async Task Unusable_record_at_the_author_domain_stops_discovery()
    {
        var dns = new FakeDnsResolver()
            .AddTxt("_dmarc.mail.example.com", "v=DMARC1; p=bogus")
            .AddTxt("_dmarc.example.com", "v=DMARC1; p=reject");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("mail.example.com", Nothing);
        Assert.Equal(DmarcVerdict.PermError, r.Verdict);
        Assert.Equal(DmarcPolicy.None, r.AppliedPolicy);
        Assert.Equal(1, dns.QueryCount);
    }

    [Fact]
    public async Task Temporary_failure_at_the_organizational_domain_is_temperror()
    {
        var dns = new FakeDnsResolver().Fail("_dmarc.example.com", DnsResponseStatus.Timeout);
        DmarcResult r = await Evaluator(dns).EvaluateAsync("mail.example.com", Nothing);
        Assert.Equal(DmarcVerdict.TempError, r.Verdict);
    }

    // ---- alignment ----

    [Theory]
    [InlineData(DmarcAlignment.Relaxed, "example.com", "example.com", true)]
    [InlineData(DmarcAlignment.Relaxed, "mail.example.com", "example.com", true)]
    [InlineData(DmarcAlignment.Relaxed, "example.com", "news.example.com", true)]
    [InlineData(DmarcAlignment.Relaxed, "a.example.com", "b.example.com", true)]
    [InlineData(DmarcAlignment.Relaxed, "EXAMPLE.com.", "example.com", true)]
    [InlineData(DmarcAlignment.Relaxed, "example.net", "example.com", false)]
    [InlineData(DmarcAlignment.Relaxed, "example.com.evil.example", "example.com", false)]
    [InlineData(DmarcAlignment.Relaxed, "a.example.co.uk", "b.example.co.uk", true)]
    [InlineData(DmarcAlignment.Relaxed, "example.co.uk", "other.co.uk", false)]
    [InlineData(DmarcAlignment.Relaxed, "one.blogspot.com", "two.blogspot.com", false)]
    [InlineData(DmarcAlignment.Strict, "example.com", "example.com", true)]
    [InlineData(DmarcAlignment.Strict, "Example.COM", "example.com", true)]
    [InlineData(DmarcAlignment.Strict, "mail.example.com", "example.com", false)]
    [InlineData(DmarcAlignment.Strict, "example.com", "mail.example.com", false)]
    public void Alignment_matrix(DmarcAlignment mode, string authenticated, string from, bool aligned)
    {
        var evaluator = Evaluator(new FakeDnsResolver());
        Assert.Equal(aligned, evaluator.Aligned(authenticated, from, TestSuffixList.List.GetOrganizationalDomain(from), mode));
    }

    public static TheoryData<string, DmarcInput, DmarcVerdict, bool, bool> Mechanisms() => new()
    {
        // record, input, verdict, spf aligned, dkim aligned
        { "v=DMARC1; p=reject", SpfPass("bounce.example.com"), DmarcVerdict.Pass, true, false },
        { "v=DMARC1; p=reject; aspf=s", SpfPass("bounce.example.com"), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject; aspf=s", SpfPass("example.com"), DmarcVerdict.Pass, true, false },
        { "v=DMARC1; p=reject", SpfPass("example.net"), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject", new DmarcInput("example.com", null, SpfVerdict.SoftFail, []), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject", new DmarcInput("example.com", null, SpfVerdict.Neutral, []), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject", new DmarcInput("example.com", null, SpfVerdict.TempError, []), DmarcVerdict.Fail, false, false },
        // Null reverse-path: the HELO identity stands in (RFC 7489 3.1.2).
        { "v=DMARC1; p=reject", new DmarcInput(null, "mx.example.com", SpfVerdict.Pass, []), DmarcVerdict.Pass, true, false },
        { "v=DMARC1; p=reject", new DmarcInput("", "mx.example.net", SpfVerdict.Pass, []), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject", DkimPass("example.com"), DmarcVerdict.Pass, false, true },
        { "v=DMARC1; p=reject", DkimPass("sub.example.com"), DmarcVerdict.Pass, false, true },
        { "v=DMARC1; p=reject; adkim=s", DkimPass("sub.example.com"), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject; adkim=s", DkimPass("example.com"), DmarcVerdict.Pass, false, true },
        { "v=DMARC1; p=reject", new DmarcInput(null, null, SpfVerdict.None, [new DkimDomainResult("example.com", false)]), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject", new DmarcInput(null, null, SpfVerdict.None, [new DkimDomainResult("example.net", true), new DkimDomainResult("example.com", false)]), DmarcVerdict.Fail, false, false },
        { "v=DMARC1; p=reject", new DmarcInput(null, null, SpfVerdict.None, [new DkimDomainResult("example.net", true), new DkimDomainResult("mail.example.com", true)]), DmarcVerdict.Pass, false, true },
        { "v=DMARC1; p=reject", new DmarcInput("example.com", null, SpfVerdict.Pass, [new DkimDomainResult("example.com", true)]), DmarcVerdict.Pass, true, true },
    };

    [Theory]
    [MemberData(nameof(Mechanisms))]
    public async Task Spf_and_dkim_alignment(string record, DmarcInput input, DmarcVerdict verdict, bool spfAligned, bool dkimAligned)
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", record);
        DmarcResult r = await Evaluator(dns).EvaluateAsync("example.com", input);
        Assert.Equal(verdict, r.Verdict);
        Assert.Equal(spfAligned, r.SpfAligned);
        Assert.Equal(dkimAligned, r.DkimAligned);
        Assert.Equal(verdict == DmarcVerdict.Fail ? DmarcPolicy.Reject : DmarcPolicy.None, r.AppliedPolicy);
    }

    // ---- policy selection ----

    [Theory]
    [InlineData("example.com", "v=DMARC1; p=reject; sp=quarantine", DmarcPolicy.Reject)]
    [InlineData("sub.example.com", "v=DMARC1; p=reject; sp=quarantine", DmarcPolicy.Quarantine)]
    [InlineData("sub.example.com", "v=DMARC1; p=quarantine; sp=none", DmarcPolicy.None)]
    [InlineData("sub.example.com", "v=DMARC1; p=quarantine", DmarcPolicy.Quarantine)]
    [InlineData("example.com", "v=DMARC1; p=none; sp=reject", DmarcPolicy.None)]
    public async Task P_and_sp(string from, string record, DmarcPolicy expected)
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", record);
        DmarcResult r = await Evaluator(dns).EvaluateAsync(from, Nothing);
        Assert.Equal(DmarcVerdict.Fail, r.Verdict);
        Assert.Equal(expected, r.AppliedPolicy);
    }

    [Fact]
    public async Task A_subdomain_with_its_own_record_uses_its_p_not_the_parents_sp()
    {
        var dns = new FakeDnsResolver()
            .AddTxt("_dmarc.example.com", "v=DMARC1; p=reject; sp=reject")
            .AddTxt("_dmarc.sub.example.com", "v=DMARC1; p=none; sp=reject");
        DmarcResult r = await Evaluator(dns).EvaluateAsync("sub.example.com", Nothing);
        Assert.Equal(DmarcPolicy.None, r.AppliedPolicy);
        Assert.Equal("sub.example.com", r.PolicyDomain);
    }

    // ---- pct ----

    private sealed class FixedRandom(int value) : Random
    {
        public int Calls { get; private set; }

        public override int Next(int maxValue)
        {
            Calls++;
            return value;
        }
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject; pct=30", 29, DmarcPolicy.Reject, false)]
    [InlineData("v=DMARC1; p=reject; pct=30", 30, DmarcPolicy.Quarantine, true)]
    [InlineData("v=DMARC1; p=quarantine; pct=30", 0, DmarcPolicy.Quarantine, false)]
    [InlineData("v=DMARC1; p=quarantine; pct=30", 99, DmarcPolicy.None, true)]
    [InlineData("v=DMARC1; p=reject; pct=0", 0, DmarcPolicy.Quarantine, true)]
    [InlineData("v=DMARC1; p=reject; pct=1", 0, DmarcPolicy.Reject, false)]
    public async Task Pct_sampling_with_injected_randomness(string record, int draw, DmarcPolicy expected, bool sampledOut)
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", record);
        var random = new FixedRandom(draw);
        DmarcResult r = await Evaluator(dns, new DmarcOptions { Random = random }).EvaluateAsync("example.com", Nothing);
        Assert.Equal(DmarcVerdict.Fail, r.Verdict);
        Assert.Equal(expected, r.AppliedPolicy);
        Assert.Equal(sampledOut, r.SampledOut);
        Assert.Equal(1, random.Calls);
    }

    [Theory]
    [InlineData("v=DMARC1; p=reject")]
    [InlineData("v=DMARC1; p=none; pct=10")]
    public async Task No_draw_when_pct_is_100_or_policy_none(string record)
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", record);
        var random = new FixedRandom(99);
        DmarcResult r = await Evaluator(dns, new DmarcOptions { Random = random }).EvaluateAsync("example.com", Nothing);
        Assert.False(r.SampledOut);
        Assert.Equal(0, random.Calls);
    }

    [Fact]
    public async Task Passing_mail_is_never_sampled()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
        var random = new FixedRandom(0);
        DmarcResult r = await Evaluator(dns, new DmarcOptions { Random = random }).EvaluateAsync("example.com", SpfPass("example.com"));
        Assert.Equal(DmarcVerdict.Pass, r.Verdict);
        Assert.Equal(0, random.Calls);
    }

    // ---- author domain from the header (RFC 7489 6.6.1) ----

    private static FakeDnsResolver TwoDomains() => new FakeDnsResolver()
        .AddTxt("_dmarc.example.com", "v=DMARC1; p=reject")
        .AddTxt("_dmarc.example.net", "v=DMARC1; p=quarantine");

    [Fact]
    public async Task From_header_gives_the_author_domain()
    {
        DmarcResult r = await Evaluator(TwoDomains()).EvaluateAsync(Header("From: \"Ann\" <ann@Mail.Example.COM>\nTo: b@example.org\n"), SpfPass("example.com"));
        Assert.Equal(DmarcVerdict.Pass, r.Verdict);
        Assert.Equal("mail.example.com", r.FromDomain);
    }

    [Theory]
    [InlineData("To: b@example.org\n", "no From field")]
    [InlineData("From: a@example.com\nFrom: b@example.com\n", "2 From fields")]
    [InlineData("From: undisclosed-recipients:;\n", "without a mailbox")]
    [InlineData("From: \n", "without a mailbox")]
    [InlineData("From: Ann <ann>\n", "no usable domain")]
    [InlineData("From: ann@[192.0.2.1]\n", "no usable domain")]
    [InlineData("From: ann@localhost\n", "no usable domain")]
    [InlineData("From: a@example.com, b\n", "no usable domain")]
    public async Task Undeterminable_author_domain_is_permerror_with_reject(string header, string reason)
    {
        var dns = TwoDomains();
        DmarcResult r = await Evaluator(dns).EvaluateAsync(Header(header), SpfPass("example.com"));
        Assert.Equal(DmarcVerdict.PermError, r.Verdict);
        Assert.Equal(DmarcPolicy.Reject, r.AppliedPolicy);
        Assert.Null(r.FromDomain);
        Assert.Contains(reason, r.Reason, StringComparison.Ordinal);
        Assert.Equal(0, dns.QueryCount);
    }

    [Fact]
    public async Task Fail_safe_policy_is_an_option()
    {
        var options = new DmarcOptions { MalformedFromPolicy = DmarcPolicy.Quarantine };
        DmarcResult r = await Evaluator(TwoDomains(), options).EvaluateAsync(Header("Subject: x\n"), Nothing);
        Assert.Equal(DmarcVerdict.PermError, r.Verdict);
        Assert.Equal(DmarcPolicy.Quarantine, r.AppliedPolicy);
    }

    [Fact]
    public async Task Several_mailboxes_the_strictest_failing_policy_applies()
    {
        // example.com fails (reject), example.net fails (quarantine): reject.
        DmarcResult both = await Evaluator(TwoDomains()).EvaluateAsync(Header("From: a@example.net, b@example.com\n"), Nothing);
        Assert.Equal(DmarcVerdict.Fail, both.Verdict);
        Assert.Equal(DmarcPolicy.Reject, both.AppliedPolicy);
        Assert.Equal("example.com", both.FromDomain);

        // example.com passes through SPF, example.net fails: the failure stands.
        DmarcResult one = await Evaluator(TwoDomains()).EvaluateAsync(Header("From: a@example.com, b@example.net\n"), SpfPass("example.com"));
        Assert.Equal(DmarcVerdict.Fail, one.Verdict);
        Assert.Equal(DmarcPolicy.Quarantine, one.AppliedPolicy);
        Assert.Equal("example.net", one.FromDomain);
    }

    [Fact]
    public async Task Several_mailboxes_of_one_domain_are_evaluated_once()
    {
        var dns = TwoDomains();
        DmarcResult r = await Evaluator(dns).EvaluateAsync(Header("From: a@example.com, B@EXAMPLE.COM\n"), SpfPass("example.com"));
        Assert.Equal(DmarcVerdict.Pass, r.Verdict);
        Assert.Equal(1, dns.QueryCount);
    }

    [Fact]
    public async Task Several_mailboxes_a_temporary_error_wins()
    {
        var dns = TwoDomains().Fail("_dmarc.example.org", DnsResponseStatus.ServerFailure);
        DmarcResult r = await Evaluator(dns).EvaluateAsync(Header("From: a@example.com, b@example.org\n"), Nothing);
        Assert.Equal(DmarcVerdict.TempError, r.Verdict);
    }

    [Fact]
    public async Task Default_list_comes_from_the_path_option()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.example.co.uk", "v=DMARC1; p=reject");
        var evaluator = new DmarcEvaluator(dns, new DmarcOptions { PublicSuffixListPath = PublicSuffixList.DefaultPath });
        DmarcResult r = await evaluator.EvaluateAsync("mail.example.co.uk", Nothing);
        Assert.Equal("example.co.uk", r.OrganizationalDomain);
        Assert.Equal(DmarcPolicy.Reject, r.AppliedPolicy);
    }
}
