// RFC 9051 section 6.4.5 (FETCH) and RFC 7162 section 3.1.4.1 (CHANGEDSINCE): what an IMAP FETCH
// needs from the index for many messages at once, in one query rather than one per message.
using System.Globalization;
using System.Text;

namespace Appliance.Storage.Mail;

/// <summary>
/// One message's index row as FETCH reads it: everything but the cached summary, plus its file, so
/// that the body can be opened without another lookup (<see cref="MailAccount.OpenMessage(string, MessageFile)"/>).
/// </summary>
public sealed record MessageFetchRow(
    uint Uid,
    long Size,
    DateTimeOffset InternalDate,
    MessageFlags Flags,
    IReadOnlyList<string> Keywords,
    ulong ModSeq,
    MessageFile File);

public sealed partial class MailAccount
{
    /// <summary>
    /// Ranges up to which one query names each range in its WHERE clause; with more (a sparse UID
    /// set from a client's cache) the query reads from the lowest to the highest UID and the ranges
    /// are applied here, which still costs one query and at most the mailbox's rows.
    /// </summary>
    private const int MaxRangesInQuery = 100;

    /// <summary>
    /// The messages of <paramref name="mailbox"/> whose UIDs lie in <paramref name="uidRanges"/>
    /// (inclusive, ascending, not overlapping), in ascending UID order, from one index query.
    /// UIDs that do not exist (expunged, never used) are simply absent.
    /// </summary>
    public IReadOnlyList<MessageFetchRow> ListMessagesForFetch(string mailbox, IReadOnlyList<(uint Low, uint High)> uidRanges)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(uidRanges);
        var name = MailboxName.Normalize(mailbox);
        var rows = new List<MessageFetchRow>();
        if (uidRanges.Count == 0)
        {
            return rows;
        }

        using var c = _db.Open();
        var mailboxRow = RequireMailbox(c, null, name);
        var cur = Path.Combine(FolderDirectory(mailboxRow.Id), "cur");
        var parameters = new List<(string Name, object? Value)> { ("$id", mailboxRow.Id) };
        var where = UidRangeCondition(uidRanges, parameters, out bool filterHere);
        using var command = IndexDatabase.Command(c, null,
            $"SELECT uid, size, internal_date, flags, keywords, modseq, file_name FROM messages WHERE mailbox_id = $id AND ({where}) ORDER BY uid",
            [.. parameters]);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var uid = (uint)reader.GetInt64(0);
            if (filterHere && !InRanges(uidRanges, uid))
            {
                continue;
            }

            var size = reader.GetInt64(1);
            var flags = (MessageFlags)reader.GetInt32(3);
            rows.Add(new MessageFetchRow(
                uid,
                size,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                flags,
                Keywords.Split(reader.GetString(4)),
                (ulong)reader.GetInt64(5),
                new MessageFile(uid, size, flags, Path.Combine(cur, reader.GetString(6)))));
        }

        return rows;
    }

    /// <summary>
    /// The messages of <paramref name="mailbox"/> whose UIDs lie in <paramref name="uidRanges"/>
    /// (inclusive, ascending, not overlapping), in ascending UID order, with their cached summaries,
    /// from one index query: IMAP SEARCH reads only the messages its full-text keys left possible.
    /// </summary>
    public IReadOnlyList<MessageInfo> ListMessagesByUid(string mailbox, IReadOnlyList<(uint Low, uint High)> uidRanges)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(uidRanges);
        var name = MailboxName.Normalize(mailbox);
        if (uidRanges.Count == 0)
        {
            return [];
        }

        using var c = _db.Open();
        var row = RequireMailbox(c, null, name);
        var parameters = new List<(string Name, object? Value)> { ("$id", row.Id) };
        var where = UidRangeCondition(uidRanges, parameters, out bool filterHere);
        using var command = IndexDatabase.Command(c, null,
            $"SELECT {MessageColumns} FROM messages WHERE mailbox_id = $id AND ({where}) ORDER BY uid", [.. parameters]);
        var messages = ReadMessages(command);
        if (filterHere)
        {
            messages.RemoveAll(m => !InRanges(uidRanges, m.Uid));
        }

        return messages;
    }

    /// <summary>
    /// A WHERE condition on uid for <paramref name="uidRanges"/> (ascending, disjoint), its parameters
    /// added to <paramref name="parameters"/>. Past <see cref="MaxRangesInQuery"/> ranges it spans the
    /// lowest to the highest UID and <paramref name="filterHere"/> says the caller must apply
    /// <see cref="InRanges"/> to each row.
    /// </summary>
    private static string UidRangeCondition(IReadOnlyList<(uint Low, uint High)> uidRanges, List<(string Name, object? Value)> parameters, out bool filterHere)
    {
        var where = new StringBuilder();
        filterHere = uidRanges.Count > MaxRangesInQuery;
        if (filterHere)
        {
            where.Append("uid BETWEEN $low AND $high");
            parameters.Add(("$low", (long)uidRanges.Min(r => r.Low)));
            parameters.Add(("$high", (long)uidRanges.Max(r => r.High)));
            return where.ToString();
        }

        for (int i = 0; i < uidRanges.Count; i++)
        {
            string index = i.ToString(CultureInfo.InvariantCulture);
            where.Append(i == 0 ? "" : " OR ").Append($"uid BETWEEN $l{index} AND $h{index}");
            parameters.Add(("$l" + index, (long)uidRanges[i].Low));
            parameters.Add(("$h" + index, (long)uidRanges[i].High));
        }

        return where.ToString();
    }

    /// <summary>Ascending distinct UIDs as ranges of consecutive numbers.</summary>
    private static List<(uint Low, uint High)> ToRanges(IReadOnlyList<uint> ascending)
    {
        var ranges = new List<(uint Low, uint High)>();
        foreach (var uid in ascending)
        {
            if (ranges.Count > 0 && ranges[^1].High + 1 == uid)
            {
                ranges[^1] = (ranges[^1].Low, uid);
            }
            else
            {
                ranges.Add((uid, uid));
            }
        }

        return ranges;
    }

    private static bool InRanges(IReadOnlyList<(uint Low, uint High)> ranges, uint uid)
    {
        // Ranges are ascending and disjoint: binary search for the last range starting at or below uid.
        int lo = 0, hi = ranges.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = lo + (hi - lo) / 2;
            if (ranges[mid].Low <= uid)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found >= 0 && uid <= ranges[found].High;
    }
}
