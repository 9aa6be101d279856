using System.Net;

namespace Appliance.Dns.Tests;

public sealed class FakeDnsResolverTests
{
    [Fact]
    public async Task Answers_records_nodata_and_nxdomain()
    {
        var dns = new FakeDnsResolver()
            .AddAddress("Mail.Example.COM.", "192.0.2.1", "2001:db8::1")
            .AddMx("example.com", 10, "mail.example.com.");

        var a = await dns.QueryAsync("mail.example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, a.Status);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), Assert.Single(a.Records<ARecord>()).Address);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), Assert.Single((await dns.QueryAsync("MAIL.example.com.", DnsRecordType.AAAA)).Records<AaaaRecord>()).Address);
        Assert.Equal("mail.example.com", Assert.Single((await dns.QueryAsync("example.com", DnsRecordType.MX)).Records<MxRecord>()).Exchange);
        Assert.Equal(DnsResponseStatus.NoData, (await dns.QueryAsync("example.com", DnsRecordType.TXT)).Status);
        Assert.Equal(DnsResponseStatus.NxDomain, (await dns.QueryAsync("nothing.example.com", DnsRecordType.A)).Status);
        Assert.Equal(5, dns.QueryCount);
        Assert.Equal(("mail.example.com", DnsRecordType.AAAA), dns.Queries[1]);
    }

    [Fact]
    public async Task Long_txt_is_split_into_255_octet_strings_and_joined_again()
    {
        string text = "v=DKIM1; k=rsa; p=" + new string('A', 400);
        var dns = new FakeDnsResolver().AddTxt("sel._domainkey.example.com", text);
        var txt = Assert.Single((await dns.QueryAsync("sel._domainkey.example.com", DnsRecordType.TXT)).Records<TxtRecord>());
        Assert.Equal([255, 163], txt.Strings.Select(s => s.Length));
        Assert.Equal(text, txt.Text);
    }

    [Fact]
    public async Task Cname_chains_are_followed_and_loops_fail()
    {
        var dns = new FakeDnsResolver()
            .AddCname("www.example.com", "web.example.com")
            .AddCname("web.example.com", "host.example.net")
            .AddAddress("host.example.net", "192.0.2.7")
            .AddCname("loop1.example.com", "loop2.example.com")
            .AddCname("loop2.example.com", "loop1.example.com");

        var r = await dns.QueryAsync("www.example.com", DnsRecordType.A);
        Assert.Equal(DnsResponseStatus.Success, r.Status);
        Assert.Equal("host.example.net", r.CanonicalName);
        Assert.Equal(DnsResponseStatus.ServerFailure, (await dns.QueryAsync("loop1.example.com", DnsRecordType.A)).Status);
        Assert.Equal("web.example.com", Assert.Single((await dns.QueryAsync("www.example.com", DnsRecordType.CNAME)).Records<CnameRecord>()).Target);
    }

    [Fact]
    public async Task Failures_are_injected_per_name_and_type_and_are_temporary()
    {
        var dns = new FakeDnsResolver()
            .AddTxt("example.com", "v=spf1 -all")
            .Fail("example.com", DnsResponseStatus.ServerFailure, DnsRecordType.TXT)
            .Fail("down.example", DnsResponseStatus.Timeout);

        var txt = await dns.QueryAsync("example.com", DnsRecordType.TXT);
        Assert.Equal(DnsResponseStatus.ServerFailure, txt.Status);
        Assert.True(txt.Status.IsTemporaryFailure());
        Assert.Equal(DnsResponseStatus.NoData, (await dns.QueryAsync("example.com", DnsRecordType.MX)).Status);
        Assert.Equal(DnsResponseStatus.Timeout, (await dns.QueryAsync("down.example", DnsRecordType.MX)).Status);
        Assert.False(DnsResponseStatus.NxDomain.IsTemporaryFailure());
        Assert.Throws<ArgumentOutOfRangeException>(() => dns.Fail("x.example", DnsResponseStatus.NoData));
    }

    [Theory]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("_dmarc.Example.com.", "_dmarc.example.com")]
    [InlineData(".", "")]
    public void Names_normalize(string input, string expected) => Assert.Equal(expected, DnsName.Normalize(input));

    [Theory]
    [InlineData("a..b.example")]
    [InlineData("-")]
    public async Task Malformed_names_are_format_errors(string name)
    {
        if (name == "-")
            name = new string('a', 64) + ".example";
        Assert.Equal(DnsResponseStatus.FormatError, (await new FakeDnsResolver().QueryAsync(name, DnsRecordType.A)).Status);
    }
}
