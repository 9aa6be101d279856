using Appliance.Server.Smtp;

namespace Appliance.Server.Tests.Smtp;

public sealed class SmtpPathParserTests
{
    [Theory]
    [InlineData("<alice@example.org>", "alice@example.org")]
    [InlineData(" <alice@example.org>", "alice@example.org")]
    [InlineData("<@relay.example,@other.example:alice@example.org>", "alice@example.org")] // source route ignored (RFC 5321 4.1.1.3)
    [InlineData("<\"quoted local\"@example.org>", "\"quoted local\"@example.org")]
    [InlineData("<\"alice\"@example.org>", "alice@example.org")]
    [InlineData("<\"a\\\"b\"@example.org>", "\"a\\\"b\"@example.org")]
    [InlineData("<user%foreign.example@example.org>", "user%foreign.example@example.org")] // percent hack: just a local part
    [InlineData("<foreign!user@example.org>", "foreign!user@example.org")] // bang path: just a local part
    [InlineData("<user@[192.0.2.1]>", "user@[192.0.2.1]")]
    [InlineData("<user@[IPv6:2001:db8::1]>", "user@[IPv6:2001:db8::1]")]
    [InlineData("<jörg@bücher.example>", "jörg@bücher.example")]
    public void Parses(string argument, string mailbox)
    {
        Assert.True(SmtpPathParser.TryParse(argument, allowNull: false, out var path, out string error), error);
        Assert.Equal(mailbox, path!.Mailbox);
    }

    [Theory]
    [InlineData("alice@example.org")] // no brackets
    [InlineData("<alice@example.org")]
    [InlineData("<alice>")]
    [InlineData("<@example.org>")]
    [InlineData("<alice@foreign.example@example.org>")]
    [InlineData("<a..b@example.org>")]
    [InlineData("<.a@example.org>")]
    [InlineData("<a b@example.org>")]
    [InlineData("<\"unterminated@example.org>")]
    [InlineData("<\"ctl\u0001\"@example.org>")]
    [InlineData("<alice@-bad.example>")]
    [InlineData("<alice@exa_mple.org>")]
    [InlineData("<alice@[300.1.1.1]>")]
    [InlineData("<alice@example.org>garbage")]
    [InlineData("<@relay.example alice@example.org>")]
    [InlineData("<>")]
    public void Refuses(string argument)
    {
        Assert.False(SmtpPathParser.TryParse(argument, allowNull: false, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Null_path_and_parameters()
    {
        Assert.True(SmtpPathParser.TryParse("<> SIZE=100 BODY=8BITMIME", allowNull: true, out var path, out _));
        Assert.True(path!.IsNull);
        Assert.Equal([new("SIZE", "100"), new("BODY", "8BITMIME")], path.Parameters);
        Assert.False(SmtpPathParser.TryParse("<a@example.org> SIZE=1 size=2", allowNull: true, out _, out string twice));
        Assert.Contains("twice", twice);
    }

    [Theory]
    [InlineData("simple", "simple")]
    [InlineData("a+2Bb", "a+b")]
    [InlineData("rfc822;a+3Db@example.org", "rfc822;a=b@example.org")]
    public void Decodes_xtext(string xtext, string expected)
    {
        Assert.True(SmtpPathParser.TryDecodeXtext(xtext, out string decoded));
        Assert.Equal(expected, decoded);
    }

    [Theory]
    [InlineData("a+2")]
    [InlineData("a+zz")]
    [InlineData("a=b")]
    public void Refuses_bad_xtext(string xtext) => Assert.False(SmtpPathParser.TryDecodeXtext(xtext, out _));
}
