namespace Appliance.Mime.Tests;

public sealed class MailboxAddressTests
{
    private static string[] Parse(string value) =>
        MailboxAddress.ParseList(value).Select(m => $"{m.DisplayName}|{m.LocalPart}|{m.Domain}|{m.Group}").ToArray();

    [Theory]
    [InlineData("john@example.com", "|john|example.com|")]
    [InlineData("<john@example.com>", "|john|example.com|")]
    [InlineData("John Doe <john@example.com>", "John Doe|john|example.com|")]
    [InlineData("\"Doe, John\" <john@example.com>", "Doe, John|john|example.com|")]
    [InlineData("\"John \\\"JD\\\" Doe\" <jd@example.com>", "John \"JD\" Doe|jd|example.com|")]
    [InlineData("John   Q.  Public <jqp@example.com>", "John Q. Public|jqp|example.com|")]
    [InlineData("J.R.R. Tolkien <jrr@example.com>", "J.R.R. Tolkien|jrr|example.com|")]
    [InlineData("first.last@sub.example.com", "|first.last|sub.example.com|")]
    [InlineData("\"john doe\"@example.com", "|john doe|example.com|")]
    [InlineData("user@[192.0.2.1]", "|user|[192.0.2.1]|")]
    [InlineData("postmaster", "|postmaster||")]
    // RFC 2047 in phrases, also inside quotes and with specials inside the word (broken senders)
    [InlineData("=?utf-8?Q?J=C3=B6rg?= M\u00fcller <j@example.de>", "Jörg Müller|j|example.de|")]
    [InlineData("=?utf-8?Q?J=C3=B6rg?= =?utf-8?Q?_M=C3=BCller?= <j@example.de>", "Jörg Müller|j|example.de|")]
    [InlineData("\"=?utf-8?B?SsO2cmc=?=\" <j@example.de>", "Jörg|j|example.de|")]
    [InlineData("=?utf-8?Q?M=C3=BCller,_J.?= <j@example.de>", "Müller, J.|j|example.de|")]
    [InlineData("=?windows-1251?B?yOLg7Q==?= <ivan@example.ru>", "Иван|ivan|example.ru|")]
    // comments (RFC 5322 3.2.2), and the old "addr (Name)" form
    [InlineData("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>", "Pete|pete|silly.test|")]
    [InlineData("john@example.com (John Doe)", "John Doe|john|example.com|")]
    [InlineData("(comment only) john@example.com", "comment only|john|example.com|")]
    [InlineData("<john(not a name)@example.com>", "|john|example.com|")]
    // RFC 6532 UTF-8
    [InlineData("Zoë <zoë@exämple.org>", "Zoë|zoë|exämple.org|")]
    // RFC 5322 4.4 obsolete route, and whitespace around dots
    [InlineData("<@route.example,@other.example:user@example.com>", "|user|example.com|")]
    [InlineData("John <john . doe @ example . com>", "John|john.doe|example.com|")]
    // broken: name without angle brackets
    [InlineData("John Doe john@example.com", "John Doe|john|example.com|")]
    [InlineData("John Doe <john@example.com", "John Doe|john|example.com|")]
    public void Parses_one_mailbox(string value, string expected)
    {
        Assert.Equal([expected], Parse(value));
    }

    [Fact]
    public void Parses_a_list_with_groups_flattened()
    {
        // RFC 5322 Appendix A.1.3
        string value = "A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;, Mary Smith <mary@x.test>";

        Assert.Equal(
            ["Ed Jones|c|a.test|A Group", "|joe|where.test|A Group", "John|jdoe|one.test|A Group", "Mary Smith|mary|x.test|"],
            Parse(value));
    }

    [Fact]
    public void Empty_group_and_empty_elements_give_nothing()
    {
        Assert.Empty(Parse("undisclosed-recipients:;"));
        Assert.Equal(["|a|b.c|", "|d|e.f|"], Parse("a@b.c, , ,d@e.f,"));
        Assert.Empty(Parse(""));
        Assert.Empty(Parse("   "));
    }

    [Fact]
    public void Group_with_comments_and_a_following_address()
    {
        Assert.Equal(
            ["first|a|x.test|Team (core)", "|b|y.test|"],
            Parse("\"Team (core)\": a@x.test (first); b@y.test"));
    }

    [Fact]
    public void Address_quotes_the_local_part_when_needed()
    {
        Assert.Equal("\"john doe\"@example.com", MailboxAddress.ParseList("\"john doe\"@example.com")[0].Address);
        Assert.Equal("john.doe@example.com", MailboxAddress.ParseList("<john.doe@example.com>")[0].Address);
        Assert.Equal("\"a\\\"b\"@example.com", new MailboxAddress(null, "a\"b", "example.com").Address);
        Assert.Equal("John", MailboxAddress.ParseList("John <j@x.test>")[0].ToString());
        Assert.Equal("j@x.test", MailboxAddress.ParseList("<j@x.test>")[0].ToString());
    }

    [Theory]
    [InlineData("<<>>@@")]
    [InlineData("\"unterminated")]
    [InlineData("(unterminated comment")]
    [InlineData(")]>;:,@.")]
    [InlineData("a@b@c")]
    [InlineData("[")]
    public void Garbage_never_throws(string value)
    {
        _ = MailboxAddress.ParseList(value);
    }

    [Fact]
    public void Garbage_gives_best_effort_values()
    {
        Assert.Equal(["|a@b|c|"], Parse("a@b@c"));
        Assert.Equal(["|unterminated||"], Parse("\"unterminated"));
        Assert.Empty(Parse("<<<@@>>>"));
        Assert.Equal(["John||example.com|"], Parse("John <@example.com>"));
        Assert.Equal(["Name Only||"], Parse("Name Only").Select(s => s[..^1]).ToArray());
    }
}
