// RFC 7162 section 3.2.6 (the VANISHED UID FETCH modifier) and 3.2.10 (the VANISHED (EARLIER)
// response): which UIDs of a UID FETCH's set to report as expunged since CHANGEDSINCE.
namespace Appliance.Server.Imap.Fetch;

/// <summary>The UIDs a "* VANISHED (EARLIER)" response lists, as merged ranges.</summary>
internal static class VanishedEarlier
{
    /// <summary>
    /// From a complete expunge log: the logged UIDs that are in the set and not in the session's
    /// view (whose expunges the session reports itself, as VANISHED without EARLIER, and must not
    /// report twice).
    /// </summary>
    public static List<(uint Low, uint High)> FromLog(IEnumerable<uint> expunged, Func<uint, bool> inSet, Func<uint, bool> inView) =>
        Merge([.. expunged.Where(uid => inSet(uid) && !inView(uid)).Order().Select(uid => (uid, uid))]);

    /// <summary>
    /// Without a complete log ("a superset is allowed", RFC 7162 3.2.6): every UID of the set's
    /// ranges below <paramref name="uidNext"/> that is not <paramref name="present"/> (in the store or
    /// in the session's view). Costs per range and per present UID, never per UID of a range.
    /// </summary>
    public static List<(uint Low, uint High)> FromGaps(IReadOnlyList<(uint Low, uint High)> setRanges, SortedSet<uint> present, uint uidNext)
    {
        var gaps = new List<(uint Low, uint High)>();
        foreach (var (low, high) in setRanges)
        {
            if (low >= uidNext)
                break;
            uint top = Math.Min(high, uidNext - 1);
            ulong from = low;
            foreach (uint uid in present.GetViewBetween(low, top))
            {
                if (uid > from)
                    gaps.Add(((uint)from, uid - 1));
                from = (ulong)uid + 1;
            }
            if (from <= top)
                gaps.Add(((uint)from, top));
        }
        return Merge(gaps);
    }

    private static List<(uint Low, uint High)> Merge(List<(uint Low, uint High)> ranges)
    {
        var merged = new List<(uint Low, uint High)>();
        foreach (var range in ranges)
        {
            if (merged.Count > 0 && (ulong)merged[^1].High + 1 >= range.Low)
                merged[^1] = (merged[^1].Low, Math.Max(merged[^1].High, range.High));
            else
                merged.Add(range);
        }
        return merged;
    }
}
