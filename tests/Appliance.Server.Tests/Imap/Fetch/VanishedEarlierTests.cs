using Appliance.Server.Imap.Fetch;

namespace Appliance.Server.Tests.Imap.Fetch;

/// <summary>The UIDs of "* VANISHED (EARLIER)" (RFC 7162 3.2.6), from a complete log and from gaps when the log is incomplete.</summary>
public sealed class VanishedEarlierTests
{
    [Fact]
    public void From_the_log_only_uids_in_the_set_and_not_in_the_view_ascending_and_merged()
    {
        var set = new HashSet<uint> { 2, 3, 4, 9, 10 };
        var view = new HashSet<uint> { 4 };
        Assert.Equal([(2u, 3u), (9u, 10u)], VanishedEarlier.FromLog([10, 3, 2, 4, 9, 12], set.Contains, view.Contains));
    }

    [Fact]
    public void Without_a_complete_log_every_absent_uid_below_uidnext_is_reported()
    {
        // The set 1:* resolved to 1:20 and 50:4294967295; UIDNEXT is 60; the store or the view holds 3, 4, 7, 55.
        var present = new SortedSet<uint> { 3, 4, 7, 55 };
        Assert.Equal([(1u, 2u), (5u, 6u), (8u, 20u), (50u, 54u), (56u, 59u)],
            VanishedEarlier.FromGaps([(1, 20), (50, uint.MaxValue)], present, uidNext: 60));
    }

    [Fact]
    public void Gaps_cost_nothing_per_uid_of_a_huge_range_and_stop_at_uidnext()
    {
        Assert.Equal([(1u, 4294967294u)], VanishedEarlier.FromGaps([(1, uint.MaxValue)], [], uidNext: uint.MaxValue));
        Assert.Empty(VanishedEarlier.FromGaps([(10, 20)], [], uidNext: 10));
        Assert.Empty(VanishedEarlier.FromGaps([(1, 3)], [1, 2, 3], uidNext: 4));
    }
}
