// RFC 9051 section 6.4.4 (SEARCH BODY and TEXT: "contain the specified string", a substring, case
// insensitive), backed by an SQLite FTS5 table with the trigram tokenizer (SQLite 3.34+), whose
// MATCH on a quoted string of three or more characters is exactly such a substring test.
//
// Why trigrams: Dovecot's fts plugins (flatcurve, solr) match whole words or word prefixes, so
// "BODY ello" misses "hello" there unless substring search is switched on (at a large index cost);
// IMAP's own definition is a substring. The trigram index gives the RFC's answer without reading the
// messages, at the cost of an index a few times the text's size. Shorter strings (one or two
// characters) cannot use it and are compared against the stored text.
//
// Upkeep: a row per message, rowid = mailbox id << 32 | UID (stable: UIDs and mailbox ids are never
// reused). Copies, moves and adoption (open, reindex) write the row in the transaction that
// inserts the message, appends leave it to the background indexer (MailAccount.TextIndexing.cs);
// a trigger on messages deletes it (expunge, move, mailbox delete,
// reindex). Rows a message lacks (an index made before this table, a bulk import) are filled by
// the background indexer after the account's open and, as a safety net, before each text search
// of a mailbox.
using System.Globalization;
using Appliance.Mime;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

/// <summary>Which part of a message a text search looks in.</summary>
public enum TextSearchScope
{
    /// <summary>IMAP SEARCH BODY: the text of the body parts.</summary>
    Body,

    /// <summary>IMAP SEARCH TEXT: the header and the body.</summary>
    HeaderAndBody,

    /// <summary>
    /// The decoded header fields only ("Name: value" lines): lets IMAP HEADER, FROM, SUBJECT ... skip
    /// reading the header of messages that cannot match.
    /// </summary>
    Header,
}

public sealed partial class MailAccount
{
    /// <summary>
    /// Searches a mailbox's full-text index for <paramref name="text"/> as a case-insensitive
    /// substring (RFC 9051 section 6.4.4 BODY / TEXT) and returns the matching UIDs; case folding is
    /// SQLite's (unicode61 rules, no diacritics removed). An empty string matches every message.
    /// Messages not yet indexed are indexed first.
    /// </summary>
    public IReadOnlySet<uint> SearchText(string mailbox, string text, TextSearchScope scope)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(text);
        var name = MailboxName.Normalize(mailbox);
        long mailboxId;
        bool unindexed;
        (uint UidValidity, uint UidNext) counters;
        using (var c = _db.Open())
        {
            var row = RequireMailbox(c, null, name);
            mailboxId = row.Id;
            counters = (row.UidValidity, row.UidNext);
            unindexed = !(_textCompleteAt.TryGetValue(mailboxId, out var complete) && complete == counters)
                && HasUnindexedText(c, mailboxId);
        }

        if (unindexed)
        {
            Write((c, tx, _) => IndexMissingText(c, tx, mailboxId));
        }
        else
        {
            _textCompleteAt[mailboxId] = counters;
        }

        using var connection = _db.Open();
        var (low, high) = TextKeyRange(mailboxId);
        var result = new HashSet<uint>();
        if (text.Length == 0)
        {
            using var all = IndexDatabase.Command(connection, null, "SELECT uid FROM messages WHERE mailbox_id = $id", ("$id", mailboxId));
            using var rows = all.ExecuteReader();
            while (rows.Read())
            {
                result.Add((uint)rows.GetInt64(0));
            }

            return result;
        }

        // The trigram tokenizer indexes sequences of three characters (code points).
        if (text.EnumerateRunes().Count() >= 3)
        {
            // One FTS5 string: double quotes are escaped by doubling (FTS5 query syntax, "strings").
            var phrase = "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            var query = scope switch
            {
                TextSearchScope.Body => "body : " + phrase,
                TextSearchScope.Header => "header : " + phrase,
                _ => phrase,
            };
            using var command = IndexDatabase.Command(connection, null,
                "SELECT rowid FROM message_text WHERE message_text MATCH $q AND rowid BETWEEN $low AND $high",
                ("$q", query), ("$low", low), ("$high", high));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                result.Add((uint)(reader.GetInt64(0) & uint.MaxValue));
            }

