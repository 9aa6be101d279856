using System.Buffers;
using System.Globalization;
using Appliance.Mime;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

public sealed partial class MailAccount
{
    /// <summary>
    /// Appends a message durably and returns its UID only once it is safe to acknowledge: the
    /// bytes go to tmp/ and are fsynced, the file is renamed into cur/ under its UID, the directory
    /// is fsynced, and the index commits. A crash before the commit leaves a file the next open
    /// adopts, so nothing acknowledged or half-written is lost. The full-text row follows after
    /// the commit (MailAccount.TextIndexing.cs).
    /// </summary>
    /// <param name="internalDate">INTERNALDATE (RFC 9051 section 2.3.3); now if null. Kept to whole seconds, IMAP's resolution.</param>
    public async Task<AppendResult> AppendAsync(
        string mailbox,
        Stream message,
        MessageFlags flags = MessageFlags.None,
        IEnumerable<string>? keywords = null,
        DateTimeOffset? internalDate = null,
        CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(message);
        var name = MailboxName.Normalize(mailbox);
        var keywordList = Keywords.Normalize(keywords);
        var when = DateTimeOffset.FromUnixTimeSeconds((internalDate ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds());

        long mailboxId;
        using (var c = _db.Open())
        {
            mailboxId = RequireMailbox(c, null, name).Id;
        }

        // Write and fsync outside the account lock, so appends overlap their slowest part.
        var folder = FolderDirectory(mailboxId);
        var unique = MaildirName.NewUnique();
        var tempPath = Path.Combine(folder, "tmp", unique);
        long size;
        MessageSummary summary;
        try
        {
            // Read asynchronously (a source that waits for the network, an IMAP APPEND literal
            // still arriving, frees the thread meanwhile; one in memory completes at once), written
            // synchronously as the fsync after it must be: on Linux an "asynchronous" file write is
            // a synchronous one on another pool thread, which only added a thread handoff (and on a
            // busy machine a wait for the scheduler) to every append.
            using var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, FileOptions.None);
            var chunk = ArrayPool<byte>.Shared.Rent(AppendCopyChunk);
            try
            {
                int read;
                while ((read = await message.ReadAsync(chunk.AsMemory(0, AppendCopyChunk), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    file.Write(chunk, 0, read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(chunk);
            }
            // The file's mtime carries INTERNALDATE for a reindex (the Maildir convention).
            File.SetLastWriteTimeUtc(file.SafeFileHandle, when.UtcDateTime);
            file.Flush(flushToDisk: true);
            size = file.Length;
            file.Position = 0;
            summary = SummaryReader.Read(file);
        }
        catch (DirectoryNotFoundException)
        {
            // The mailbox was deleted while we wrote.
            throw new MailboxNotFoundException(name);
        }
        catch
        {
            TryDeleteFile(tempPath);
            throw;
        }

        // Group commit: whoever gets the write lock commits every append waiting by then, with one
        // rename each, one directory fsync per folder and one index transaction. Concurrent
        // deliveries to one account then share those two fsyncs instead of queueing for two each
        // (the way databases amortise their log flush). Order and durability per message are
        // unchanged: file fsynced, then renamed, then the directory fsynced, then the index commit.
        var pending = new PendingAppend(mailboxId, name, folder, unique, tempPath, size, when, flags, keywordList, summary);
        lock (_pendingAppends)
        {
            _pendingAppends.Add(pending);
        }
        // Not cancellable from here on: a leader may already be committing this append for us.
        await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (!pending.Done.Task.IsCompleted)
            {
                List<PendingAppend> batch;
                lock (_pendingAppends)
                {
                    batch = [.. _pendingAppends];
                    _pendingAppends.Clear();
                }
                CommitAppends(batch);
            }
        }
        finally
        {
            _writeLock.Release();
        }
        return await pending.Done.Task.ConfigureAwait(false);
    }

    /// <summary>Bytes copied into the message file per write (Stream.CopyTo's default buffer size).</summary>
    private const int AppendCopyChunk = 81920;

    /// <summary>An append whose file is written and fsynced, waiting for its rename and index row (compared by reference).</summary>
    private sealed class PendingAppend(
        long mailboxId, string name, string folder, string unique, string tempPath, long size,
        DateTimeOffset when, MessageFlags flags, IReadOnlyList<string> keywords, MessageSummary summary)
    {
        public long MailboxId => mailboxId;
        public string Name => name;
        public string Folder => folder;
        public string Unique => unique;
        public string TempPath => tempPath;
        public long Size => size;
        public DateTimeOffset When => when;
        public MessageFlags Flags => flags;
        public IReadOnlyList<string> Keywords => keywords;
        public MessageSummary Summary => summary;
        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Commits a batch of appends under the write lock; completes every one of them, with a result or its own exception.</summary>
    private void CommitAppends(List<PendingAppend> batch)
    {
        var results = new Dictionary<PendingAppend, AppendResult>();
        var committedMessages = new List<(long MailboxId, uint Uid)>();
        var failures = new Dictionary<PendingAppend, Exception>();
        var moved = new List<string>();
        var changes = new List<MailChange>();
        var committed = false;
        try
        {
            using var c = _db.Open();
            using var tx = c.BeginTransaction(deferred: false);
            var rows = new Dictionary<long, MailboxRow?>();
            var folders = new HashSet<string>(StringComparer.Ordinal);
            var inserts = new List<(PendingAppend Append, MailboxRow Row, uint Uid, string FileName, ulong ModSeq)>();
            foreach (var append in batch)
            {
                // By id: a concurrent rename does not lose the message, a delete refuses it.
                if (!rows.TryGetValue(append.MailboxId, out var row))
                    rows[append.MailboxId] = row = FindMailbox(c, tx, append.MailboxId);
                if (row is null)
                {
                    failures[append] = new MailboxNotFoundException(append.Name);
                    continue;
                }
                var uid = row.UidNext;
                row.UidNext = checked(uid + 1);
                row.HighestModSeq++;
                EnsureReserved(row);
                var fileName = MaildirName.Compose(append.Unique, uid, append.Size, append.Flags);
                var finalPath = Path.Combine(append.Folder, "cur", fileName);
                try
                {
                    File.Move(append.TempPath, finalPath);
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // The mailbox was deleted (its directory moved away) while we wrote.
                    failures[append] = new MailboxNotFoundException(append.Name);
                    continue;
                }
                moved.Add(finalPath);
                folders.Add(Path.Combine(append.Folder, "cur"));
                inserts.Add((append, row, uid, fileName, row.HighestModSeq));
            }

            foreach (var directory in folders)
            {
                DirectorySync.Fsync(directory);
            }
            foreach (var (append, row, uid, fileName, modSeq) in inserts)
            {
                InsertMessage(c, tx, row.Id, uid, fileName, append.Size, append.When, append.Flags, append.Keywords, modSeq, append.Summary);
            }
            foreach (var row in rows.Values)
            {
                if (row is not null)
                    SaveCounters(c, tx, row);
            }
            tx.Commit();
            committed = true;
            foreach (var (append, row, uid, _, modSeq) in inserts)
            {
                results[append] = new AppendResult(row.UidValidity, uid, modSeq);
                committedMessages.Add((row.Id, uid));
                changes.Add(new MessageAdded(row.Id, row.Name, uid, modSeq));
            }
        }
        catch (Exception e)
        {
            // The transaction failed: every append of the batch fails with it.
            foreach (var append in batch)
                failures.TryAdd(append, e);
        }
        finally
        {
            if (!committed)
            {
                // The callers see a failure and will retry, so no file may be adopted later.
                foreach (var path in moved)
                    TryDeleteFile(path);
            }
            foreach (var append in batch)
            {
                if (!results.ContainsKey(append))
                    TryDeleteFile(append.TempPath);
            }
        }

        Publish(changes);
        QueueTextIndexing(committedMessages);
        foreach (var append in batch)
        {
            if (results.TryGetValue(append, out var result))
                append.Done.TrySetResult(result);
            else
                append.Done.TrySetException(failures.TryGetValue(append, out var error) ? error : new InvalidOperationException("The append was not committed."));
        }
    }

    /// <summary>
    /// STORE / UID STORE (RFC 9051 section 6.4.6) with CONDSTORE (RFC 7162 section 3.1): each
    /// call that changes anything takes one new MODSEQ, which becomes HIGHESTMODSEQ and the MODSEQ
    /// of every message it changed; messages whose flags end up unchanged keep their MODSEQ.
    /// UIDs that do not exist are ignored, as UID STORE does. Keywords follow the same operation:
    /// <see cref="FlagOperation.Replace"/> with no keywords clears them, as "STORE FLAGS (...)" does.
    /// </summary>
    /// <param name="unchangedSince">UNCHANGEDSINCE: messages with a greater MODSEQ are left alone and reported in <see cref="StoreResult.Modified"/>.</param>
    public StoreResult StoreFlags(
        string mailbox,
        IEnumerable<uint> uids,
        FlagOperation operation,
        MessageFlags flags,
        IEnumerable<string>? keywords = null,
        ulong? unchangedSince = null)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(uids);
        var name = MailboxName.Normalize(mailbox);
        var given = Keywords.Normalize(keywords);
        var wanted = uids.Distinct().Order().ToList();
        if (unchangedSince is null && ChangesNothing(name, wanted, operation, flags, given))
        {
            return new StoreResult([], []);
        }

        var renames = new List<(long MailboxId, uint Uid)>();
        var result = Write((c, tx, changes) =>
        {
            var row = RequireMailbox(c, tx, name);
            var updated = new List<FlagUpdate>();
            var modified = new List<uint>();
            ulong? newModSeq = null;

            // One query reads every row asked for, one prepared UPDATE writes the changed ones:
            // a STORE on 1,000 messages is not 2,000 statements compiled.
            var current = new List<(uint Uid, MessageFlags Flags, IReadOnlyList<string> Keywords, ulong ModSeq)>();
            using (var select = IndexDatabase.Command(c, tx,
                $"SELECT m.uid, m.flags, m.keywords, m.modseq FROM {UidRangesFrom} WHERE {UidRangesWhere}",
                ("$id", row.Id), ("$ranges", RangesJson(ToRanges(wanted)))))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    current.Add(((uint)reader.GetInt64(0), (MessageFlags)reader.GetInt32(1), Keywords.Split(reader.GetString(2)), (ulong)reader.GetInt64(3)));
                }
            }

            using var update = IndexDatabase.Command(c, tx,
                "UPDATE messages SET flags = $flags, keywords = $kw, modseq = $modseq WHERE mailbox_id = $id AND uid = $uid",
                ("$flags", 0), ("$kw", ""), ("$modseq", 0L), ("$id", row.Id), ("$uid", 0L));
            foreach (var (uid, oldFlags, oldKeywords, modSeq) in current)
            {
                if (unchangedSince is { } limit && modSeq > limit)
                {
                    modified.Add(uid);
                    continue;
                }

                var newFlags = operation switch
                {
                    FlagOperation.Replace => flags,
                    FlagOperation.Add => oldFlags | flags,
                    _ => oldFlags & ~flags,
                };
                var newKeywords = Keywords.Apply(oldKeywords, operation, given);
                if (newFlags == oldFlags && Keywords.SameSet(oldKeywords, newKeywords))
                {
                    continue;
                }

                newModSeq ??= row.HighestModSeq + 1;
                if (newFlags != oldFlags)
                {
                    // The index is the truth; the file name follows after the commit
                    // (MailAccount.FlagNames.cs).
                    renames.Add((row.Id, uid));
                }

                update.Parameters["$flags"].Value = (int)newFlags;
                update.Parameters["$kw"].Value = Keywords.Join(newKeywords);
                update.Parameters["$modseq"].Value = (long)newModSeq.Value;
                update.Parameters["$uid"].Value = (long)uid;
                update.ExecuteNonQuery();
                updated.Add(new FlagUpdate(uid, newFlags, newKeywords, newModSeq.Value));
            }

            if (newModSeq is { } committedModSeq)
            {
                row.HighestModSeq = committedModSeq;
                EnsureReserved(row);
                SaveCounters(c, tx, row);
                changes.Add(new FlagsChanged(row.Id, row.Name, updated));
            }

            return new StoreResult(updated, modified);
        });
        QueueFlagNames(renames);
        return result;
    }

    /// <summary>
    /// Whether a STORE would change no message, judged from the mailbox's cached message vector (false
    /// when none is cached: the write decides). Such a STORE (a client marking read mail read again,
    /// several sessions storing the same flags at once) then takes neither the write lock nor a
    /// transaction. The vector is a committed state read now, so answering from it orders this STORE
    /// before any write that commits later, as if it had run first.
    /// </summary>
    private bool ChangesNothing(string name, List<uint> wanted, FlagOperation operation, MessageFlags flags, IReadOnlyList<string> given)
    {
        MessageState[] messages;
        using (var c = _db.Open())
        using (var tx = c.BeginTransaction(deferred: true))
        {
            var row = RequireMailbox(c, tx, name);
            if (!_states.TryGet(row.Id, new MailboxStamp(row.UidValidity, row.UidNext, row.HighestModSeq), out messages, out _))
            {
                return false;
            }

            tx.Commit();
        }

        foreach (var uid in wanted)
        {
            int index = MailboxSnapshot.IndexOf(messages, uid);
            if (index < 0)
            {
                continue; // not there: the write would skip it too
            }

            var state = messages[index];
            var newFlags = operation switch
            {
                FlagOperation.Replace => flags,
                FlagOperation.Add => state.Flags | flags,
                _ => state.Flags & ~flags,
            };
            if (newFlags != state.Flags || !Keywords.SameSet(state.Keywords, Keywords.Apply(state.Keywords, operation, given)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// EXPUNGE (RFC 9051 section 6.4.3): removes the messages flagged \Deleted; with
    /// <paramref name="uids"/>, only those of them that are \Deleted (UID EXPUNGE, RFC 4315
    /// section 2.1). Returns the expunged UIDs in ascending order.
    /// </summary>
    public IReadOnlyList<uint> Expunge(string mailbox, IEnumerable<uint>? uids = null)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        var only = uids?.ToHashSet();
        return Write((c, tx, changes) =>
        {
            var row = RequireMailbox(c, tx, name);
            var doomed = new List<(uint Uid, string File)>();
            using (var select = IndexDatabase.Command(c, tx,
                "SELECT uid, file_name FROM messages WHERE mailbox_id = $id AND (flags & $deleted) <> 0 ORDER BY uid",
                ("$id", row.Id), ("$deleted", (int)MessageFlags.Deleted)))
            using (var reader = select.ExecuteReader())
            {
                while (reader.Read())
                {
                    var uid = (uint)reader.GetInt64(0);
                    if (only is null || only.Contains(uid))
                    {
                        doomed.Add((uid, reader.GetString(1)));
                    }
                }
            }

            return ExpungeCore(c, tx, row, doomed, changes);
        });
    }

    /// <summary>
    /// COPY / UID COPY (RFC 9051 section 6.4.7): copies keep flags, keywords and INTERNALDATE and
    /// get new UIDs in the target; the map is what COPYUID (RFC 4315 section 3) reports. UIDs that
    /// do not exist are ignored.
    /// </summary>
    public CopyResult Copy(string sourceMailbox, IEnumerable<uint> uids, string targetMailbox)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(uids);
        var sourceName = MailboxName.Normalize(sourceMailbox);
        var targetName = MailboxName.Normalize(targetMailbox);
        var wanted = uids.Distinct().Order().ToList();
        return Write((c, tx, changes) =>
        {
            var source = RequireMailbox(c, tx, sourceName);
            var target = RequireMailbox(c, tx, targetName);
            var messages = LoadRows(c, tx, source.Id, wanted);
            var targetFolder = FolderDirectory(target.Id);
            var map = new List<UidMapping>();
            var created = new List<string>();
            try
            {
                if (messages.Count > 0)
                {
                    target.HighestModSeq++;
                }

                foreach (var m in messages)
                {
                    var unique = MaildirName.NewUnique();
                    var tempPath = Path.Combine(targetFolder, "tmp", unique);
                    CopyFileDurably(Path.Combine(FolderDirectory(source.Id), "cur", m.FileName), tempPath, m.InternalDate);
                    created.Add(tempPath);
                    var uid = target.UidNext;
                    target.UidNext = checked(uid + 1);
                    var fileName = MaildirName.Compose(unique, uid, m.Size, m.Flags);
                    var finalPath = Path.Combine(targetFolder, "cur", fileName);
                    File.Move(tempPath, finalPath);
                    created[^1] = finalPath;
                    InsertMessage(c, tx, target.Id, uid, fileName, m.Size, m.InternalDate, m.Flags, m.Keywords, target.HighestModSeq, m.Summary);
                    CopyText(c, tx, source.Id, m.Uid, target.Id, uid);
                    map.Add(new UidMapping(m.Uid, uid));
                    changes.Add(new MessageAdded(target.Id, target.Name, uid, target.HighestModSeq));
                }

                if (messages.Count > 0)
                {
                    DirectorySync.Fsync(Path.Combine(targetFolder, "cur"));
                    EnsureReserved(target);
                    SaveCounters(c, tx, target);
                }
            }
            catch
            {
                foreach (var path in created)
                {
                    TryDeleteFile(path);
                }

                throw;
            }

            return new CopyResult(target.UidValidity, map);
        });
    }

    /// <summary>
    /// MOVE / UID MOVE (RFC 6851): like <see cref="Copy"/> followed by expunging the sources, but
    /// atomic, and the files are renamed across directories rather than copied. A crash before
    /// the commit leaves the file under its new name in the target, which the next open adopts
    /// there while dropping the source row: the message is never lost, only possibly already moved.
    /// </summary>
    public CopyResult Move(string sourceMailbox, IEnumerable<uint> uids, string targetMailbox)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(uids);
        var sourceName = MailboxName.Normalize(sourceMailbox);
        var targetName = MailboxName.Normalize(targetMailbox);
        var wanted = uids.Distinct().Order().ToList();
        return Write((c, tx, changes) =>
        {
            var source = RequireMailbox(c, tx, sourceName);
            var target = source.Name == targetName ? source : RequireMailbox(c, tx, targetName);
            return MoveCore(c, tx, source, wanted, target, changes);
        });
    }

    private CopyResult MoveCore(SqliteConnection c, SqliteTransaction tx, MailboxRow source, IReadOnlyList<uint> uids, MailboxRow target, List<MailChange> changes)
    {
        var messages = LoadRows(c, tx, source.Id, uids);
        var map = new List<UidMapping>();
        if (messages.Count == 0)
        {
            return new CopyResult(target.UidValidity, map);
        }

        var sourceCur = Path.Combine(FolderDirectory(source.Id), "cur");
        var targetCur = Path.Combine(FolderDirectory(target.Id), "cur");
        var moved = new List<(string From, string To)>();
        try
        {
            target.HighestModSeq++;
            var addedModSeq = target.HighestModSeq;
            var added = new List<MailChange>();
            foreach (var m in messages)
            {
                var uid = target.UidNext;
                target.UidNext = checked(uid + 1);
                var parsed = MaildirName.Parse(m.FileName);
                var fileName = MaildirName.Compose(parsed.Unique, uid, m.Size, m.Flags);
                File.Move(Path.Combine(sourceCur, m.FileName), Path.Combine(targetCur, fileName));
                moved.Add((Path.Combine(sourceCur, m.FileName), Path.Combine(targetCur, fileName)));
                CopyText(c, tx, source.Id, m.Uid, target.Id, uid); // before the delete, whose trigger drops the source's row
                IndexDatabase.Execute(c, tx, "DELETE FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", source.Id), ("$uid", m.Uid));
                InsertMessage(c, tx, target.Id, uid, fileName, m.Size, m.InternalDate, m.Flags, m.Keywords, addedModSeq, m.Summary);
                map.Add(new UidMapping(m.Uid, uid));
                added.Add(new MessageAdded(target.Id, target.Name, uid, addedModSeq));
            }

            DirectorySync.Fsync(targetCur);
            DirectorySync.Fsync(sourceCur);

            // The source mailbox sees an expunge, which takes its own MODSEQ (RFC 7162 section 3.2.10).
            source.HighestModSeq++;
            LogExpunged(c, tx, source, messages.Select(m => m.Uid));
            EnsureReserved(target);
            SaveCounters(c, tx, target);
            if (!ReferenceEquals(source, target))
            {
                EnsureReserved(source);
                SaveCounters(c, tx, source);
            }

            // COPYUID and the new messages first, then the expunge, as RFC 6851 section 4.3 orders responses.
            changes.AddRange(added);
            changes.Add(new MessagesExpunged(source.Id, source.Name, messages.Select(m => m.Uid).ToList(), source.HighestModSeq));
        }
        catch
        {
            MoveBack(moved);
            throw;
        }

        return new CopyResult(target.UidValidity, map);
    }

    private List<uint> ExpungeCore(SqliteConnection c, SqliteTransaction tx, MailboxRow row, List<(uint Uid, string File)> doomed, List<MailChange> changes)
    {
        if (doomed.Count == 0)
        {
            return [];
        }

        // Files go first and the directory is fsynced before the commit: a crash in between
        // leaves rows without files, which the next open drops (still expunged); the opposite
        // order could resurrect expunged mail by adoption.
        var cur = Path.Combine(FolderDirectory(row.Id), "cur");
        foreach (var (uid, file) in doomed)
        {
            File.Delete(Path.Combine(cur, file));
            IndexDatabase.Execute(c, tx, "DELETE FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", row.Id), ("$uid", uid));
        }

        DirectorySync.Fsync(cur);
        row.HighestModSeq++;
        EnsureReserved(row);
        SaveCounters(c, tx, row);
        var uids = doomed.Select(d => d.Uid).ToList();
        LogExpunged(c, tx, row, uids);
        changes.Add(new MessagesExpunged(row.Id, row.Name, uids, row.HighestModSeq));
        return uids;
    }

