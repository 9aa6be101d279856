// The Public Suffix List algorithm (publicsuffix.org) and RFC 7489 3.2 organizational domains.
using Appliance.MailAuth.Dmarc;

namespace Appliance.MailAuth.Tests.Dmarc;

public sealed class PublicSuffixListTests
{
    [Theory]
    [InlineData("example.com", "com", "example.com")]
    [InlineData("a.b.example.com", "com", "example.com")]
    [InlineData("com", "com", "com")]
    [InlineData("WWW.Example.COM.", "com", "example.com")]
    [InlineData("example.co.uk", "co.uk", "example.co.uk")]
    [InlineData("mail.example.co.uk", "co.uk", "example.co.uk")]
    [InlineData("co.uk", "co.uk", "co.uk")]
    [InlineData("example.uk", "uk", "example.uk")]
    // Wildcard: "*.kawasaki.jp" makes every label under kawasaki.jp a suffix.
    [InlineData("foo.kawasaki.jp", "foo.kawasaki.jp", "foo.kawasaki.jp")]
    [InlineData("bar.foo.kawasaki.jp", "foo.kawasaki.jp", "bar.foo.kawasaki.jp")]
    [InlineData("a.bar.foo.kawasaki.jp", "foo.kawasaki.jp", "bar.foo.kawasaki.jp")]
    // Exception: "!city.kawasaki.jp" makes city.kawasaki.jp registrable again.
    [InlineData("city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("www.city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp")]
    [InlineData("www.ck", "ck", "www.ck")]
    [InlineData("abc.ck", "abc.ck", "abc.ck")]
    [InlineData("x.abc.ck", "abc.ck", "x.abc.ck")]
    [InlineData("y.x.abc.ck", "abc.ck", "x.abc.ck")]
    // No rule matches: the implicit "*" rule.
    [InlineData("example.unknowntld", "unknowntld", "example.unknowntld")]
    [InlineData("a.b.example.unknowntld", "unknowntld", "example.unknowntld")]
    // Private section rules count by default.
    [InlineData("myblog.blogspot.com", "blogspot.com", "myblog.blogspot.com")]
    [InlineData("www.myblog.blogspot.com", "blogspot.com", "myblog.blogspot.com")]
    [InlineData("site.pages.example.net", "pages.example.net", "site.pages.example.net")]
    // IDN rules are stored as A-labels; U-label and A-label input agree.
    [InlineData("a.b.公司.cn", "xn--55qx5d.cn", "b.xn--55qx5d.cn")]
    [InlineData("a.b.xn--55qx5d.cn", "xn--55qx5d.cn", "b.xn--55qx5d.cn")]
    public void Suffix_and_organizational_domain(string domain, string suffix, string organizational)
    {
        Assert.Equal(suffix, TestSuffixList.List.GetPublicSuffix(domain));
        Assert.Equal(organizational, TestSuffixList.List.GetOrganizationalDomain(domain));
    }

    [Fact]
    public void Private_section_can_be_excluded()
    {
        var icannOnly = PublicSuffixList.Parse(TestSuffixList.Text, includePrivateDomains: false);
        Assert.False(icannOnly.IncludePrivateDomains);
        Assert.Equal("blogspot.com", icannOnly.GetOrganizationalDomain("www.myblog.blogspot.com"));
        Assert.Equal("example.net", icannOnly.GetOrganizationalDomain("site.pages.example.net"));
    }

    [Fact]
    public void Comments_blank_lines_and_trailing_text_are_not_rules()
    {
        // 16 rule lines in the test list.
        Assert.Equal(16, TestSuffixList.List.Count);
        Assert.Equal("net", TestSuffixList.List.GetPublicSuffix("trailing.net"));
    }

    [Fact]
    public void Installed_list_is_read()
    {
        // Debian's "publicsuffix" package; the machine setup installs it.
        Assert.True(File.Exists(PublicSuffixList.DefaultPath), "apt-get install publicsuffix");
        var list = PublicSuffixList.Load(PublicSuffixList.DefaultPath);
        Assert.True(list.Count > 5000);
        Assert.Equal("bbc.co.uk", list.GetOrganizationalDomain("www.news.bbc.co.uk"));
        Assert.Equal("example.com", list.GetOrganizationalDomain("mail.example.com"));
        Assert.Equal("someone.github.io", list.GetOrganizationalDomain("www.someone.github.io"));
        Assert.Equal("github.io", PublicSuffixList.Load(PublicSuffixList.DefaultPath, includePrivateDomains: false).GetOrganizationalDomain("www.someone.github.io"));
    }
}
