using System.Globalization;
using Appliance.Mime;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

public sealed partial class MailAccount
{
    /// <summary>
    /// Temp files older than this are the remains of appends that crashed before their rename and
    /// were never acknowledged; 36 hours is the Maildir convention (qmail's maildir(5)).
    /// </summary>
    private static readonly TimeSpan s_staleTempAge = TimeSpan.FromHours(36);

    private static readonly string[] s_defaultMailboxes = ["Drafts", "Sent", "Trash", "Junk", "Archive"];

    /// <summary>Creates the index and the default mailboxes of a new account (RFC 6154 SPECIAL-USE).</summary>
    internal void InitializeNew()
    {
        _db.EnsureSchema();
        Write((c, tx, _) =>
        {
            // A new account has expunged nothing: its log is complete from the start.
            SetExpungeHorizon(c, tx, onlyIfUnknown: false, value: 0);
            CreateMailboxCore(c, tx, MailboxName.Inbox, SpecialUse.None, subscribed: true);
            foreach (var name in s_defaultMailboxes)
            {
                CreateMailboxCore(c, tx, name, Enum.Parse<SpecialUse>(name), subscribed: true);
            }

            return 0;
        });
    }

    /// <summary>
    /// Opens the account: brings the index and the Maildir into agreement, the index being the
    /// truth for everything it knows. Files it does not know (an append or move that crashed after
    /// its rename, before its commit) are adopted; rows whose file is gone (an expunge that crashed
    /// before its commit) are dropped.
    /// </summary>
    internal void Initialize()
    {
        _db.EnsureSchema();
        var unindexed = new List<(long MailboxId, uint Uid)>();
        Write((c, tx, _) =>
        {
            var result = Reconcile(c, tx, new Dictionary<(long, uint), OldRow>(), new Dictionary<long, (uint, ulong)>());
            // Messages without a text row (an index older than full-text search, a crash before
            // the background indexer reached them) go to that indexer, so that opening the account
            // (the first delivery or login after a restart) does not wait for them.
            unindexed.AddRange(ListUnindexedText(c, tx));
            // An index made before the expunge log existed, or rebuilt from the Maildir, knows no
            // earlier expunges: its log is complete only from the current MODSEQs on.
            SetExpungeHorizon(c, tx, onlyIfUnknown: true);
            return result;
        });
        QueueTextIndexing(unindexed);
    }

    /// <summary>Sets the expunge log's horizon to <paramref name="value"/>, or to the highest MODSEQ of any mailbox.</summary>
    private static void SetExpungeHorizon(SqliteConnection c, SqliteTransaction tx, bool onlyIfUnknown, long? value = null) =>
        IndexDatabase.Execute(c, tx,
            $"UPDATE meta SET value = COALESCE($value, (SELECT MAX(highest_modseq) FROM mailboxes), 0) WHERE key = '{IndexDatabase.ExpungeHorizonKey}'"
            + (onlyIfUnknown ? " AND value < 0" : ""),
            ("$value", value));

    /// <summary>
    /// Rebuilds the index from the Maildir: mailboxes from folder.json, UIDs from file names,
    /// standard flags from the info suffix, INTERNALDATE from the file time. When the old index
    /// is still readable, flags, keywords and counters are carried over; a corrupt one is set aside.
    /// </summary>
    internal ReindexResult Reindex()
    {
        _writeLock.Wait();
        try
        {
            if (File.Exists(_db.FilePath) && !_db.IsHealthy())
            {
                _db.ClearPool();
                var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    if (File.Exists(_db.FilePath + suffix))
                    {
                        File.Move(_db.FilePath + suffix, _db.FilePath + ".corrupt-" + stamp + suffix);
                    }
                }
            }

            _db.EnsureSchema();
            ReindexResult result;
            var changes = new List<MailChange>();
            using (var c = _db.Open())
            using (var tx = c.BeginTransaction(deferred: false))
            {
                // Keywords live only in the index, and a flag change may not have reached its file
                // name yet (MailAccount.FlagNames.cs): both come from the old rows where there are any.
                var oldRows = new Dictionary<(long, uint), OldRow>();
                using (var command = IndexDatabase.Command(c, tx, "SELECT mailbox_id, uid, keywords, flags FROM messages"))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        oldRows[(reader.GetInt64(0), (uint)reader.GetInt64(1))] = new OldRow(reader.GetString(2), (MessageFlags)reader.GetInt32(3));
                    }
                }

