using Appliance.Server.Accounts;

namespace Appliance.Server.Tests.Accounts;

public sealed class AddressRulesTests
{
    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("Example.COM", "example.com")]
    [InlineData("  example.com.  ", "example.com")]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("mail.例え.jp", "mail.xn--r8jz45g.jp")]
    [InlineData("a-b.c-d.example", "a-b.c-d.example")]
    public void Domains_normalize_to_lower_case_a_labels(string input, string expected)
    {
        Assert.True(AddressRules.TryNormalizeDomain(input, out string domain, out string error), error);
        Assert.Equal(expected, domain);
    }

    [Theory]
    [InlineData("")]
    [InlineData("localhost")]
    [InlineData("-a.example")]
    [InlineData("a-.example")]
    [InlineData("a..example")]
    [InlineData("exa mple.com")]
    [InlineData("a_b.example")]
    [InlineData("1.2.3.4")]
    [InlineData("[1.2.3.4]")]
    [InlineData("example.123")]
    [InlineData("a/b.example")]
    [InlineData("ex\u0000ample.com")]
    public void Invalid_domains_are_refused_with_a_reason(string input)
    {
        Assert.False(AddressRules.TryNormalizeDomain(input, out _, out string error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Over_long_labels_and_names_are_refused()
    {
        Assert.False(AddressRules.TryNormalizeDomain(new string('a', 64) + ".example", out _, out _));
        Assert.True(AddressRules.TryNormalizeDomain(new string('a', 63) + ".example", out _, out _));
        string longName = string.Join('.', Enumerable.Repeat(new string('a', 60), 5));
        Assert.False(AddressRules.TryNormalizeDomain(longName, out _, out _));
    }

    [Theory]
    [InlineData("Alice@Example.COM", "alice", "example.com")]
    [InlineData("first.last@example.com", "first.last", "example.com")]
    [InlineData("o'brien@example.com", "o'brien", "example.com")]
    [InlineData("josé@bücher.example", "josé", "xn--bcher-kva.example")]
    [InlineData("user+tag@example.com", "user+tag", "example.com")]
    public void Addresses_normalize(string input, string local, string domain)
    {
        Assert.True(AddressRules.TryNormalizeAddress(input, out string l, out string d, out string error), error);
        Assert.Equal(local, l);
        Assert.Equal(domain, d);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("@example.com")]
    [InlineData("user@")]
    [InlineData(".user@example.com")]
    [InlineData("user.@example.com")]
    [InlineData("us..er@example.com")]
    [InlineData("us er@example.com")]
    [InlineData("\"quoted\"@example.com")]
    [InlineData("us\ner@example.com")]
    [InlineData("us(comment)er@example.com")]
    [InlineData("user@localhost")]
    public void Invalid_addresses_are_refused(string input)
    {
        Assert.False(AddressRules.TryNormalizeAddress(input, out _, out _, out string error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Fact]
    public void Local_parts_over_64_octets_are_refused()
    {
        Assert.True(AddressRules.TryNormalizeAddress(new string('a', 64) + "@example.com", out _, out _, out _));
        Assert.False(AddressRules.TryNormalizeAddress(new string('a', 65) + "@example.com", out _, out _, out _));
        // 33 two-octet characters are 66 octets in UTF-8 (RFC 6531 counts octets).
        Assert.False(AddressRules.TryNormalizeAddress(new string('é', 33) + "@example.com", out _, out _, out _));
    }

    [Theory]
    [InlineData("user+tag@example.com", "user@example.com")]
    [InlineData("user+a+b@example.com", "user@example.com")]
    [InlineData("user@example.com", null)]
    [InlineData("+tag@example.com", null)]
    public void Subaddress_is_stripped(string input, string? expected) =>
        Assert.Equal(expected, AddressRules.WithoutSubaddress(input));

    [Fact]
    public void Display_forms_use_u_labels()
    {
        Assert.Equal("bücher.example", AddressRules.ToDisplayDomain("xn--bcher-kva.example"));
        Assert.Equal("a@bücher.example", AddressRules.ToDisplayAddress("a@xn--bcher-kva.example"));
    }
}