            return result;
        }

        // Under three characters the trigram index has nothing to look up: compare the stored text.
        using (var command = IndexDatabase.Command(connection, null,
            "SELECT rowid, header, body FROM message_text WHERE rowid BETWEEN $low AND $high", ("$low", low), ("$high", high)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var found = (scope != TextSearchScope.Header && reader.GetString(2).Contains(text, StringComparison.OrdinalIgnoreCase))
                    || (scope != TextSearchScope.Body && reader.GetString(1).Contains(text, StringComparison.OrdinalIgnoreCase));
                if (found)
                {
                    result.Add((uint)(reader.GetInt64(0) & uint.MaxValue));
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Per mailbox, the UIDVALIDITY and UIDNEXT at which every message was last seen to have its text
    /// row, so the safety net's check (one lookup per message: some 10 ms for 10,000) runs once per
    /// new message rather than once per search. Every way a message enters a mailbox (append, copy,
    /// move, adoption) writes its text row in the transaction that inserts it and advances UIDNEXT,
    /// so while both are unchanged no message without a row can have appeared. A reindex clears it.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, (uint UidValidity, uint UidNext)> _textCompleteAt = new();

    /// <summary>The FTS rowid of a message: mailbox id in the high 32 bits, UID in the low.</summary>
    internal static long TextKey(long mailboxId, uint uid) => (mailboxId << 32) | uid;

    private static (long Low, long High) TextKeyRange(long mailboxId) => (TextKey(mailboxId, 0), TextKey(mailboxId, uint.MaxValue));

    /// <summary>Writes a message's text row (replacing a stale one) in the caller's transaction.</summary>
    private static void InsertText(SqliteConnection c, SqliteTransaction tx, long mailboxId, uint uid, SearchableText text)
    {
        var key = TextKey(mailboxId, uid);
        IndexDatabase.Execute(c, tx, "DELETE FROM message_text WHERE rowid = $key", ("$key", key));
        IndexDatabase.Execute(c, tx, "INSERT INTO message_text (rowid, header, body) VALUES ($key, $header, $body)",
            ("$key", key), ("$header", text.Header), ("$body", text.Body));
    }

    /// <summary>Indexes the text of the message file at <paramref name="path"/> (adoption, backfill).</summary>
    private static void InsertTextFromFile(SqliteConnection c, SqliteTransaction tx, long mailboxId, uint uid, string path) =>
        InsertText(c, tx, mailboxId, uid, MessageText.ReadFile(path));

    /// <summary>COPY and MOVE: the copy gets the source's text row, without reading the message again.</summary>
    private static void CopyText(SqliteConnection c, SqliteTransaction tx, long sourceMailboxId, uint sourceUid, long targetMailboxId, uint targetUid)
    {
        var target = TextKey(targetMailboxId, targetUid);
        IndexDatabase.Execute(c, tx, "DELETE FROM message_text WHERE rowid = $target", ("$target", target));
        IndexDatabase.Execute(c, tx,
            "INSERT INTO message_text (rowid, header, body) SELECT $target, header, body FROM message_text WHERE rowid = $source",
            ("$target", target), ("$source", TextKey(sourceMailboxId, sourceUid)));
    }

    /// <summary>Whether a mailbox (or, with null, any mailbox) has messages without a text row; reads FTS5's content table by its key.</summary>
    private static bool HasUnindexedText(SqliteConnection c, long? mailboxId)
    {
        using var command = IndexDatabase.Command(c, null, """
            SELECT EXISTS (SELECT 1 FROM messages m
                WHERE ($id IS NULL OR m.mailbox_id = $id)
                  AND NOT EXISTS (SELECT 1 FROM message_text_content t WHERE t.id = (m.mailbox_id << 32) | m.uid))
            """, ("$id", mailboxId));
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
    }

    /// <summary>
    /// Indexes every message of a mailbox (or, with null, of the account) that has no text row: an
    /// index made before full-text search existed, or messages imported in bulk. Returns the count.
    /// </summary>
    private int IndexMissingText(SqliteConnection c, SqliteTransaction tx, long? mailboxId)
    {
        var missing = new List<(long MailboxId, uint Uid, string FileName)>();
        using (var command = IndexDatabase.Command(c, tx, """
            SELECT m.mailbox_id, m.uid, m.file_name FROM messages m
            WHERE ($id IS NULL OR m.mailbox_id = $id)
              AND NOT EXISTS (SELECT 1 FROM message_text_content t WHERE t.id = (m.mailbox_id << 32) | m.uid)
            """, ("$id", mailboxId)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                missing.Add((reader.GetInt64(0), (uint)reader.GetInt64(1), reader.GetString(2)));
            }
        }

        foreach (var (id, uid, fileName) in missing)
        {
            InsertTextFromFile(c, tx, id, uid, Path.Combine(FolderDirectory(id), "cur", fileName));
        }

        return missing.Count;
    }
}

/// <summary>
/// A message's row in the full-text index: <see cref="SearchableText"/> read from its file, bounded
/// by <see cref="MaxChars"/>, never failing an append.
/// </summary>
internal static class MessageText
{
    /// <summary>
    /// Characters kept per message, header and body each. Our choice: far above any written mail
    /// (a long thread quoted in full is some tens of kilobytes), while a message that is a huge log
    /// pasted as text cannot make the index grow without bound. Text past it is not found.
    /// </summary>
    internal const int MaxChars = 1024 * 1024;

    public static SearchableText ReadFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
            return Read(stream);
        }
        catch (IOException)
        {
            return SearchableText.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return SearchableText.Empty;
        }
    }

    /// <summary>Reads a complete message from a seekable stream, from its start.</summary>
    public static SearchableText Read(Stream message)
    {
        try
        {
            message.Position = 0;
            return SearchableText.Read(message, MaxChars);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A message is worth more than its index row: a parser bug or an I/O error leaves it
            // unsearchable by text rather than unstored.
            return SearchableText.Empty;
        }
    }
}
