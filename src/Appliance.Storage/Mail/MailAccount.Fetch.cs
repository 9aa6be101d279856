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

/// <summary>
/// What IMAP SEARCH reads of a message's index row: its state, size, dates and cached subject, and
/// none of the rest of the summary (addresses, Message-ID, preview), which no search key looks at.
/// </summary>
public sealed class MessageSearchRow(MessageState state, long size, DateTimeOffset internalDate, string? sentDateText, string subject)
{
    private DateTimeOffset? _sentDate;
    private bool _sentDateParsed;

    public MessageState State { get; } = state;

    public long Size { get; } = size;

    public DateTimeOffset InternalDate { get; } = internalDate;

    /// <summary>The cached Date: header (<see cref="Appliance.Mime.MessageSummary.Date"/>), parsed on first use: most searches never ask.</summary>
    public DateTimeOffset? SentDate
    {
        get
        {
            if (!_sentDateParsed)
            {
                _sentDate = sentDateText is null ? null : ParseSentDate(sentDateText);
                _sentDateParsed = true;
            }

            return _sentDate;
        }
    }

    /// <summary>The cached subject (<see cref="Appliance.Mime.MessageSummary.Subject"/>).</summary>
    public string Subject { get; } = subject;

    internal static DateTimeOffset ParseSentDate(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}

public sealed partial class MailAccount
{
    /// <summary>
    /// The FROM and WHERE of a read of the rows whose UIDs lie in a set of ranges: the ranges go in as
    /// one JSON array parameter ($ranges, <see cref="RangesJson"/>) that json_each walks in order, and
    /// each range is one search of the (mailbox_id, uid) key, so the work follows the rows asked for
    /// and the SQL text is the same for any set. (A WHERE of one BETWEEN per range OR-ed together
    /// took SQLite some 14 ms to plan and run for 100 single UIDs; this takes a fraction of one.)
    /// CROSS JOIN keeps json_each the outer loop (SQLite never reorders it): rows come out range by
    /// range, ascending within each, which is ascending UID order for ascending, disjoint ranges.
    /// </summary>
    private const string UidRangesFrom = "json_each($ranges) AS r CROSS JOIN messages AS m";

    private const string UidRangesWhere = "m.mailbox_id = $id AND m.uid BETWEEN r.value ->> 0 AND r.value ->> 1";

    /// <summary>The message columns of <see cref="MessageColumns"/> qualified by the alias m of <see cref="UidRangesFrom"/>.</summary>
    private static readonly string QualifiedMessageColumns = string.Join(", ", MessageColumns.Split(", ").Select(column => "m." + column));

    /// <summary>Ranges as the JSON array of [low, high] pairs that <see cref="UidRangesFrom"/> reads.</summary>
    private static string RangesJson(IReadOnlyList<(uint Low, uint High)> uidRanges)
    {
        var json = new StringBuilder(uidRanges.Count * 12 + 2).Append('[');
        for (int i = 0; i < uidRanges.Count; i++)
        {
            json.Append(i == 0 ? "[" : ",[").Append(uidRanges[i].Low.ToString(CultureInfo.InvariantCulture))
                .Append(',').Append(uidRanges[i].High.ToString(CultureInfo.InvariantCulture)).Append(']');
        }

        return json.Append(']').ToString();
    }

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
        using var command = IndexDatabase.Command(c, null,
            $"SELECT m.uid, m.size, m.internal_date, m.flags, m.keywords, m.modseq, m.file_name FROM {UidRangesFrom} WHERE {UidRangesWhere}",
            ("$id", mailboxRow.Id), ("$ranges", RangesJson(uidRanges)));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var uid = (uint)reader.GetInt64(0);
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
        using var command = IndexDatabase.Command(c, null,
            $"SELECT {QualifiedMessageColumns} FROM {UidRangesFrom} WHERE {UidRangesWhere}", ("$id", row.Id), ("$ranges", RangesJson(uidRanges)));
        return ReadMessages(command);
    }

    /// <summary>
    /// The search rows of the messages of <paramref name="mailbox"/> whose UIDs lie in
    /// <paramref name="uidRanges"/> (inclusive, ascending, not overlapping; null: every message), in
    /// ascending UID order, from one index query that reads only the columns a search can use.
    /// </summary>
    public IReadOnlyList<MessageSearchRow> ListMessagesForSearch(string mailbox, IReadOnlyList<(uint Low, uint High)>? uidRanges = null)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        uidRanges ??= [(1, uint.MaxValue)];
        var rows = new List<MessageSearchRow>();
        if (uidRanges.Count == 0)
        {
            return rows;
        }

        using var c = _db.Open();
        var row = RequireMailbox(c, null, name);
        using var command = IndexDatabase.Command(c, null,
            $"SELECT m.uid, m.flags, m.keywords, m.modseq, m.size, m.internal_date, m.sent_date, m.subject FROM {UidRangesFrom} WHERE {UidRangesWhere}",
            ("$id", row.Id), ("$ranges", RangesJson(uidRanges)));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var state = new MessageState((uint)reader.GetInt64(0), (MessageFlags)reader.GetInt32(1), Keywords.Split(reader.GetString(2)), (ulong)reader.GetInt64(3));
            rows.Add(new MessageSearchRow(state, reader.GetInt64(4), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetString(7)));
        }

        return rows;
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
}
