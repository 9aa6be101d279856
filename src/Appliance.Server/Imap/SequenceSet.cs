// RFC 9051 section 9 (sequence-set, seq-range, seq-number, nz-number, seq-last-command), section
// 6.4.4 / 9 ("*" is the largest number in use; a range is the same in either order), RFC 5182
// ("$", the SEARCHRES result), RFC 4315 section 3 (uid-set in COPYUID/APPENDUID), RFC 4731 section
// 3.1 (ESEARCH ALL in sequence-set form).
using System.Text;

namespace Appliance.Server.Imap;

/// <summary>
/// One range of a sequence set as the client wrote it: endpoints in either order, 0 standing for "*".
/// </summary>
internal readonly record struct SequenceRange(uint First, uint Last)
{
    /// <summary>"*" (never a valid nz-number, so 0 can stand for it).</summary>
    public const uint Star = 0;

    /// <summary>The range with "*" replaced by <paramref name="max"/>, as (low, high); RFC 9051 section 9: "2:4" and "4:2" are the same.</summary>
    public (uint Low, uint High) Resolve(uint max)
    {
        uint a = First == Star ? max : First, b = Last == Star ? max : Last;
        return a <= b ? (a, b) : (b, a);
    }

    public override string ToString() => First == Last ? Format(First) : $"{Format(First)}:{Format(Last)}";

    private static string Format(uint n) => n == Star ? "*" : n.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// A parsed sequence set, kept as ranges and never expanded: "1:4294967295" is one range, and
/// every operation costs per range or per existing message, not per number in a range.
/// </summary>
internal sealed class SequenceSet
{
    private SequenceSet(IReadOnlyList<SequenceRange> ranges, bool isSearchResult)
    {
        Ranges = ranges;
        IsSearchResult = isSearchResult;
    }

    /// <summary>The ranges as written (not resolved, not merged).</summary>
    public IReadOnlyList<SequenceRange> Ranges { get; }

    /// <summary>RFC 5182: "$", the result of the last SEARCH ... SAVE; <see cref="Ranges"/> is empty and the session substitutes the saved set.</summary>
    public bool IsSearchResult { get; }

    /// <summary>Parses RFC 9051 sequence-set (or "$" alone); false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out SequenceSet set)
    {
        set = null!;
        if (text.Length == 1 && text[0] == (byte)'$')
        {
            set = new SequenceSet([], isSearchResult: true);
            return true;
        }
        var ranges = new List<SequenceRange>();
        while (true)
        {
            // sequence-set = (seq-number / seq-range) ["," sequence-set]
            if (!TryNumber(ref text, out uint first))
                return false;
            uint last = first;
            if (!text.IsEmpty && text[0] == (byte)':')
            {
                text = text[1..];
                if (!TryNumber(ref text, out last))
                    return false;
            }
            ranges.Add(new SequenceRange(first, last));
            if (text.IsEmpty)
                break;
            if (text[0] != (byte)',')
                return false;
            text = text[1..];
        }
        set = new SequenceSet(ranges, isSearchResult: false);
        return true;
    }

    public static bool TryParse(string text, out SequenceSet set) => TryParse(Encoding.ASCII.GetBytes(text), out set);

    /// <summary>A set of known numbers (for SEARCHRES or a UID set we build); no "*".</summary>
    public static SequenceSet FromRanges(IEnumerable<(uint Low, uint High)> ranges) =>
        new([.. ranges.Select(r => new SequenceRange(r.Low, r.High))], isSearchResult: false);

    /// <summary>RFC 9051 seq-number = nz-number / "*"; nz-number = digit-nz *DIGIT, at most 4294967295 (no leading zero, no 0).</summary>
    private static bool TryNumber(ref ReadOnlySpan<byte> text, out uint value)
    {
        value = 0;
        if (text.IsEmpty)
            return false;
        if (text[0] == (byte)'*')
        {
            text = text[1..];
            value = SequenceRange.Star;
            return true;
        }
        if (text[0] is < (byte)'1' or > (byte)'9')
            return false;
        ulong n = 0;
        int i = 0;
        for (; i < text.Length && text[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            n = n * 10 + (uint)(text[i] - '0');
            if (n > uint.MaxValue)
                return false;
        }
        value = (uint)n;
        text = text[i..];
        return true;
    }

    /// <summary>
    /// The set with "*" as <paramref name="max"/> (the highest sequence number or UID in use; RFC 9051
    /// section 6.4.4: "n:*" with n over it still means <paramref name="max"/>), sorted, overlapping and
    /// adjacent ranges merged. Costs per range. An empty mailbox (max 0) leaves only the numbers written.
    /// </summary>
    public IReadOnlyList<(uint Low, uint High)> Normalize(uint max)
    {
        var resolved = new List<(uint Low, uint High)>(Ranges.Count);
        foreach (var range in Ranges)
        {
            var (low, high) = range.Resolve(max);
            if (high == 0)
                continue; // "*" of an empty mailbox
            resolved.Add((Math.Max(low, 1u), high));
        }
        resolved.Sort();
        var merged = new List<(uint Low, uint High)>(resolved.Count);
        foreach (var (low, high) in resolved)
        {
            if (merged.Count > 0 && (ulong)low <= (ulong)merged[^1].High + 1)
            {
                if (high > merged[^1].High)
                    merged[^1] = (merged[^1].Low, high);
            }
            else
                merged.Add((low, high));
        }
        return merged;
    }

    /// <summary>Whether <paramref name="n"/> is in the set when the largest number in use is <paramref name="max"/>.</summary>
    public bool Contains(uint n, uint max)
    {
        foreach (var range in Ranges)
        {
            var (low, high) = range.Resolve(max);
            if (n >= low && n <= high && n != 0)
                return true;
        }
        return false;
    }

    /// <summary>
    /// Message sequence numbers in the set among 1..<paramref name="count"/> (RFC 9051 section 2.3.1.2),
    /// ascending, each once. Costs per range plus per number returned: numbers past the mailbox are never visited.
    /// </summary>
    public IEnumerable<uint> SequenceNumbers(uint count)
    {
        foreach (var (low, high) in Normalize(count))
        {
            if (low > count)
                yield break;
            for (ulong n = low; n <= Math.Min(high, count); n++)
                yield return (uint)n;
        }
    }

    /// <summary>
    /// Indices into <paramref name="sortedUids"/> (the mailbox's UIDs, ascending) whose UID is in the set,
    /// ascending. "*" is the highest UID. Costs a binary search per range plus one step per message
    /// returned, so "1:4294967295" on an empty or small mailbox is cheap.
    /// </summary>
    public IEnumerable<int> IndicesOf(IReadOnlyList<uint> sortedUids)
    {
        if (sortedUids.Count == 0)
            yield break;
        foreach (var (low, high) in Normalize(sortedUids[^1]))
        {
            for (int i = LowerBound(sortedUids, low); i < sortedUids.Count && sortedUids[i] <= high; i++)
                yield return i;
        }
    }

    private static int LowerBound(IReadOnlyList<uint> sorted, uint value)
    {
        int lo = 0, hi = sorted.Count;
        while (lo < hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (sorted[mid] < value)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    /// <summary>The set as written, e.g. "4:2,*".</summary>
    public override string ToString() => IsSearchResult ? "$" : string.Join(",", Ranges);

    /// <summary>
    /// Numbers in sequence-set form, consecutive runs collapsed and order kept: "1:3,7,5" for 1,2,3,7,5.
    /// RFC 4315 section 3: COPYUID's two uid-sets must list source and destination in matching order;
    /// RFC 4731 ESEARCH ALL uses it on ascending numbers.
    /// </summary>
    public static string Format(IEnumerable<uint> numbers)
    {
        var text = new StringBuilder();
        uint start = 0, previous = 0;
        bool any = false;
        void Flush()
        {
            if (text.Length > 0)
                text.Append(',');
            text.Append(start);
            if (previous != start)
                text.Append(':').Append(previous);
        }
        foreach (uint n in numbers)
        {
            if (any && previous != uint.MaxValue && n == previous + 1)
            {
                previous = n;
                continue;
            }
            if (any)
                Flush();
            start = previous = n;
            any = true;
        }
        if (any)
            Flush();
        return text.ToString();
    }

    /// <summary>Resolved ranges in sequence-set form: "1:4,9".</summary>
    public static string Format(IEnumerable<(uint Low, uint High)> ranges) =>
        string.Join(",", ranges.Select(r => r.Low == r.High ? r.Low.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{r.Low}:{r.High}"));
}
