using Appliance.Server.Imap.Commands;

namespace Appliance.Server.Tests.Imap.Session;

/// <summary>RFC 9051 6.3.9 wildcards: "*" crosses the hierarchy delimiter, "%" does not; the reference is a prefix.</summary>
public sealed class ListPatternTests
{
    [Theory]
    [InlineData("", "*", "a/b/c", true)]
    [InlineData("", "%", "a/b", false)]
    [InlineData("", "%", "a", true)]
    [InlineData("", "a/%", "a/b", true)]
    [InlineData("", "a/%", "a/b/c", false)]
    [InlineData("", "a/%/c", "a/b/c", true)]
    [InlineData("", "a%", "a", true)]
    [InlineData("", "a*c", "a/b/c", true)]
    [InlineData("", "a%c", "a/b/c", false)]
    [InlineData("", "%*%", "a/b", true)]
    [InlineData("", "%%", "a/b", false)]
    [InlineData("a/", "%", "a/b", true)]
    [InlineData("a/", "/b", "a/b", true)]
    [InlineData("a", "/b", "a/b", true)]
    [InlineData("a/", "%", "a", false)]
    [InlineData("", "Sent", "sent", false)]
    [InlineData("", "inbox", "INBOX", true)]
    [InlineData("", "Inbox/%", "INBOX/x", true)]
    [InlineData("", "inbox%", "INBOXES", false)]
    [InlineData("", "", "INBOX", false)]
    public void Matches(string reference, string pattern, string name, bool expected) =>
        Assert.Equal(expected, ListPattern.Create(reference, pattern).Matches(name));

    [Fact]
    public void A_pathological_pattern_is_quick_and_an_overlong_one_matches_nothing()
    {
        string name = new string('a', 255);
        // Backtracking would take exponential time on "*a*a*a...b"; the table is pattern x name.
        var pattern = ListPattern.Create("", string.Concat(Enumerable.Repeat("*a", 200)) + "b");
        Assert.False(pattern.Matches(name));
        Assert.True(ListPattern.Create("", string.Concat(Enumerable.Repeat("%a", 200))).Matches(name));
        // Runs of wildcards collapse, so thousands of "*" still match; 600 literal characters cannot.
        Assert.True(ListPattern.Create("", new string('*', 5000)).Matches(name));
        Assert.False(ListPattern.Create("", new string('a', 600)).Matches(name));
    }
}
