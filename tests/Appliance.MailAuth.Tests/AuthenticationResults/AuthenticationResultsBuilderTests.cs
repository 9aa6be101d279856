using Appliance.MailAuth.Dkim;
// RFC 8601 Authentication-Results output, checked as exact strings.
using System.Net;
using Appliance.MailAuth.AuthenticationResults;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Tests.AuthenticationResults;

public sealed class AuthenticationResultsBuilderTests
{
    private static SpfResult Spf(SpfVerdict verdict, string reason = "r") =>
        new(verdict, IPAddress.Parse("192.0.2.1"), "example.net", "sender@example.net", "mail.example.net", "-all", null, reason);

    private static DmarcResult Dmarc(DmarcVerdict verdict, string? from = "example.com", string reason = "r") =>
        new(verdict, DmarcPolicy.None, from, from, from, null, false, false, false, reason);

    [Fact]
    public void No_results_is_none()
    {
        Assert.Equal("Authentication-Results: mx.example.org; none", new AuthenticationResultsBuilder("mx.example.org").Build());
    }

    [Fact]
    public void Spf_dkim_and_dmarc()
    {
        string field = new AuthenticationResultsBuilder("mx.example.org")
            .AddSpf(Spf(SpfVerdict.Pass))
            .AddDkim(new DkimResult(DkimVerdict.Pass, "example.com", "sel2024", "rsa-sha256", "verified"))
            .AddDkim(new DkimResult(DkimVerdict.Fail, "example.org", null, "rsa-sha256", "signature did not verify"))
            .AddDkim(new DkimResult(DkimVerdict.TempError, "example.net", "s1", "ed25519-sha256", "key lookup: SERVFAIL"))
            .AddDkim(new DkimResult(DkimVerdict.PermError, null, null, null, "no d= tag"))
            .AddDmarc(Dmarc(DmarcVerdict.Pass))
            .Build();
        Assert.Equal(
            "Authentication-Results: mx.example.org;\r\n"
            + "\tspf=pass smtp.mailfrom=example.net;\r\n"
            + "\tdkim=pass header.d=example.com header.s=sel2024;\r\n"
            + "\tdkim=fail reason=\"signature did not verify\" header.d=example.org;\r\n"
            + "\tdkim=temperror reason=\"key lookup: SERVFAIL\" header.d=example.net header.s=s1;\r\n"
            + "\tdkim=permerror reason=\"no d= tag\";\r\n"
            + "\tdmarc=pass header.from=example.com",
            field);
    }

    [Fact]
    public void Helo_identity_uses_smtp_helo()
    {
        Assert.Equal(
            "Authentication-Results: mx.example.org;\r\n\tspf=none smtp.helo=mail.example.net",
            new AuthenticationResultsBuilder("mx.example.org").AddSpf(Spf(SpfVerdict.None), SpfIdentity.Helo).Build());
    }

    [Fact]
    public void Errors_carry_the_reason_quoted_with_escapes()
    {
        string field = new AuthenticationResultsBuilder("mx.example.org")
            .AddSpf(Spf(SpfVerdict.PermError, "2 SPF records at \"example.net\""))
            .AddDmarc(Dmarc(DmarcVerdict.TempError, reason: "DNS Timeout looking up TXT of _dmarc.example.com"))
            .Build();
        Assert.Equal(
            "Authentication-Results: mx.example.org;\r\n"
            + "\tspf=permerror reason=\"2 SPF records at \\\"example.net\\\"\" smtp.mailfrom=example.net;\r\n"
            + "\tdmarc=temperror reason=\"DNS Timeout looking up TXT of _dmarc.example.com\" header.from=example.com",
            field);
    }

    [Fact]
    public void Dmarc_without_author_domain_has_no_header_from()
    {
        Assert.Equal(
            "Authentication-Results: mx.example.org;\r\n\tdmarc=permerror reason=\"no From field\"",
            new AuthenticationResultsBuilder("mx.example.org").AddDmarc(Dmarc(DmarcVerdict.PermError, null, "no From field")).Build());
    }

    [Theory]
    [InlineData(SpfVerdict.SoftFail, "softfail")]
    [InlineData(SpfVerdict.Neutral, "neutral")]
    [InlineData(SpfVerdict.Fail, "fail")]
    public void Spf_result_keywords(SpfVerdict verdict, string keyword)
    {
        Assert.Equal(
            $"Authentication-Results: mx.example.org;\r\n\tspf={keyword} smtp.mailfrom=example.net",
            new AuthenticationResultsBuilder("mx.example.org").AddSpf(Spf(verdict)).Build());
    }

    [Fact]
    public void Property_values_addresses_tokens_and_quoting()
    {
        string field = new AuthenticationResultsBuilder("mx.example.org")
            .Add("auth", "pass", null,
                new AuthenticationResultProperty("smtp", "auth", "user@example.com"),
                new AuthenticationResultProperty("smtp", "mailfrom", "@example.com"),
                new AuthenticationResultProperty("x", "note", "has space"),
                new AuthenticationResultProperty("x", "weird", "a;b"))
            .Add("iprev", "pass", "ok", new AuthenticationResultProperty("policy", "iprev", "192.0.2.1"))
            .Build();
        Assert.Equal(
            "Authentication-Results: mx.example.org;\r\n"
            + "\tauth=pass smtp.auth=user@example.com smtp.mailfrom=@example.com x.note=\"has space\" x.weird=\"a;b\";\r\n"
            + "\tiprev=pass reason=ok policy.iprev=192.0.2.1",
            field);
    }

    [Fact]
    public void Output_reparses_as_one_header_field()
    {
        string field = new AuthenticationResultsBuilder("mx.example.org")
            .AddSpf(Spf(SpfVerdict.PermError, "a \"quoted\" (reason)"))
            .AddDkim(new DkimResult(DkimVerdict.Pass, "example.com", "s", "rsa-sha256", "verified"))
            .AddDmarc(Dmarc(DmarcVerdict.Fail))
            .Build();
        var block = Appliance.Mime.HeaderBlock.Parse(System.Text.Encoding.ASCII.GetBytes(field + "\r\n\r\n"));
        var parsed = Assert.Single(block);
        Assert.Equal("Authentication-Results", parsed.Name);
        Assert.Equal(field["Authentication-Results: ".Length..].Replace("\r\n", "", StringComparison.Ordinal), parsed.Value);
        Assert.True(block.IsComplete);
    }

    [Fact]
    public void Line_breaks_in_values_cannot_start_a_new_field()
    {
        string field = new AuthenticationResultsBuilder("mx.example.org\r\nX-Evil: 1")
            .Add("x", "pass", "bad\r\nX-Injected: 1", new AuthenticationResultProperty("x", "y", "v\nX-Other: 2"))
            .Build();
        Assert.Equal(
            "Authentication-Results: \"mx.example.org  X-Evil: 1\";\r\n\tx=pass reason=\"bad  X-Injected: 1\" x.y=\"v X-Other: 2\"",
            field);
    }

    [Fact]
    public void Authserv_id_that_is_not_a_token_is_quoted()
    {
        Assert.Equal("Authentication-Results: \"mx example\"; none", new AuthenticationResultsBuilder("mx example").Build());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sp f")]
    [InlineData("spf;")]
    [InlineData("-spf")]
    public void Method_must_be_a_keyword(string method)
    {
        Assert.ThrowsAny<ArgumentException>(() => new AuthenticationResultsBuilder("mx.example.org").Add(method, "pass"));
    }
}
