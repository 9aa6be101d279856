using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

public sealed class SequenceSetTests
{
    private static SequenceSet Parse(string text)
    {
        Assert.True(SequenceSet.TryParse(text, out var set), text);
        return set;
    }

    [Theory]
    [InlineData("1", "1")]
    [InlineData("1:4,7", "1:4,7")]
    [InlineData("4:2", "4:2")]
    [InlineData("*", "*")]
    [InlineData("2,4:7,9,12:*", "2,4:7,9,12:*")]
    [InlineData("*:4,5:7", "*:4,5:7")]
    [InlineData("1:4294967295", "1:4294967295")]
    [InlineData("$", "$")]
    public void Parses_rfc_9051_sequence_sets_and_formats_them_back(string text, string expected)
    {
        Assert.Equal(expected, Parse(text).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("0:5")]
    [InlineData("01")]
    [InlineData("4294967296")]
    [InlineData("99999999999999999999")]
    [InlineData("1,")]
    [InlineData(",1")]
    [InlineData("1:")]
    [InlineData("1::2")]
    [InlineData("1:2:3")]
    [InlineData("-1")]
    [InlineData("1 2")]
    [InlineData("$,1")]
    [InlineData("**")]
    [InlineData("1,,2")]
    public void Refuses_what_the_grammar_does_not_allow(string text)
    {
        Assert.False(SequenceSet.TryParse(text, out _));
    }

    [Fact]
    public void The_widest_range_is_one_range_and_costs_nothing_to_resolve()
    {
        var set = Parse("1:4294967295,1:*,*:1");
        Assert.Equal(3, set.Ranges.Count);
        Assert.Equal([(1u, 4294967295u)], set.Normalize(10));
        Assert.True(set.Contains(4294967295, 10));
        Assert.Equal(10, set.SequenceNumbers(10).Count());
        Assert.Equal([0, 1, 2], set.IndicesOf([5u, 4000000000u, 4294967295u]));
    }

    /// <summary>RFC 9051 section 6.4.4: "*" is the largest number in use; "n:*" with n beyond it still means the largest.</summary>
    [Fact]
    public void Star_is_the_largest_number_in_use()
    {
        Assert.Equal([(10u, 10u)], Parse("*").Normalize(10));
        Assert.Equal([(10u, 500u)], Parse("500:*").Normalize(10));
        Assert.Equal([10u], Parse("500:*").SequenceNumbers(10));
        Assert.Equal([3], Parse("100:*").IndicesOf([3u, 7u, 20u, 50u]));
        Assert.True(Parse("500:*").Contains(10, 10));
        Assert.False(Parse("500:*").Contains(9, 10));
        Assert.True(Parse("3:*").Contains(7, 10));
        Assert.False(Parse("3:*").Contains(11, 10));
        // an empty mailbox: "*" matches nothing, written numbers stay
        Assert.Empty(Parse("*").Normalize(0));
        Assert.Empty(Parse("1:*").SequenceNumbers(0));
        Assert.Empty(Parse("1:*").IndicesOf([]));
        Assert.False(Parse("*").Contains(0, 0));
    }

    [Fact]
    public void Normalizing_sorts_and_merges_overlapping_and_adjacent_ranges()
    {
        Assert.Equal([(1u, 9u), (12u, 12u)], Parse("7:9,1:3,12,4,5:6,2").Normalize(100));
        Assert.Equal("1:9,12", SequenceSet.Format(Parse("7:9,1:3,12,4,5:6,2").Normalize(100)));
        Assert.Equal([(4294967294u, 4294967295u)], Parse("4294967295,4294967294").Normalize(5));
    }

    [Fact]
    public void Sequence_numbers_are_clamped_to_the_mailbox_and_listed_once()
    {
        Assert.Equal([2u, 3u, 4u, 5u], Parse("5:2,3,4:4").SequenceNumbers(1000));
        Assert.Equal([4u, 5u], Parse("4:9").SequenceNumbers(5));
        Assert.Empty(Parse("6:9").SequenceNumbers(5));
    }

    /// <summary>Enumeration over UIDs costs per existing message: a huge set over a big mailbox stays fast.</summary>
    [Fact]
    public void Uid_enumeration_follows_the_existing_messages()
    {
        uint[] uids = [.. Enumerable.Range(0, 100_000).Select(i => (uint)(i * 40_000 + 1))];
        var set = Parse("1:4294967295");
        var started = DateTime.UtcNow;
        Assert.Equal(100_000, set.IndicesOf(uids).Count());
        Assert.Equal([1, 2], Parse("40001:80001").IndicesOf(uids));
        Assert.Equal([1], Parse("40000:40002,40001").IndicesOf(uids));
        Assert.Empty(Parse("2:40000").IndicesOf(uids));
        // 10,000 single ranges, each a binary search
        var many = Parse(string.Join(",", Enumerable.Range(0, 10_000).Select(i => i * 80_000 + 1)));
        Assert.Equal(10_000, many.IndicesOf(uids).Count());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Formats_number_lists_for_copyuid_keeping_order()
    {
        Assert.Equal("1:3,7,5", SequenceSet.Format([1u, 2u, 3u, 7u, 5u]));
        Assert.Equal("", SequenceSet.Format(Array.Empty<uint>()));
        Assert.Equal("4294967295", SequenceSet.Format([4294967295u]));
        Assert.Equal("4294967294:4294967295,1", SequenceSet.Format([4294967294u, 4294967295u, 1u]));
        Assert.Equal("10:12,3:4", SequenceSet.FromRanges([(10u, 12u), (3u, 4u)]).ToString());
    }

    [Fact]
    public void The_search_result_reference_has_no_ranges()
    {
        var set = Parse("$");
        Assert.True(set.IsSearchResult);
        Assert.Empty(set.Ranges);
        Assert.False(Parse("1").IsSearchResult);
    }
}