                var counters = AllMailboxes(c, tx).ToDictionary(m => m.Id, m => (m.UidNext, m.HighestModSeq));
                IndexDatabase.Execute(c, tx, "DELETE FROM messages; DELETE FROM mailboxes;");
                result = Reconcile(c, tx, oldRows, counters);
                // Deleting the mailboxes emptied the expunge log (ON DELETE CASCADE).
                SetExpungeHorizon(c, tx, onlyIfUnknown: false);
                tx.Commit();
            }

            // Flags may now come from file names and counters from old rows: no cached vector is trusted.
            _states.Clear();
            _textCompleteAt.Clear();

            return result;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private ReindexResult Reconcile(
        SqliteConnection c,
        SqliteTransaction tx,
        Dictionary<(long, uint), OldRow> oldRows,
        Dictionary<long, (uint UidNext, ulong HighestModSeq)> oldCounters)
    {
        foreach (var leftover in Directory.EnumerateDirectories(AccountDirectory, DeletedPrefix + "*"))
        {
            TryDeleteDirectory(leftover);
        }

        var rows = AllMailboxes(c, tx).ToDictionary(m => m.Id);
        var folders = new SortedSet<long>();
        foreach (var directory in Directory.EnumerateDirectories(AccountDirectory))
        {
            var name = Path.GetFileName(directory);
            if (name.Length > 1 && name[0] == 'f'
                && long.TryParse(name.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                && name == "f" + id.ToString(CultureInfo.InvariantCulture))
            {
                folders.Add(id);
            }
        }

        foreach (var row in rows.Values.Where(r => !folders.Contains(r.Id)))
        {
            // The directory is gone: a mailbox delete that crashed before its commit.
            IndexDatabase.Execute(c, tx, "DELETE FROM messages WHERE mailbox_id = $id", ("$id", row.Id));
            IndexDatabase.Execute(c, tx, "DELETE FROM mailboxes WHERE id = $id", ("$id", row.Id));
        }

        int messages = 0, newUids = 0;
        foreach (var id in folders)
        {
            var folder = FolderDirectory(id);
            var metadata = FolderMetadata.TryRead(folder);
            if (!rows.TryGetValue(id, out var row))
            {
                row = AdoptFolder(c, tx, id, metadata, oldCounters);
            }
            else if (metadata is null || metadata.Name != row.Name || metadata.Subscribed != row.Subscribed || metadata.UidValidity != row.UidValidity)
            {
                WriteMetadata(row);
            }

            var (count, renumbered) = ReconcileMessages(c, tx, row, oldRows);
            messages += count;
            newUids += renumbered;
        }

        if (FindMailbox(c, tx, MailboxName.Inbox) is null)
        {
            CreateMailboxCore(c, tx, MailboxName.Inbox, SpecialUse.None, subscribed: true);
        }

        return new ReindexResult(AllMailboxes(c, tx).Count, messages, newUids);
    }

    private MailboxRow AdoptFolder(SqliteConnection c, SqliteTransaction tx, long id, FolderMetadata? metadata, Dictionary<long, (uint UidNext, ulong HighestModSeq)> oldCounters)
    {
        string? name = null;
        if (metadata is not null)
        {
            try
            {
                name = MailboxName.Normalize(metadata.Name);
            }
            catch (MailboxNameException)
            {
                // A hand-edited folder.json: keep the messages under a recovery name below.
            }
        }

        if (name is null || FindMailbox(c, tx, name) is not null)
        {
            name = "Recovered-f" + id.ToString(CultureInfo.InvariantCulture);
        }

        // A readable old index knows the exact counters; without it, restart above the
        // reserved high-water marks (a gap in UIDs is allowed, reuse is not).
        uint uidNext;
        ulong modSeq;
        if (oldCounters.TryGetValue(id, out var old))
        {
            (uidNext, modSeq) = (Math.Max(old.UidNext, 1), old.HighestModSeq);
        }
        else
        {
            (uidNext, modSeq) = (Math.Max(metadata?.UidReserved ?? 1, 1), metadata?.ModSeqReserved ?? 0);
        }

        var row = new MailboxRow
        {
            Id = id,
            Name = name,
            UidValidity = metadata?.UidValidity ?? NextUidValidity(c, tx),
            UidNext = uidNext,
            HighestModSeq = modSeq,
            Subscribed = metadata?.Subscribed ?? false,
            SpecialUse = metadata?.SpecialUse ?? SpecialUse.None,
            UidReserved = Math.Max(uidNext, metadata?.UidReserved ?? 0),
            ModSeqReserved = Math.Max(modSeq, metadata?.ModSeqReserved ?? 0),
        };
        InsertMailbox(c, tx, row);
        if (metadata is null || metadata.Name != name)
        {
            WriteMetadata(row);
        }

        return row;
    }

    private (int Messages, int NewUids) ReconcileMessages(SqliteConnection c, SqliteTransaction tx, MailboxRow row, Dictionary<(long, uint), OldRow> oldRows)
    {
        var folder = FolderDirectory(row.Id);
        var tmp = Path.Combine(folder, "tmp");
        var @new = Path.Combine(folder, "new");
        var cur = Path.Combine(folder, "cur");
        Directory.CreateDirectory(tmp);
        Directory.CreateDirectory(@new);
        Directory.CreateDirectory(cur);

        var staleBefore = DateTime.UtcNow - s_staleTempAge;
        foreach (var file in Directory.EnumerateFiles(tmp))
        {
            if (File.GetLastWriteTimeUtc(file) < staleBefore)
            {
                TryDeleteFile(file);
            }
        }

        var curChanged = false;
        foreach (var file in Directory.EnumerateFiles(@new).ToList())
        {
            // Mail dropped into new/ by another Maildir tool: take it into cur/ (Maildir's "seen by a reader").
            var name = Path.GetFileName(file);
            File.Move(file, Path.Combine(cur, name.Contains(":2,", StringComparison.Ordinal) ? name : name + ":2,"));
            curChanged = true;
        }

        var indexed = new Dictionary<uint, string>();
        using (var command = IndexDatabase.Command(c, tx, "SELECT uid, file_name FROM messages WHERE mailbox_id = $id", ("$id", row.Id)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                indexed[(uint)reader.GetInt64(0)] = reader.GetString(1);
            }
        }

        var seen = new HashSet<uint>();
        var adopt = new List<(uint Uid, string File)>();
        var renumber = new List<string>();
        foreach (var path in Directory.EnumerateFiles(cur))
        {
            var file = Path.GetFileName(path);
            var parsed = MaildirName.Parse(file);
            if (parsed.Uid is { } uid && seen.Add(uid))
            {
                if (!indexed.TryGetValue(uid, out var indexedName))
                {
                    adopt.Add((uid, file));
                }
                else if (indexedName != file)
                {
                    // A flag change renamed the file but crashed before its commit: the index wins.
                    File.Move(path, Path.Combine(cur, indexedName));
                    curChanged = true;
                }
            }
            else
            {
                renumber.Add(file);
            }
        }

        var orphans = indexed.Keys.Where(uid => !seen.Contains(uid)).Order().ToList();
        foreach (var uid in orphans)
        {
            IndexDatabase.Execute(c, tx, "DELETE FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", row.Id), ("$uid", uid));
        }

        if (orphans.Count > 0)
        {
            row.HighestModSeq++;
        }

        if (adopt.Count + renumber.Count > 0)
        {
            row.HighestModSeq++;
            foreach (var (uid, file) in adopt.OrderBy(a => a.Uid))
            {
                InsertFromFile(c, tx, row, uid, file, oldRows);
                row.UidNext = Math.Max(row.UidNext, checked(uid + 1));
            }

            // Files without a usable UID get new ones above every known UID.
            foreach (var file in renumber.Order(StringComparer.Ordinal))
            {
                var uid = row.UidNext;
                row.UidNext = checked(uid + 1);
                var parsed = MaildirName.Parse(file);
                var length = new FileInfo(Path.Combine(cur, file)).Length;
                var renamed = MaildirName.Compose(parsed.Unique, uid, length, parsed.Flags);
                File.Move(Path.Combine(cur, file), Path.Combine(cur, renamed));
                curChanged = true;
                InsertFromFile(c, tx, row, uid, renamed, oldRows);
            }
        }

        if (curChanged)
        {
            DirectorySync.Fsync(cur);
            DirectorySync.Fsync(@new);
        }

        EnsureReserved(row);
        SaveCounters(c, tx, row);
        return (indexed.Count - orphans.Count + adopt.Count + renumber.Count, renumber.Count);
    }

    /// <summary>What a rebuild keeps of a message's old row: keywords and flags.</summary>
    private readonly record struct OldRow(string Keywords, MessageFlags Flags);

    private void InsertFromFile(SqliteConnection c, SqliteTransaction tx, MailboxRow row, uint uid, string file, Dictionary<(long, uint), OldRow> oldRows)
    {
        var path = Path.Combine(FolderDirectory(row.Id), "cur", file);
        var info = new FileInfo(path);
        var known = oldRows.TryGetValue((row.Id, uid), out var stored);
        var flags = known ? stored.Flags : MaildirName.Parse(file).Flags;
        var keywords = known ? Keywords.Split(stored.Keywords) : [];
        var internalDate = new DateTimeOffset(DateTime.SpecifyKind(info.LastWriteTimeUtc, DateTimeKind.Utc));
        InsertMessage(c, tx, row.Id, uid, file, info.Length, internalDate, flags, keywords, row.HighestModSeq, SummaryReader.ReadFile(path));
        InsertTextFromFile(c, tx, row.Id, uid, path);
    }

    /// <summary>
    /// Benchmark support: fills a mailbox quickly, one transaction and no per-file fsync. Not
    /// durable until the caller syncs; never used on the delivery path.
    /// </summary>
    internal void ImportWithoutSync(string mailbox, IEnumerable<(byte[] Message, DateTimeOffset InternalDate)> messages)
    {
        var name = MailboxName.Normalize(mailbox);
        Write((c, tx, _) =>
        {
            var row = RequireMailbox(c, tx, name);
            var cur = Path.Combine(FolderDirectory(row.Id), "cur");
            row.HighestModSeq++;
            foreach (var (message, internalDate) in messages)
            {
                var uid = row.UidNext;
                row.UidNext = checked(uid + 1);
                var fileName = MaildirName.Compose(MaildirName.NewUnique(), uid, message.Length, MessageFlags.None);
                File.WriteAllBytes(Path.Combine(cur, fileName), message);
                InsertMessage(c, tx, row.Id, uid, fileName, message.Length, internalDate, MessageFlags.None, [], row.HighestModSeq, MessageSummary.Empty);
            }

            EnsureReserved(row);
            SaveCounters(c, tx, row);
            return 0;
        });
    }
}
