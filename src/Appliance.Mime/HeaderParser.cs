// RFC 5322 2.2 (header fields), 2.2.3 (folding), 3.6.8 (field names), 4.5 (obsolete header syntax).
using System.Buffers;
using System.Text;

namespace Appliance.Mime;

internal static class HeaderParser
{
    /// <summary>
    /// Length of the header block at the start of <paramref name="data"/> including its blank line, or
    /// data.Length when the blank line is not there. Bare LF counts as a line end.
    /// </summary>
    public static int FindEnd(ReadOnlySpan<byte> data, out bool found, int from = 0)
    {
        found = true;
        // RFC 5322 2.1: the body follows the first empty line; a block may be empty.
        if (data.Length > 0 && data[0] == '\n')
        {
            return 1;
        }
        if (data.Length > 1 && data[0] == '\r' && data[1] == '\n')
        {
            return 2;
        }
        int i = from;
        while (i < data.Length)
        {
            int lf = data[i..].IndexOf((byte)'\n');
            if (lf < 0)
            {
                break;
            }
            int next = i + lf + 1;
            if (next < data.Length && data[next] == '\n')
            {
                return next + 1;
            }
            if (next + 1 < data.Length && data[next] == '\r' && data[next + 1] == '\n')
            {
                return next + 2;
            }
            i = next;
        }
        found = false;
        return data.Length;
    }

    /// <summary>
    /// Parses the block at the start of <paramref name="data"/>. <paramref name="endsAtBlankLine"/>
    /// says the caller already found the blank line at the very end of data (the structure parser
    /// has), which saves scanning for it again.
    /// </summary>
    public static HeaderBlock Parse(ReadOnlySpan<byte> data, HeaderLimits limits, bool endsAtBlankLine = false)
    {
        HeaderProblems problems = HeaderProblems.None;
        ReadOnlySpan<byte> window = data[..Math.Min(data.Length, limits.MaxHeaderBytes)];
        bool found = true;
        int length = endsAtBlankLine && window.Length == data.Length ? data.Length : FindEnd(window, out found);
        if (!found)
        {
            problems |= data.Length >= limits.MaxHeaderBytes ? HeaderProblems.TooLarge : HeaderProblems.MissingBlankLine;
        }

        // Fields keep slices of one owned copy, so the caller's buffer can be reused.
        byte[] block = window[..length].ToArray();
        // Field positions collect on the stack (a pooled array past 32) and become the block's slots
        // at their exact count; names become strings only when asked for.
        var fields = new FieldPositions(stackalloc FieldPosition[32]);
        try
        {
            int pos = 0;
            bool inField = false;
            FieldPosition current = default;
            while (pos < block.Length)
            {
                int lf = Array.IndexOf(block, (byte)'\n', pos);
                int next = lf < 0 ? block.Length : lf + 1;
                int lineEnd = lf < 0 ? block.Length : lf;
                if (lineEnd > pos && block[lineEnd - 1] == '\r')
                {
                    lineEnd--;
                }
                else if (lf >= 0)
                {
                    problems |= HeaderProblems.BareLineFeed;
                }
                if (lineEnd - pos > limits.MaxLineLength)
                {
                    problems |= HeaderProblems.LongLine;
                }
                if (lineEnd == pos)
                {
                    break; // the blank line
                }

                if (block[pos] is (byte)' ' or (byte)'\t')
                {
                    // RFC 5322 2.2.3 folding; a whitespace-only line is obs-FWS (4.2), still a continuation.
                    if (inField)
                    {
                        current.ValueLength = lineEnd - current.ValueStart;
                    }
                    else
                    {
                        problems |= HeaderProblems.OrphanContinuation;
                    }
                }
                else
                {
                    if (inField)
                    {
                        problems |= fields.Add(current, limits.MaxFieldCount);
                        inField = false;
                    }
                    int colon = block.AsSpan(pos, lineEnd - pos).IndexOf((byte)':');
                    // RFC 5322 4.5.8 (obs-optional): whitespace may stand between the name and the colon.
                    ReadOnlySpan<byte> nameBytes = colon < 0 ? default : block.AsSpan(pos, colon).TrimEnd(" \t"u8);
                    if (colon < 0 || !IsFieldName(nameBytes))
                    {
                        // Not a field (an mbox "From " line, stray body text): skip it, keep going.
                        problems |= HeaderProblems.MalformedLine;
                    }
                    else
                    {
                        inField = true;
                        current = new FieldPosition(pos, nameBytes.Length, pos + colon + 1, lineEnd - (pos + colon + 1));
                    }
                }
                pos = next;
                if ((problems & HeaderProblems.TooManyFields) != 0)
                {
                    break;
                }
            }
            if (inField)
            {
                problems |= fields.Add(current, limits.MaxFieldCount);
            }
            return new HeaderBlock(block, fields.ToSlots(), length, problems);
        }
        finally
        {
            fields.Dispose();
        }
    }

