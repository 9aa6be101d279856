// A message's standard flags live in two places: the index (the truth every reader uses) and the
// Maildir info suffix of its file name (":2,S" and so on), which only a rebuild of a lost index
// reads back. STORE changes the index; the file names follow after its commit, by the account's
// background worker (the one that writes full-text rows, MailAccount.TextIndexing.cs), when the
// account is quiet.
//
// Why not in the STORE: a rename costs some 20 microseconds of directory work, the larger part of a
// STORE on 1,000 messages, and it gains the client nothing. Deferred, a flag set and cleared again
// before the worker runs costs no rename at all, and a client's "mark all read" is not held up.
//
// What a crash can cost: names not yet renamed keep their old flags. The index still has the
// truth, and the account's open matches files to rows by UID whatever their names; a rebuild of a
// readable index takes flags from the old rows (Reindex), so only a rebuild after the index is
// lost reads the stale suffix, and loses only the flag changes of the moments before the crash.
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

public sealed partial class MailAccount
{
    /// <summary>File names brought in line with the index per transaction (the account's write lock is held meanwhile).</summary>
    internal const int FlagNameBatch = 256;

    private readonly HashSet<(long MailboxId, uint Uid)> _flagNameQueue = [];

    /// <summary>Hands messages whose flags changed to the background worker, starting it if it is not running.</summary>
    private void QueueFlagNames(List<(long MailboxId, uint Uid)> messages) =>
        QueueBackgroundWork(messages, message => _flagNameQueue.Add(message), () => _flagNameQueue.Count);

    /// <summary>Undoes file moves of a write that did not commit, newest first (best effort: the next open matches files by UID).</summary>
    private static void MoveBack(List<(string From, string To)> moves)
    {
        foreach (var (from, to) in Enumerable.Reverse(moves))
        {
            try
            {
                File.Move(to, from);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Renames every queued message's file to carry its indexed flags, a batch per transaction.</summary>
    private void SyncQueuedFlagNames()
    {
        while (true)
        {
            List<(long MailboxId, uint Uid)> batch;
            lock (_backgroundGate)
            {
                if (_flagNameQueue.Count == 0)
                    return;
                batch = [.. _flagNameQueue.Take(FlagNameBatch)];
                foreach (var message in batch)
                    _flagNameQueue.Remove(message);
            }
            try
            {
                SyncFlagNames(batch);
            }
            catch (Exception e) when (e is IOException or SqliteException or UnauthorizedAccessException)
            {
                // The names keep their old flags; the index still has the right ones.
            }
        }
    }

    /// <summary>
    /// Under the write lock, in one transaction: each message still there whose file name's flags
    /// differ from its indexed flags is renamed and its row follows. No directory fsync: the index
    /// is the truth, and a name lost to a crash is matched by UID at the next open.
    /// </summary>
    private void SyncFlagNames(List<(long MailboxId, uint Uid)> batch)
    {
        var renamed = new List<(string From, string To)>();
        _writeLock.Wait();
        try
        {
            using var c = _db.Open();
            using var tx = c.BeginTransaction(deferred: false);
            try
            {
                using var update = IndexDatabase.Command(c, tx,
                    "UPDATE messages SET file_name = $file WHERE mailbox_id = $id AND uid = $uid",
                    ("$file", ""), ("$id", 0L), ("$uid", 0L));
                foreach (var (mailboxId, uid) in batch)
                {
                    string fileName;
                    MessageFlags flags;
                    using (var select = IndexDatabase.Command(c, tx,
                        "SELECT file_name, flags FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", mailboxId), ("$uid", (long)uid)))
                    using (var reader = select.ExecuteReader())
                    {
                        if (!reader.Read())
                            continue; // expunged or moved since
                        (fileName, flags) = (reader.GetString(0), (MessageFlags)reader.GetInt32(1));
                    }
                    var parsed = MaildirName.Parse(fileName);
                    if (parsed.Flags == flags)
                        continue; // set and cleared again, or already named
                    var newFileName = MaildirName.Compose(parsed.Unique, uid, parsed.Size ?? 0, flags);
                    var folder = Path.Combine(FolderDirectory(mailboxId), "cur");
                    try
                    {
                        // overwrite: the target can only be this same message under its new name
                        // (unique part and UID are in it), and it makes the move one rename(2).
                        File.Move(Path.Combine(folder, fileName), Path.Combine(folder, newFileName), overwrite: true);
                    }
                    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                    {
                        continue; // gone from the disk: the next open drops the row
                    }
                    renamed.Add((Path.Combine(folder, fileName), Path.Combine(folder, newFileName)));
                    update.Parameters["$file"].Value = newFileName;
                    update.Parameters["$id"].Value = mailboxId;
                    update.Parameters["$uid"].Value = (long)uid;
                    update.ExecuteNonQuery();
                }
                tx.Commit();
            }
            catch
            {
                // Put names back so that readers keep finding the files the index names.
                MoveBack(renamed);
                throw;
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
