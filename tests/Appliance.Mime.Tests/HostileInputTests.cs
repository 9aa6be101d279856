using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>
/// Inputs built to make a naive parser quadratic or deep. Each asserts the shape of the result; a
/// regression shows up as a test run that takes minutes instead of milliseconds.
/// </summary>
public sealed class HostileInputTests
{
    [Fact]
    public void Many_unterminated_encoded_word_starts()
    {
        string text = string.Concat(Enumerable.Repeat("=?a?q?x", 20_000));

        Assert.Equal(text, EncodedWords.Decode(text));
    }

    [Fact]
    public void Many_adjacent_encoded_words_are_joined()
    {
        string text = string.Join(" ", Enumerable.Repeat("=?utf-8?q?ab?=", 20_000));

        Assert.Equal(40_000, EncodedWords.Decode(text).Length);
    }

    [Fact]
    public void Huge_address_list()
    {
        string list = string.Join(", ", Enumerable.Range(0, 20_000).Select(i => $"\"User {i}\" <u{i}@example.com>"));

        IReadOnlyList<MailboxAddress> mailboxes = MailboxAddress.ParseList(list);

        Assert.Equal(20_000, mailboxes.Count);
        Assert.Equal(new MailboxAddress("User 19999", "u19999", "example.com"), mailboxes[^1]);
    }

    [Fact]
    public void Deeply_nested_comments_and_separators()
    {
        Assert.Empty(MailboxAddress.ParseList(new string('(', 50_000) + new string(')', 50_000)));
        Assert.Empty(MailboxAddress.ParseList(new string(',', 100_000)));
        Assert.Single(MailboxAddress.ParseList(new string('<', 50_000) + "a@b" + new string('>', 50_000)));
    }

    [Fact]
    public void Many_unclosed_angle_brackets()
    {
        string list = string.Concat(Enumerable.Repeat("<a@b, ", 30_000));

        IReadOnlyList<MailboxAddress> mailboxes = MailboxAddress.ParseList(list);

        Assert.Equal(30_000, mailboxes.Count);
        Assert.All(mailboxes, m => Assert.Equal("a@b", m.Address));
    }

    [Fact]
    public void Long_date_is_rejected_without_work()
    {
        Assert.Null(MailDate.Parse("1 Jan 2004 " + new string(' ', 100_000)));
    }

    [Fact]
    public void Deeply_nested_multipart_within_the_prefix()
    {
        var message = new StringBuilder("Content-Type: multipart/mixed; boundary=b0\r\n\r\n");
        for (int i = 1; i < 2000; i++)
        {
            message.Append($"--b{i - 1}\r\nContent-Type: multipart/mixed; boundary=b{i}\r\n\r\n");
        }
        message.Append("--b1999\r\n\r\ndeep text\r\n");

        MessageSummary summary = MessageSummary.Read(new MemoryStream(Encoding.ASCII.GetBytes(message.ToString())));

        Assert.Equal("", summary.Preview); // beyond BodyScanner.MaxNesting
    }

    [Fact]
    public void Html_with_unclosed_tags_and_lone_angle_brackets()
    {
        Assert.Equal("a < b and c > d", Text.Collapse(HtmlText.ToText("a < b and c > d")));
        Assert.Equal("text", Text.Collapse(HtmlText.ToText("text<a href=\"never closed")));
        Assert.Equal("", Text.Collapse(HtmlText.ToText("<style>" + new string('x', 100_000))));
    }

    [Fact]
    public void Limits_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeaderLimits { MaxHeaderBytes = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new HeaderLimits { MaxFieldCount = -1 });
    }
}
