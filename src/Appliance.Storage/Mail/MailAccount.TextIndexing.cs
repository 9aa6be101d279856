// Full-text rows for appended messages are written after the append is acknowledged, by one
// background indexer per account, when the account's deliveries pause, many messages per
// transaction.
//
// Why not in the append's transaction: a trigram row costs far more than the message's own row
// (FTS5 keeps the text, and writes a segment with a position list per trigram: some twenty 4 KB
// pages for a 4 KB message, against four for the message's row). In the append it was most of the
// SMTP server's CPU and of the time before its 250 (the benchmark against Postfix: 100 KB messages
// went from 80 to 580 a second on one connection without it). The row is derived data: the message
// is durable without it, and every text search first indexes what still lacks a row
// (MailAccount.Search.cs), so results are the same whether the indexer has caught up or not.
// Dovecot works the same way: its full-text index is built by a separate indexer service after
// delivery (fts_autoindex) or at the first search.
//
// Why wait for a pause: indexing competes with deliveries for the CPU, and a segment per few
// messages makes FTS5 merge segments over and over; after a burst, one pass indexes it all in
// large transactions. The queue is in memory: the account's open queues whatever has no row
// (a crash, an index older than the text table).
using System.Diagnostics;
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

    /// <summary>
    /// How long an account's deliveries must pause before the background worker starts: long enough that a
    /// burst (a mailing list, a migration, a benchmark) is indexed after it, in large transactions,
    /// short enough that the index is current a moment after mail stops arriving.
    /// </summary>
    internal static readonly TimeSpan BackgroundQuietPeriod = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The most the background worker waits for a pause: an account that never pauses is indexed this far
    /// behind (a search of it indexes the rest itself, so this bounds only that search's extra work).
    /// </summary>
    internal static readonly TimeSpan BackgroundMaxWait = TimeSpan.FromSeconds(30);

    /// <summary>Queued messages that start the background worker without waiting for a pause (the queue holds 16 bytes a message).</summary>
    internal const int BackgroundQueueLimit = 50_000;

    private readonly Lock _backgroundGate = new();
    private readonly Queue<(long MailboxId, uint Uid)> _textIndexQueue = new();
    private bool _backgroundRunning;
    private long _lastBackgroundQueued;
    private TaskCompletionSource _backgroundIdle = CompletedIdle();
    private TaskCompletionSource _backgroundWake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource CompletedIdle()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        idle.SetResult();
        return idle;
    }

    /// <summary>
    /// Starts the background work without waiting for a pause, and completes when every message
    /// queued so far has its text row and its flags in its file name (or was found gone). For
    /// tests, and for the benchmark, which must not measure the next server while this one works.
    /// </summary>
    public Task FlushBackgroundWorkAsync()
    {
        lock (_backgroundGate)
        {
            _backgroundWake.TrySetResult();
            return _backgroundIdle.Task;
        }
    }

    /// <summary>Wakes the background worker so that it sees the account is disposed; completes when it has stopped.</summary>
    private Task StopBackgroundWork()
    {
        lock (_backgroundGate)
        {
            _backgroundWake.TrySetResult();
            return _backgroundIdle.Task;
        }
    }

    /// <summary>Every message of the account without a text row, in UID order per mailbox.</summary>
    private static List<(long MailboxId, uint Uid)> ListUnindexedText(SqliteConnection c, SqliteTransaction tx)
    {
        var missing = new List<(long MailboxId, uint Uid)>();
        using var command = IndexDatabase.Command(c, tx, """
            SELECT m.mailbox_id, m.uid FROM messages m
            WHERE NOT EXISTS (SELECT 1 FROM message_text_content t WHERE t.id = (m.mailbox_id << 32) | m.uid)
            ORDER BY m.mailbox_id, m.uid
            """);
        using var reader = command.ExecuteReader();
        while (reader.Read())
            missing.Add((reader.GetInt64(0), (uint)reader.GetInt64(1)));
        return missing;
    }

    /// <summary>Hands committed messages to the background indexer, starting it if it is not running.</summary>
    private void QueueTextIndexing(List<(long MailboxId, uint Uid)> messages) =>
        QueueBackgroundWork(messages, _textIndexQueue.Enqueue, () => _textIndexQueue.Count);

    /// <summary>Adds messages to one of the worker's queues (under its gate) and starts the worker if it is not running.</summary>
    private void QueueBackgroundWork(List<(long MailboxId, uint Uid)> messages, Action<(long, uint)> add, Func<int> count)
    {
        if (messages.Count == 0)
            return;
        bool start;
        lock (_backgroundGate)
        {
            foreach (var message in messages)
                add(message);
            start = NoteQueuedLocked(count());
        }
        if (start)
            _ = Task.Run(RunBackgroundWorkAsync);
    }

    /// <summary>
    /// After work was queued (under the gate): remembers when, wakes a waiting worker when its
    /// queue is long, and says whether a worker must be started.
    /// </summary>
    private bool NoteQueuedLocked(int queued)
    {
        _lastBackgroundQueued = Stopwatch.GetTimestamp();
        if (queued >= BackgroundQueueLimit)
            _backgroundWake.TrySetResult();
        if (_backgroundRunning || Volatile.Read(ref _disposed) != 0)
            return false;
        _backgroundRunning = true;
        if (_backgroundIdle.Task.IsCompleted)
            _backgroundIdle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return true;
    }

    /// <summary>Waits for a pause in deliveries (or a flush, or the queue limit, or the longest wait), then indexes the queue.</summary>
    private async Task WaitForQuietAsync()
    {
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            Task wake;
            TimeSpan quietFor;
            lock (_backgroundGate)
            {
                wake = _backgroundWake.Task;
                quietFor = Stopwatch.GetElapsedTime(_lastBackgroundQueued);
            }
            var waitedFor = Stopwatch.GetElapsedTime(started);
            if (wake.IsCompleted || quietFor >= BackgroundQuietPeriod || waitedFor >= BackgroundMaxWait || Volatile.Read(ref _disposed) != 0)
                return;
            var delay = BackgroundQuietPeriod - quietFor;
            if (delay > BackgroundMaxWait - waitedFor)
                delay = BackgroundMaxWait - waitedFor;
            await Task.WhenAny(wake, Task.Delay(delay)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Rounds of: wait for a pause, then index what was queued when the round began (what arrives
    /// meanwhile waits for the next round, so a steady stream is indexed in large rounds too), then
    /// give changed flags their file names (MailAccount.FlagNames.cs).
    /// </summary>
    private async Task RunBackgroundWorkAsync()
    {
        while (true)
        {
            await WaitForQuietAsync().ConfigureAwait(false);
            int round;
            lock (_backgroundGate)
            {
                if ((_textIndexQueue.Count == 0 && _flagNameQueue.Count == 0) || Volatile.Read(ref _disposed) != 0)
                {
                    _textIndexQueue.Clear();
                    _backgroundRunning = false;
                    _backgroundIdle.TrySetResult();
                    if (_backgroundWake.Task.IsCompleted)
                        _backgroundWake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    return;
                }
                round = _textIndexQueue.Count;
            }
            while (round > 0 && Volatile.Read(ref _disposed) == 0)
            {
                List<(long MailboxId, uint Uid)> batch = [];
                lock (_backgroundGate)
                {
                    while (batch.Count < Math.Min(round, TextIndexBatchMessages) && _textIndexQueue.TryDequeue(out var next))
                        batch.Add(next);
                }
                round -= batch.Count;
                try
                {
                    IndexTextBatch(batch);
                }
                catch (Exception e) when (e is IOException or SqliteException or ObjectDisposedException or UnauthorizedAccessException)
                {
                    // Left without a row: the next search of the mailbox (or the next open) indexes it.
                }
            }
            if (Volatile.Read(ref _disposed) == 0)
                SyncQueuedFlagNames();
        }
    }

    /// <summary>
    /// Reads the text of the batch's messages outside the lock and writes the rows of those still
    /// there, one transaction per <see cref="TextIndexBatchChars"/> of text.
    /// </summary>
    private void IndexTextBatch(List<(long MailboxId, uint Uid)> batch)
    {
        var texts = new List<(long MailboxId, uint Uid, SearchableText Text)>();
        long chars = 0;
        using var c = _db.Open();
        foreach (var (mailboxId, uid) in batch)
        {
            // The file name now, not at the append: a flag change renames the file.
            using (var command = IndexDatabase.Command(c, null,
                """
                SELECT file_name FROM messages WHERE mailbox_id = $id AND uid = $uid
                  AND NOT EXISTS (SELECT 1 FROM message_text_content WHERE id = $key)
                """, ("$id", mailboxId), ("$uid", (long)uid), ("$key", TextKey(mailboxId, uid))))
            {
                if (command.ExecuteScalar() is not string fileName)
                    continue; // expunged or moved already, or indexed by a search's catch-up
                try
                {
                    using var file = new FileStream(Path.Combine(FolderDirectory(mailboxId), "cur", fileName),
                        FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
                    var text = MessageText.Read(file);
                    texts.Add((mailboxId, uid, text));
                    chars += text.Header.Length + text.Body.Length;
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // Renamed or expunged since the query: a search will index it if it is still there.
                    continue;
                }
            }
            if (chars >= TextIndexBatchChars)
            {
                WriteTextRows(texts);
                texts.Clear();
                chars = 0;
            }
        }
        WriteTextRows(texts);
    }

    private void WriteTextRows(List<(long MailboxId, uint Uid, SearchableText Text)> texts)
    {
        if (texts.Count == 0)
            return;
        _writeLock.Wait();
        try
        {
            ThrowIfDisposed();
            using var c = _db.Open();
            // Derived data, so no fsync of its own: a power cut may lose the batch (the next open
            // indexes what has no row), and the next append's commit fsyncs the WAL with it anyway.
            // Open() sets FULL again for the connection's next user.
            IndexDatabase.Execute(c, null, "PRAGMA synchronous=NORMAL;");
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