    /// <summary>Remembers expunged UIDs with the MODSEQ of their expunge, for QRESYNC (RFC 7162 section 3.2.5.1).</summary>
    private static void LogExpunged(SqliteConnection c, SqliteTransaction tx, MailboxRow row, IEnumerable<uint> uids)
    {
        foreach (var uid in uids)
        {
            IndexDatabase.Execute(c, tx, "INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES ($id, $uid, $modseq)",
                ("$id", row.Id), ("$uid", uid), ("$modseq", (long)row.HighestModSeq));
        }
    }

    private static void CopyFileDurably(string from, string to, DateTimeOffset internalDate)
    {
        using var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 81920, FileOptions.SequentialScan);
        using var target = new FileStream(to, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920);
        source.CopyTo(target);
        target.Flush();
        File.SetLastWriteTimeUtc(target.SafeFileHandle, internalDate.UtcDateTime);
        target.Flush(flushToDisk: true);
    }

    private static void InsertMessage(
        SqliteConnection c,
        SqliteTransaction tx,
        long mailboxId,
        uint uid,
        string fileName,
        long size,
        DateTimeOffset internalDate,
        MessageFlags flags,
        IReadOnlyList<string> keywords,
        ulong modSeq,
        MessageSummary summary) =>
        IndexDatabase.Execute(c, tx, """
            INSERT INTO messages (mailbox_id, uid, file_name, size, internal_date, flags, keywords, modseq,
                                  sent_date, from_text, to_text, subject, message_id, has_attachment, preview)
            VALUES ($mb, $uid, $file, $size, $date, $flags, $kw, $modseq, $sent, $from, $to, $subject, $msgid, $att, $preview)
            """,
            ("$mb", mailboxId), ("$uid", uid), ("$file", fileName), ("$size", size), ("$date", internalDate.ToUnixTimeMilliseconds()),
            ("$flags", (int)flags), ("$kw", Keywords.Join(keywords)), ("$modseq", (long)modSeq),
            ("$sent", summary.Date?.ToString("o", CultureInfo.InvariantCulture)), ("$from", summary.From ?? ""), ("$to", summary.To ?? ""),
            ("$subject", summary.Subject ?? ""), ("$msgid", summary.MessageId), ("$att", summary.HasAttachment), ("$preview", summary.Preview ?? ""));

    private static List<StoredMessage> LoadRows(SqliteConnection c, SqliteTransaction tx, long mailboxId, IReadOnlyList<uint> uids)
    {
        var result = new List<StoredMessage>();
        foreach (var uid in uids)
        {
            using var command = IndexDatabase.Command(c, tx, $"SELECT {MessageColumns} FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", mailboxId), ("$uid", uid));
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                var info = ReadMessage(reader);
                result.Add(new StoredMessage(info.Uid, reader.GetString(13), info.Size, info.InternalDate, info.Flags, info.Keywords, info.Summary));
            }
        }

        return result;
    }

    private sealed record StoredMessage(
        uint Uid,
        string FileName,
        long Size,
        DateTimeOffset InternalDate,
        MessageFlags Flags,
        IReadOnlyList<string> Keywords,
        MessageSummary Summary);
}
