// RFC 8601 section 5: a border MTA MUST remove (or rename) Authentication-Results fields that
// carry its own authserv-id before adding its own, so that forged verdicts never reach the reader.
// RFC 5322 3.6.3: Bcc is removed before a message is sent on (as sendmail -t does).
using System.Runtime.InteropServices;
using Appliance.Mime;

namespace Appliance.Server.Smtp;

/// <summary>Header fields to remove from a message, found by the one MIME parser, as byte ranges of the header.</summary>
internal static class HeaderFieldRanges
{
    /// <summary>The Authentication-Results fields whose authserv-id is ours: forged (RFC 8601 5).</summary>
    public static List<(int Start, int End)> ForgedResults(HeaderBlock header, ReadOnlySpan<byte> head, string authservId) =>
        Find(header, head, field => field.Name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase)
            && string.Equals(AuthservIdOf(field.Value), authservId, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The byte ranges (start, end including the line end) of every field <paramref name="remove"/>
    /// selects. Offsets come from the parser's own slices of <paramref name="head"/>, so they are exact.
    /// </summary>
    public static List<(int Start, int End)> Find(HeaderBlock header, ReadOnlySpan<byte> head, Func<HeaderField, bool> remove)
    {
        var ranges = new List<(int, int)>();
        foreach (var field in header)
        {
            if (!remove(field))
                continue;
            if (!MemoryMarshal.TryGetArray(field.RawName, out var name) || !MemoryMarshal.TryGetArray(field.RawValue, out var value))
                continue;
            int start = name.Offset;
            int end = value.Offset + value.Count;
            // The field's own line end (CRLF, or a lone LF the parser tolerated).
            if (end < head.Length && head[end] == (byte)'\r')
                end++;
            if (end < head.Length && head[end] == (byte)'\n')
                end++;
            if (start >= 0 && end <= head.Length && start < end)
                ranges.Add((start, end));
        }
        return ranges;
    }

    /// <summary>authserv-id = value (RFC 8601 2.2): the first token of the field, before ";" and any version, comments removed.</summary>
    internal static string AuthservIdOf(string value)
    {
        int semicolon = value.IndexOf(';');
        string first = semicolon < 0 ? value : value[..semicolon];
        var text = new System.Text.StringBuilder();
        int depth = 0;
        foreach (char c in first)
        {
            if (c == '(')
                depth++;
            else if (c == ')' && depth > 0)
                depth--;
            else if (depth == 0)
                text.Append(c);
        }
        string id = text.ToString().Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        return id.Length >= 2 && id[0] == '"' && id[^1] == '"' ? id[1..^1] : id;
    }

    /// <summary>The bytes of <paramref name="message"/> without the given ranges.</summary>
    public static byte[] Remove(ReadOnlySpan<byte> message, List<(int Start, int End)> ranges)
    {
        ranges.Sort();
        var kept = new List<byte>(message.Length);
        int at = 0;
        foreach (var (start, end) in ranges)
        {
            if (start > at)
                kept.AddRange(message[at..start]);
            at = Math.Max(at, end);
        }
        kept.AddRange(message[at..]);
        return [.. kept];
    }

    /// <summary>A message stream without the given ranges of its head.</summary>
    public static Func<Stream> Without(MessageBuffer buffer, List<(int Start, int End)> ranges)
    {
        if (ranges.Count == 0)
            return buffer.OpenRead;
        ranges.Sort();
        int cut = ranges[^1].End;
        var head = buffer.Head(cut);
        var kept = new List<byte>(cut);
        int at = 0;
        foreach (var (start, end) in ranges)
        {
            if (start > at)
                kept.AddRange(head[at..start]);
            at = Math.Max(at, end);
        }
        byte[] prefix = [.. kept];
        return () =>
        {
            var rest = buffer.OpenRead();
            rest.Position = cut;
            return new Delivery.PrefixedStream(prefix, rest);
        };
    }
}
