using Appliance.Mime;
using Appliance.Server.Imap;
using Appliance.Server.Imap.Search;
using Appliance.Storage.Mail;

namespace Appliance.Server.Tests.Imap.Search;

/// <summary>The pure pieces: RFC 5256 base subjects, search dates, the parser's limits and the THREAD response format.</summary>
public sealed class SearchUnitTests
{
    [Theory]
    [InlineData("Lunch plans", "Lunch plans", false)]
    [InlineData("Re: Lunch plans", "Lunch plans", true)]
    [InlineData("RE:  re: Fwd:Lunch   plans", "Lunch plans", true)]
    [InlineData("Re[2]: Lunch", "Lunch", true)]
    [InlineData("Re [list]: Lunch", "Lunch", true)]
    [InlineData("[list] Re: Lunch", "Lunch", true)]
    [InlineData("[list] Lunch", "Lunch", false)]
    [InlineData("[list]", "[list]", false)] // removing the blob would leave nothing
    [InlineData("Lunch (fwd)", "Lunch", true)]
    [InlineData("[Fwd: Re: Lunch (fwd)]", "Lunch", true)]
    [InlineData("Fw: Lunch", "Lunch", true)]
    [InlineData("Regarding: lunch", "Regarding: lunch", false)]
    [InlineData("\t Re:\r\n  x ", "x", true)]
    [InlineData("", "", false)]
    public void Base_subject_follows_rfc_5256_section_2_1(string subject, string expected, bool isReply)
    {
        Assert.Equal(new BaseSubject(expected, isReply), BaseSubject.Of(subject));
    }

    [Theory]
    [InlineData("1-Feb-2026", 2026, 2, 1)]
    [InlineData("01-feb-2026", 2026, 2, 1)]
    [InlineData("29-FEB-2028", 2028, 2, 29)]
    public void Search_dates_parse(string text, int year, int month, int day)
    {
        Assert.True(SearchParser.TryParseDate(text, out var date));
        Assert.Equal(new DateOnly(year, month, day), date);
    }

    [Theory]
    [InlineData("29-Feb-2026")]
    [InlineData("1-Feb-26")]
    [InlineData("001-Feb-2026")]
    [InlineData("1-February-2026")]
    [InlineData("0-Feb-2026")]
    [InlineData("1-Feb-0000")]
    [InlineData("1 Feb 2026")]
    [InlineData("+1-Feb-2026")]
    [InlineData("")]
    public void Invalid_search_dates_are_refused(string text)
    {
        Assert.False(SearchParser.TryParseDate(text, out _));
    }

    [Fact]
    public void The_depth_limit_counts_not_or_and_lists()
    {
        static IReadOnlyList<ImapArgument> Atoms(string text) =>
            [.. text.Split(' ').Select(w => ImapArgument.Atom(System.Text.Encoding.ASCII.GetBytes(w)))];
        Assert.NotNull(SearchParser.ParseSearch(Atoms("NOT NOT SEEN"), 3, out _));
        Assert.Null(SearchParser.ParseSearch(Atoms("NOT NOT NOT SEEN"), 3, out var error));
        Assert.Equal("Search criteria nested deeper than 3 levels", error!.Text);
        var nested = ImapArgument.List([ImapArgument.List([ImapArgument.Atom("SEEN"u8.ToArray())])]);
        Assert.NotNull(SearchParser.ParseSearch([nested], 3, out _));
        Assert.Null(SearchParser.ParseSearch([ImapArgument.Atom("NOT"u8.ToArray()), nested], 3, out _));
    }

    private static SearchCandidate Message(int sequence) =>
        new(null!, "INBOX", sequence, new MessageInfo((uint)sequence + 100, 1, DateTimeOffset.UnixEpoch, MessageFlags.None, [], 1, MessageSummary.Empty));

    [Fact]
    public void Thread_format_nests_only_at_branches_and_handles_deep_trees_without_recursion()
    {
        var root = new ThreadNode(Message(1));
        var reply = new ThreadNode(Message(2));
        root.AddChild(reply);
        reply.AddChild(new ThreadNode(Message(3)));
        reply.AddChild(new ThreadNode(Message(4)));
        Assert.Equal("(1 2 (3)(4))", ThreadBuilder.Format(root, byUid: false));
        Assert.Equal("(101 102 (103)(104))", ThreadBuilder.Format(root, byUid: true));

        var dummy = new ThreadNode(null);
        dummy.AddChild(new ThreadNode(Message(5)));
        dummy.AddChild(new ThreadNode(Message(6)));
        Assert.Equal("((5)(6))", ThreadBuilder.Format(dummy, byUid: false));

        // 50,000 levels of branching: a recursive writer would overflow the stack.
        var top = new ThreadNode(Message(1));
        var node = top;
        for (int i = 0; i < 50_000; i++)
        {
            var left = new ThreadNode(Message(2));
            node.AddChild(left);
            node.AddChild(new ThreadNode(Message(3)));
            node = left;
        }
        var text = ThreadBuilder.Format(top, byUid: false);
        Assert.StartsWith("(1 (2 (2 (2 ", text);
        Assert.Equal(text.Count(c => c == '('), text.Count(c => c == ')'));
    }

    [Theory]
    [InlineData("<a@x> <b@x>\r\n <c@x>", new[] { "a@x", "b@x", "c@x" })]
    [InlineData("<a@x> (comment) <not-an-id> <b @ x>", new[] { "a@x", "b@x" })]
    [InlineData("no brackets@x", new string[0])]
    [InlineData("<a@x", new string[0])]
    public void Message_ids_are_read_from_angle_brackets(string value, string[] expected)
    {
        Assert.Equal(expected, MessageIds.All(value));
    }
}
