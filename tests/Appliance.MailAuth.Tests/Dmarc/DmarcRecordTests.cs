// RFC 7489 6.3 / 6.4 record parsing and 6.6.3 invalid-policy handling.
using Appliance.MailAuth.Dmarc;

namespace Appliance.MailAuth.Tests.Dmarc;

public sealed class DmarcRecordTests
{
    [Fact]
    public void Minimal_record_takes_the_defaults()
    {
        Assert.True(DmarcRecord.TryParse("v=DMARC1; p=reject", out var r, out _));
        Assert.Equal(DmarcPolicy.Reject, r.Policy);
        Assert.Null(r.SubdomainPolicy);
        Assert.Equal(DmarcAlignment.Relaxed, r.DkimAlignment);
        Assert.Equal(DmarcAlignment.Relaxed, r.SpfAlignment);
        Assert.Equal(100, r.Percent);
        Assert.Equal(["0"], r.FailureOptions);
        Assert.Equal(["afrf"], r.ReportFormats);
        Assert.Equal(86400u, r.ReportInterval);
        Assert.Empty(r.AggregateReportUris);
        Assert.Empty(r.Warnings);
        Assert.False(r.PolicyDefaulted);
    }

    [Fact]
    public void Every_tag()
    {
        Assert.True(DmarcRecord.TryParse(
            "v=DMARC1; p=quarantine; sp=none; adkim=s; aspf=s; pct=50; rua=mailto:agg@example.com!10m, mailto:b@example.net; "
            + "ruf=mailto:f@example.com!512k; fo=1:d; rf=afrf; ri=3600; future=ignored;", out var r, out _));
        Assert.Equal(DmarcPolicy.Quarantine, r.Policy);
        Assert.Equal(DmarcPolicy.None, r.SubdomainPolicy);
        Assert.Equal(DmarcAlignment.Strict, r.DkimAlignment);
        Assert.Equal(DmarcAlignment.Strict, r.SpfAlignment);
        Assert.Equal(50, r.Percent);
        Assert.Equal(2, r.AggregateReportUris.Count);
        Assert.Equal("mailto:agg@example.com", r.AggregateReportUris[0].Uri.OriginalString);
        Assert.Equal(10L * 1024 * 1024, r.AggregateReportUris[0].MaxBytes);
        Assert.Null(r.AggregateReportUris[1].MaxBytes);
        Assert.Equal(512L * 1024, r.FailureReportUris.Single().MaxBytes);
        Assert.Equal(["1", "d"], r.FailureOptions);
        Assert.Equal(3600u, r.ReportInterval);
        Assert.Empty(r.Warnings);
    }

    [Theory]
    [InlineData("v = DMARC1 ; p = none ;")]
    [InlineData("v=DMARC1;p=NONE")]
    [InlineData("v=DMARC1;\tp=none;\t")]
    public void Whitespace_and_value_case(string text)
    {
        Assert.True(DmarcRecord.TryParse(text, out var r, out _));
        Assert.Equal(DmarcPolicy.None, r.Policy);
    }

    [Theory]
    [InlineData("v=DMARC2; p=none")]
    [InlineData("p=none; v=DMARC1")]
    [InlineData("v=dmarc1; p=none")]
    [InlineData("v=spf1 -all")]
    [InlineData("")]
    public void Not_a_dmarc_record(string text)
    {
        Assert.False(DmarcRecord.IsDmarcRecord(text));
        Assert.False(DmarcRecord.TryParse(text, out _, out _));
    }

    [Theory]
    [InlineData("v=DMARC1; p=bogus; rua=mailto:a@example.com")]
    [InlineData("v=DMARC1; rua=mailto:a@example.com")]
    [InlineData("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com")]
    public void Invalid_policy_with_valid_rua_is_p_none(string text)
    {
        Assert.True(DmarcRecord.TryParse(text, out var r, out _));
        Assert.Equal(DmarcPolicy.None, r.Policy);
        Assert.Null(r.SubdomainPolicy);
        Assert.True(r.PolicyDefaulted);
        Assert.NotEmpty(r.Warnings);
    }

    [Theory]
    [InlineData("v=DMARC1; p=bogus")]
    [InlineData("v=DMARC1")]
    [InlineData("v=DMARC1; p=reject; sp=bogus")]
    [InlineData("v=DMARC1; p=bogus; rua=not a uri")]
    public void Invalid_policy_without_valid_rua_means_no_processing(string text)
    {
        Assert.True(DmarcRecord.IsDmarcRecord(text));
        Assert.False(DmarcRecord.TryParse(text, out _, out string error));
        Assert.Contains("p", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pct=101")]
    [InlineData("pct=-1")]
    [InlineData("pct=abc")]
    [InlineData("pct=")]
    [InlineData("adkim=x")]
    [InlineData("aspf=relaxed")]
    [InlineData("fo=2")]
    [InlineData("ri=-5")]
    [InlineData("rf=a b")]
    public void Invalid_other_tags_fall_back_to_defaults(string tag)
    {
        Assert.True(DmarcRecord.TryParse("v=DMARC1; p=reject; " + tag, out var r, out _));
        Assert.Equal(DmarcPolicy.Reject, r.Policy);
        Assert.Equal(100, r.Percent);
        Assert.Equal(DmarcAlignment.Relaxed, r.DkimAlignment);
        Assert.Equal(DmarcAlignment.Relaxed, r.SpfAlignment);
        Assert.Equal(["0"], r.FailureOptions);
        Assert.Equal(86400u, r.ReportInterval);
        Assert.Equal(["afrf"], r.ReportFormats);
        Assert.Single(r.Warnings);
    }

    [Theory]
    [InlineData("pct=0", 0)]
    [InlineData("pct=1", 1)]
    [InlineData("pct=100", 100)]
    public void Pct_range(string tag, int expected)
    {
        Assert.True(DmarcRecord.TryParse("v=DMARC1; p=reject; " + tag, out var r, out _));
        Assert.Equal(expected, r.Percent);
    }
}
