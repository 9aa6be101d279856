// RFC 7208 section 9.1: Received-SPF output, checked as exact strings.
using System.Net;
using Appliance.Dns;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Tests.Spf;

public sealed class ReceivedSpfHeaderTests
{
    private static SpfResult Result(SpfVerdict verdict, string ip = "192.0.2.1", string? mechanism = "ip4:192.0.2.0/24", string reason = "r") =>
        new(verdict, IPAddress.Parse(ip), "example.com", "myname@example.com", "foo.example.com", mechanism, null, reason);

    [Fact]
    public void Pass_matches_the_rfc_example_shape()
    {
        Assert.Equal(
            "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) "
            + "client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; helo=foo.example.com; receiver=mybox.example.org; "
            + "identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\";",
            ReceivedSpfHeader.Format(Result(SpfVerdict.Pass), "mybox.example.org"));
    }

    [Fact]
    public void Fail_with_ipv6_quotes_the_address()
    {
        Assert.Equal(
            "Received-SPF: fail (mybox.example.org: domain of myname@example.com does not designate 2001:db8::1 as permitted sender) "
            + "client-ip=\"2001:db8::1\"; envelope-from=\"myname@example.com\"; helo=foo.example.com; receiver=mybox.example.org; "
            + "identity=mailfrom; mechanism=-all;",
            ReceivedSpfHeader.Format(Result(SpfVerdict.Fail, "2001:db8::1", "-all"), "mybox.example.org"));
    }

    [Fact]
    public void Errors_carry_a_quoted_problem_and_escaped_comment()
    {
        var result = new SpfResult(SpfVerdict.PermError, IPAddress.Parse("192.0.2.1"), "example.com", "a\"b(c)@example.com", null, null, null,
            "2 SPF records at example.com");
        Assert.Equal(
            "Received-SPF: permerror (mx.example: permanent error in processing domain of a\"b\\(c\\)@example.com) "
            + "client-ip=192.0.2.1; envelope-from=\"a\\\"b(c)@example.com\"; problem=\"2 SPF records at example.com\"; "
            + "receiver=mx.example; identity=mailfrom;",
            ReceivedSpfHeader.Format(result, "mx.example"));
    }

    [Theory]
    [InlineData(SpfVerdict.SoftFail, "softfail (mx.example: domain of transitioning myname@example.com does not designate 192.0.2.1 as permitted sender)")]
    [InlineData(SpfVerdict.Neutral, "neutral (mx.example: 192.0.2.1 is neither permitted nor denied by domain of myname@example.com)")]
    [InlineData(SpfVerdict.None, "none (mx.example: domain of myname@example.com does not designate permitted sender hosts)")]
    [InlineData(SpfVerdict.TempError, "temperror (mx.example: error in processing during lookup of myname@example.com)")]
    public void Each_result_has_its_keyword_and_comment(SpfVerdict verdict, string start)
    {
        Assert.StartsWith("Received-SPF: " + start + " client-ip=192.0.2.1;", ReceivedSpfHeader.Format(Result(verdict, mechanism: null), "mx.example"));
    }

    [Fact]
    public void Output_reparses_as_one_header_field()
    {
        string field = ReceivedSpfHeader.Format(Result(SpfVerdict.Fail, "2001:db8::1", "-all"), "mybox.example.org");
        var block = Appliance.Mime.HeaderBlock.Parse(System.Text.Encoding.ASCII.GetBytes(field + "\r\n\r\n"));
        var parsed = Assert.Single(block);
        Assert.Equal("Received-SPF", parsed.Name);
        Assert.Equal(field["Received-SPF: ".Length..], parsed.Value);
    }

    [Fact]
    public void Helo_identity_names_the_helo()
    {
        var result = new SpfResult(SpfVerdict.Pass, IPAddress.Parse("192.0.2.1"), "foo.example.com", "postmaster@foo.example.com", "foo.example.com", "a", null, "r");
        Assert.Equal(
            "Received-SPF: pass (mx.example: domain of foo.example.com designates 192.0.2.1 as permitted sender) "
            + "client-ip=192.0.2.1; envelope-from=\"postmaster@foo.example.com\"; helo=foo.example.com; receiver=mx.example; identity=helo; mechanism=a;",
            ReceivedSpfHeader.Format(result, "mx.example", SpfIdentity.Helo));
    }

    [Fact]
    public async Task End_to_end_from_an_evaluation()
    {
        var dns = new FakeDnsResolver().AddTxt("example.com", "v=spf1 ip4:192.0.2.0/24 -all");
        SpfResult result = await new SpfEvaluator(dns).CheckHostAsync(IPAddress.Parse("192.0.2.1"), "example.com", "myname@example.com", "foo.example.com");
        Assert.Equal(
            "Received-SPF: pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as permitted sender) "
            + "client-ip=192.0.2.1; envelope-from=\"myname@example.com\"; helo=foo.example.com; receiver=mybox.example.org; "
            + "identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\";",
            ReceivedSpfHeader.Format(result, "mybox.example.org"));
    }
}
