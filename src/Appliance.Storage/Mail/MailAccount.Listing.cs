// The webmail's message list and search: one page of a mailbox in the order the user picked, and
// messages found by sender, recipient, subject, text, date and attachment in one mailbox or all.
// Everything is answered from the index (cached summary columns and the FTS5 table of
// MailAccount.Search.cs); no message file is opened.
using System.Globalization;
using System.Text;

namespace Appliance.Storage.Mail;

/// <summary>The orders the webmail's message list offers.</summary>
public enum MessageSortKey
{
    /// <summary>INTERNALDATE (arrival), then UID.</summary>
    Date,
    From,
    Subject,
    Size,
}

/// <summary>
/// What the webmail's search asks for; every given criterion must hold. From, To and Subject are
/// case-insensitive substrings of the decoded header text; Text is a substring of the header or the
/// body (the full-text index). Dates compare INTERNALDATE: <see cref="Since"/> inclusive,
/// <see cref="Before"/> exclusive, like IMAP SINCE/BEFORE (RFC 9051 6.4.4).
/// </summary>
public sealed record MessageQuery(
    string? From = null,
    string? To = null,
    string? Subject = null,
    string? Text = null,
    DateTimeOffset? Since = null,
    DateTimeOffset? Before = null,
    bool? HasAttachment = null)
{
    public bool IsEmpty => string.IsNullOrWhiteSpace(From) && string.IsNullOrWhiteSpace(To) && string.IsNullOrWhiteSpace(Subject)
        && string.IsNullOrWhiteSpace(Text) && Since is null && Before is null && HasAttachment is null;
}

/// <summary>A message found by <see cref="MailAccount.FindMessages"/> and the mailbox it is in.</summary>
public sealed record FoundMessage(string Mailbox, MessageInfo Message);

/// <summary>Found messages, newest first, and whether more matched than were returned.</summary>
public sealed record FoundMessages(IReadOnlyList<FoundMessage> Messages, bool Truncated);

public sealed partial class MailAccount
{
    /// <summary>
    /// One page of a mailbox in the given order, plus the total count (one read snapshot). Ties are
    /// broken by UID so that paging never shows a message twice or skips one.
    /// </summary>
    public MessagePage ListPage(string mailbox, MessageSortKey sort, bool descending, int offset, int count)
    {
        string direction = descending ? "DESC" : "ASC";
        // Column names come from this switch only, never from the caller's text; the date order
        // newest first is the one the messages_newest index serves.
        string order = sort switch
        {
            MessageSortKey.Date => $"internal_date {direction}, uid {direction}",
            MessageSortKey.From => $"from_text COLLATE NOCASE {direction}, internal_date DESC, uid DESC",
            MessageSortKey.Subject => $"subject COLLATE NOCASE {direction}, internal_date DESC, uid DESC",
            MessageSortKey.Size => $"size {direction}, uid {direction}",
            _ => throw new ArgumentOutOfRangeException(nameof(sort)),
        };
        return ReadPage(mailbox, order, offset, count);
    }

    /// <summary>
    /// Messages matching <paramref name="query"/> in <paramref name="mailbox"/>, or in every mailbox
    /// when it is null; newest first, at most <paramref name="max"/>. Messages not yet in the
    /// full-text index are indexed first when the query has <see cref="MessageQuery.Text"/>.
    /// </summary>
    public FoundMessages FindMessages(string? mailbox, MessageQuery query, int max)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        long? mailboxId = null;
        Dictionary<long, string> names;
        using (var c = _db.Open())
        {
            if (mailbox is not null)
                mailboxId = RequireMailbox(c, null, MailboxName.Normalize(mailbox)).Id;
            names = AllMailboxes(c, null).ToDictionary(m => m.Id, m => m.Name);
            if (!string.IsNullOrWhiteSpace(query.Text) && HasUnindexedText(c, mailboxId))
                Write((wc, tx, _) => IndexMissingText(wc, tx, mailboxId));
        }

        var where = new StringBuilder("1 = 1");
        var parameters = new List<(string, object?)>();
        if (mailboxId is { } id)
        {
            where.Append(" AND m.mailbox_id = $mailbox");
            parameters.Add(("$mailbox", id));
        }
        AddContains(where, parameters, "m.from_text", "$from", query.From);
        AddContains(where, parameters, "m.to_text", "$to", query.To);
        AddContains(where, parameters, "m.subject", "$subject", query.Subject);
        if (query.Since is { } since)
        {
            where.Append(" AND m.internal_date >= $since");
            parameters.Add(("$since", since.ToUnixTimeMilliseconds()));
        }
        if (query.Before is { } before)
        {
            where.Append(" AND m.internal_date < $before");
            parameters.Add(("$before", before.ToUnixTimeMilliseconds()));
        }
        if (query.HasAttachment is { } attachment)
        {
            where.Append(" AND m.has_attachment = $attachment");
            parameters.Add(("$attachment", attachment ? 1 : 0));
        }
        string? text = string.IsNullOrWhiteSpace(query.Text) ? null : query.Text.Trim();
        if (text is not null)
        {
            if (text.EnumerateRunes().Count() >= 3)
            {
                // The trigram index answers a quoted FTS5 string as a case-insensitive substring (see MailAccount.Search.cs).
                where.Append(" AND ((m.mailbox_id << 32) | m.uid) IN (SELECT rowid FROM message_text WHERE message_text MATCH $text)");
                parameters.Add(("$text", "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
            }
            else
            {
                where.Append(" AND ((m.mailbox_id << 32) | m.uid) IN (SELECT rowid FROM message_text WHERE instr(lower(header), lower($text)) > 0 OR instr(lower(body), lower($text)) > 0)");
                parameters.Add(("$text", text));
            }
        }
        parameters.Add(("$limit", max + 1));

        using var connection = _db.Open();
        using var command = IndexDatabase.Command(connection, null,
            $"SELECT m.mailbox_id, {string.Join(", ", MessageColumns.Split(", ").Select(column => "m." + column))} FROM messages m " +
            $"WHERE {where} ORDER BY m.internal_date DESC, m.uid DESC LIMIT $limit", [.. parameters]);
        using var reader = command.ExecuteReader();
        var found = new List<FoundMessage>();
        while (reader.Read())
        {
            if (found.Count == max)
                return new FoundMessages(found, Truncated: true);
            var info = ReadMessage(reader, firstColumn: 1);
            found.Add(new FoundMessage(names.GetValueOrDefault(reader.GetInt64(0), ""), info));
        }
        return new FoundMessages(found, Truncated: false);
    }

    /// <summary>A case-insensitive substring test on an index column; LIKE's own wildcards in the user's text are escaped.</summary>
    private static void AddContains(StringBuilder where, List<(string, object?)> parameters, string column, string parameter, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            return;
        string escaped = value.Trim().Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
        // LIKE alone is case-insensitive for ASCII only; lower() on both sides also folds what SQLite's lower() knows.
        where.Append(" AND lower(").Append(column).Append(") LIKE lower(").Append(parameter).Append(") ESCAPE '\\'");
        parameters.Add((parameter, "%" + escaped + "%"));
    }
}