    /// <summary>Where a field lies in its block: its name without whitespace before the colon, and its value.</summary>
    private struct FieldPosition(int start, int nameLength, int valueStart, int valueLength)
    {
        public readonly int Start = start;
        public readonly int NameLength = nameLength;
        public readonly int ValueStart = valueStart;
        public int ValueLength = valueLength;
    }

    private ref struct FieldPositions(Span<FieldPosition> initial)
    {
        private Span<FieldPosition> items = initial;
        private FieldPosition[]? rented;
        private int count;

        /// <summary>Adds a field, or says <see cref="HeaderProblems.TooManyFields"/> once the limit is reached.</summary>
        public HeaderProblems Add(FieldPosition field, int maxFields)
        {
            if (count >= maxFields)
            {
                return HeaderProblems.TooManyFields;
            }
            if (count == items.Length)
            {
                FieldPosition[] larger = ArrayPool<FieldPosition>.Shared.Rent(items.Length * 2);
                items.CopyTo(larger);
                Dispose();
                rented = larger;
                items = larger;
            }
            items[count++] = field;
            return HeaderProblems.None;
        }

        public readonly HeaderFieldSlot[] ToSlots()
        {
            if (count == 0)
            {
                return [];
            }
            var slots = new HeaderFieldSlot[count];
            for (int i = 0; i < count; i++)
            {
                FieldPosition f = items[i];
                slots[i] = new HeaderFieldSlot(f.Start, f.NameLength, f.ValueStart, f.ValueLength);
            }
            return slots;
        }

        public void Dispose()
        {
            if (rented is not null)
            {
                ArrayPool<FieldPosition>.Shared.Return(rented);
                rented = null;
            }
        }
    }

    /// <summary>RFC 5322 3.6.8: ftext is printable US-ASCII except colon; at least one character.</summary>
    private static bool IsFieldName(ReadOnlySpan<byte> name) =>
        !name.IsEmpty && name.IndexOfAnyExceptInRange((byte)33, (byte)126) < 0;

    // The names nearly every message carries, shared instead of allocating a string per field per
    // parse: measured on the mime benchmark, per-message allocation is dominated by such small strings.
    private static readonly string[] CommonNames =
    [
        "From", "To", "Cc", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
        "Content-Disposition", "Content-ID", "Received", "Reply-To", "References", "In-Reply-To", "Return-Path",
        "DKIM-Signature", "Authentication-Results", "Received-SPF", "X-Mailer", "User-Agent", "List-Unsubscribe",
    ];

    // The common names grouped by length: a field name is compared with the two or three of its length only.
    private static readonly string[][] CommonNamesByLength = GroupByLength(CommonNames);

    private static string[][] GroupByLength(string[] names)
    {
        var groups = new string[names.Max(n => n.Length) + 1][];
        for (int length = 0; length < groups.Length; length++)
        {
            groups[length] = [.. names.Where(n => n.Length == length)];
        }
        return groups;
    }

    /// <summary>The field name as a string, shared for the common names (RFC 5322 3.6.8: printable ASCII).</summary>
    internal static string FieldName(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < CommonNamesByLength.Length)
        {
            foreach (string common in CommonNamesByLength[bytes.Length])
            {
                if (Ascii.Equals(bytes, common))
                {
                    return common;
                }
            }
        }
        return Encoding.ASCII.GetString(bytes);
    }
}
