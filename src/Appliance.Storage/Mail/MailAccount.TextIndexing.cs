// Full-text rows for appended messages are written after the append is acknowledged, by one
// background indexer per account, a few messages per transaction.
//
// Why not in the append's transaction: a trigram row is several times the text's size (FTS5 keeps
// the text and a position list per trigram), so for a 100 KB message the append wrote some 300 KB
// more to the WAL, fsynced before the SMTP 250 (a quarter of the server's CPU and most of the
// latency in the benchmark against Postfix). The row is derived data: the message is durable
// without it, and every text search first indexes what still lacks a row (MailAccount.Search.cs),
// so results are the same whether the indexer has caught up or not. Dovecot indexes in the
// background too (fts_autoindex hands new mail to its indexer service).
//
// The queue is in memory: after a crash, the account's open indexes whatever has no row.
using Appliance.Mime;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

public sealed partial class MailAccount
{
    /// <summary>
    /// Text characters indexed per transaction (at least one message). The indexer holds the
    /// account's write lock while it writes them, and an append waits for that lock: half a million
    /// characters take a few milliseconds to index, about one fsync's worth of waiting.
    /// </summary>
    internal const int TextIndexBatchChars = 512 * 1024;

    /// <summary>Messages indexed per transaction at most, for the same reason, when they are small.</summary>
    internal const int TextIndexBatchMessages = 64;

    private readonly Lock _textIndexGate = new();
    private readonly Queue<(long MailboxId, uint Uid)> _textIndexQueue = new();
    private bool _textIndexerRunning;
    private TaskCompletionSource _textIndexIdle = CompletedIdle();

    private static TaskCompletionSource CompletedIdle()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        idle.SetResult();
        return idle;
    }

    /// <summary>Completes when every message queued so far has its text row (or was found gone); for tests and shutdown.</summary>
    internal Task WhenTextIndexedAsync()
    {
        lock (_textIndexGate)
            return _textIndexIdle.Task;
    }

    /// <summary>Hands committed messages to the background indexer, starting it if it is not running.</summary>
    private void QueueTextIndexing(List<(long MailboxId, uint Uid)> messages)
    {
        if (messages.Count == 0)
            return;
        lock (_textIndexGate)
        {
            foreach (var message in messages)
                _textIndexQueue.Enqueue(message);
            if (_textIndexerRunning || Volatile.Read(ref _disposed) != 0)
                return;
            _textIndexerRunning = true;
            if (_textIndexIdle.Task.IsCompleted)
                _textIndexIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _ = Task.Run(RunTextIndexer);
    }

    private void RunTextIndexer()
    {
        while (true)
        {
            List<(long MailboxId, uint Uid)> batch;
            lock (_textIndexGate)
            {
                if (_textIndexQueue.Count == 0 || Volatile.Read(ref _disposed) != 0)
                {
                    _textIndexQueue.Clear();
                    _textIndexerRunning = false;
                    _textIndexIdle.TrySetResult();
                    return;
                }
                batch = [];
                while (batch.Count < TextIndexBatchMessages && _textIndexQueue.TryDequeue(out var next))
                    batch.Add(next);
            }
            try
            {
                IndexTextBatch(batch);
            }
            catch (Exception e) when (e is IOException or SqliteException or ObjectDisposedException or UnauthorizedAccessException)
            {
                // Left without a row: the next search of the mailbox (or the next open) indexes it.
            }
        }
    }

    /// <summary>
    /// Reads the text of the batch's messages outside the lock, then writes the rows of those still
    /// there in one transaction. Messages past the character budget go back to the queue's end.
    /// </summary>
    private void IndexTextBatch(List<(long MailboxId, uint Uid)> batch)
    {
        var texts = new List<(long MailboxId, uint Uid, SearchableText Text)>();
        long chars = 0;
        using (var c = _db.Open())
        {
            foreach (var (mailboxId, uid) in batch)
            {
                if (texts.Count > 0 && chars >= TextIndexBatchChars)
                {
                    lock (_textIndexGate)
                        _textIndexQueue.Enqueue((mailboxId, uid));
                    continue;
                }
                // The file name now, not at the append: a flag change renames the file.
                using var command = IndexDatabase.Command(c, null,
                    "SELECT file_name FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", mailboxId), ("$uid", (long)uid));
                if (command.ExecuteScalar() is not string fileName)
                    continue; // expunged or moved already
                SearchableText text;
                try
                {
                    using var file = new FileStream(Path.Combine(FolderDirectory(mailboxId), "cur", fileName),
                        FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
                    text = MessageText.Read(file);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Renamed or expunged since the query: a search will index it if it is still there.
                    continue;
                }
                texts.Add((mailboxId, uid, text));
                chars += text.Header.Length + text.Body.Length;
            }
        }
        if (texts.Count == 0)
            return;

        _writeLock.Wait();
        try
        {
            ThrowIfDisposed();
            using var c = _db.Open();
            using var tx = c.BeginTransaction(deferred: false);
            foreach (var (mailboxId, uid, text) in texts)
            {
                // Only for a message still there (the trigger that removes rows at expunge has run
                // already for one that is gone) and not indexed meanwhile by a search's catch-up.
                var key = TextKey(mailboxId, uid);
                IndexDatabase.Execute(c, tx, """
                    INSERT INTO message_text (rowid, header, body)
                    SELECT $key, $header, $body
                    WHERE EXISTS (SELECT 1 FROM messages WHERE mailbox_id = $id AND uid = $uid)
                      AND NOT EXISTS (SELECT 1 FROM message_text_content WHERE id = $key)
                    """,
                    ("$key", key), ("$header", text.Header), ("$body", text.Body), ("$id", mailboxId), ("$uid", (long)uid));
            }
            tx.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
