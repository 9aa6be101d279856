using System.Globalization;
using Appliance.Mime;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

/// <summary>
/// One account's message store: a Maildir per mailbox plus a SQLite index. Obtain it from
/// <see cref="MessageStore"/>, which keeps one instance per account in the process so that every
/// subscriber sees every change. Thread-safe; writers are serialised per account in the process
/// and across processes by SQLite's BEGIN IMMEDIATE.
/// </summary>
public sealed partial class MailAccount : IDisposable
{
    /// <summary>How far ahead UID and MODSEQ high-water marks are written to folder.json (see <see cref="FolderMetadata"/>).</summary>
    private const uint ReserveBlock = 1024;

    private const string MailboxColumns =
        "m.id, m.name, m.uid_validity, m.uid_next, m.highest_modseq, m.subscribed, m.special_use, m.uid_reserved, m.modseq_reserved";

    private const string MessageColumns =
        "uid, size, internal_date, flags, keywords, modseq, sent_date, from_text, to_text, subject, message_id, has_attachment, preview, file_name";

    /// <summary>How long Dispose waits for the background worker's current batch (a few milliseconds of work; generous for a loaded machine).</summary>
    private static readonly TimeSpan BackgroundStopWait = TimeSpan.FromSeconds(10);

    private readonly IndexDatabase _db;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly List<PendingAppend> _pendingAppends = [];
    private readonly Lock _subscribersLock = new();
    private MailSubscription[] _subscribers = [];
    private int _disposed;

    private readonly MailboxStateCache _states;

    internal MailAccount(Guid storeId, string directory, int maxCachedStates = MailboxStateCache.DefaultMaxStates)
    {
        StoreId = storeId;
        AccountDirectory = directory;
        _db = new IndexDatabase(directory);
        _states = new MailboxStateCache(maxCachedStates);
    }

    /// <summary>The cached message vectors (for tests).</summary>
    internal MailboxStateCache States => _states;

    public Guid StoreId { get; }

    internal string AccountDirectory { get; }

    /// <summary>Subscribes to this account's changes. Dispose the subscription to stop.</summary>
    public MailSubscription Subscribe() => Subscribe(MailSubscription.Capacity);

    internal MailSubscription Subscribe(int capacity)
    {
        ThrowIfDisposed();
        var subscription = new MailSubscription(Unsubscribe, capacity);
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    public IReadOnlyList<MailboxInfo> ListMailboxes()
    {
        ThrowIfDisposed();
        using var c = _db.Open();
        using var command = IndexDatabase.Command(c, null, $"""
            SELECT {MailboxColumns},
                (SELECT COUNT(*) FROM messages x WHERE x.mailbox_id = m.id),
                (SELECT COUNT(*) FROM messages x WHERE x.mailbox_id = m.id AND (x.flags & 1) = 0)
            FROM mailboxes m ORDER BY m.name <> 'INBOX', m.name
            """);
        using var reader = command.ExecuteReader();
        var result = new List<MailboxInfo>();
        while (reader.Read())
        {
            result.Add(ReadMailbox(reader).ToInfo(reader.GetInt32(9), reader.GetInt32(10)));
        }

        return result;
    }

    /// <summary>The mailbox's STATUS data (RFC 9051 section 6.3.11).</summary>
    public MailboxInfo GetMailbox(string mailbox)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        using var c = _db.Open();
        using var command = IndexDatabase.Command(c, null, $"""
            SELECT {MailboxColumns},
                (SELECT COUNT(*) FROM messages x WHERE x.mailbox_id = m.id),
                (SELECT COUNT(*) FROM messages x WHERE x.mailbox_id = m.id AND (x.flags & 1) = 0)
            FROM mailboxes m WHERE m.name = $name
            """, ("$name", name));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? ReadMailbox(reader).ToInfo(reader.GetInt32(9), reader.GetInt32(10))
            : throw new MailboxNotFoundException(name);
    }

    public MessageInfo GetMessage(string mailbox, uint uid)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        using var c = _db.Open();
        var row = RequireMailbox(c, null, name);
        using var command = IndexDatabase.Command(c, null, $"SELECT {MessageColumns} FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", row.Id), ("$uid", uid));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadMessage(reader) : throw new MessageNotFoundException(name, uid);
    }

    /// <summary>Messages in ascending UID order from <paramref name="firstUid"/> on (IMAP SELECT, FETCH, SEARCH).</summary>
    public IReadOnlyList<MessageInfo> ListMessagesByUid(string mailbox, uint firstUid = 1, int max = int.MaxValue)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        using var c = _db.Open();
        var row = RequireMailbox(c, null, name);
        using var command = IndexDatabase.Command(c, null,
            $"SELECT {MessageColumns} FROM messages WHERE mailbox_id = $id AND uid >= $first ORDER BY uid LIMIT $max",
            ("$id", row.Id), ("$first", firstUid), ("$max", max));
        return ReadMessages(command);
    }

    /// <summary>
    /// Where each message of a mailbox is, with its size and flags and nothing else: for readers
    /// that stream many bodies (POP3's maildrop), which then open them with
    /// <see cref="OpenMessage(string, MessageFile)"/> without a query per message.
    /// </summary>
    public IReadOnlyList<MessageFile> ListMessageFiles(string mailbox)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        using var c = _db.Open();
        var row = RequireMailbox(c, null, name);
        var cur = Path.Combine(FolderDirectory(row.Id), "cur");
        using var command = IndexDatabase.Command(c, null,
            "SELECT uid, size, flags, file_name FROM messages WHERE mailbox_id = $id ORDER BY uid", ("$id", row.Id));
        using var reader = command.ExecuteReader();
        var files = new List<MessageFile>();
        while (reader.Read())
        {
            files.Add(new MessageFile((uint)reader.GetInt64(0), reader.GetInt64(1), (MessageFlags)reader.GetInt32(2), Path.Combine(cur, reader.GetString(3))));
        }
        return files;
    }

    /// <summary>
    /// Opens a message listed by <see cref="ListMessageFiles"/>. Its file may have been renamed
    /// since (a flag change): then it is looked up again; gone (expunged) gives
    /// <see cref="MessageNotFoundException"/>.
    /// </summary>
    public Stream OpenMessage(string mailbox, MessageFile message)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(message);
        try
        {
            return new FileStream(message.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return OpenMessage(mailbox, message.Uid);
        }
    }

    /// <summary>The webmail listing: newest first by INTERNALDATE (then UID), one page, with the cached summary fields.</summary>
    public MessagePage ListNewest(string mailbox, int offset, int count) =>
        ReadPage(mailbox, "internal_date DESC, uid DESC", offset, count);

    /// <summary>
    /// One page of a mailbox in <paramref name="order"/> (an ORDER BY clause this class writes, never
    /// caller text) and the total count, from one read snapshot.
    /// </summary>
    private MessagePage ReadPage(string mailbox, string order, int offset, int count)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var name = MailboxName.Normalize(mailbox);
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: true); // one snapshot for the count and the page
        var row = RequireMailbox(c, tx, name);
        using var countCommand = IndexDatabase.Command(c, tx, "SELECT COUNT(*) FROM messages WHERE mailbox_id = $id", ("$id", row.Id));
        var total = Convert.ToInt32(countCommand.ExecuteScalar(), CultureInfo.InvariantCulture);
        using var command = IndexDatabase.Command(c, tx,
            $"SELECT {MessageColumns} FROM messages WHERE mailbox_id = $id ORDER BY {order} LIMIT $count OFFSET $offset",
            ("$id", row.Id), ("$count", count), ("$offset", offset));
        var page = ReadMessages(command);
        tx.Commit();
        return new MessagePage(total, page);
    }

    /// <summary>
    /// Opens a message's exact bytes, read-only. The stream stays valid if the message is renamed
    /// (flag change) or expunged meanwhile: on Unix an open file outlives its name.
    /// </summary>
    public Stream OpenMessage(string mailbox, uint uid)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        for (var attempt = 0; attempt < 3; attempt++)
        {
            string path;
            using (var c = _db.Open())
            {
                var row = RequireMailbox(c, null, name);
                using var command = IndexDatabase.Command(c, null, "SELECT file_name FROM messages WHERE mailbox_id = $id AND uid = $uid", ("$id", row.Id), ("$uid", uid));
                var fileName = command.ExecuteScalar() as string ?? throw new MessageNotFoundException(name, uid);
                path = Path.Combine(FolderDirectory(row.Id), "cur", fileName);
            }

            try
            {
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                // A concurrent flag change renamed the file (or an expunge removed it) between the
                // lookup and the open: look it up again.
            }
        }

        throw new MessageNotFoundException(name, uid);
    }

    /// <summary>Total bytes of all messages in the account (IMAP QUOTA's STORAGE resource counts in KiB, RFC 9208).</summary>
    public long GetQuotaUsage()
    {
        ThrowIfDisposed();
        using var c = _db.Open();
        using var command = IndexDatabase.Command(c, null, "SELECT COALESCE(SUM(size), 0) FROM messages");
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        MailSubscription[] subscribers;
        lock (_subscribersLock)
        {
            subscribers = _subscribers;
            _subscribers = [];
        }

        foreach (var subscriber in subscribers)
        {
            subscriber.Complete();
        }

        // The background worker stops after the batch it is writing (it sees _disposed) and drops its text
        // queue (the next open indexes what has no row); its connections must be back in the pool
        // before the pool is cleared.
        StopBackgroundWork().Wait(BackgroundStopWait);
        // File names still owed their flags are renamed now: a clean stop leaves none stale.
        SyncQueuedFlagNames();
        _db.ClearPool();
    }

    internal string FolderDirectory(long mailboxId) =>
        Path.Combine(AccountDirectory, "f" + mailboxId.ToString(CultureInfo.InvariantCulture));

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void Unsubscribe(MailSubscription subscription)
    {
        lock (_subscribersLock)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
        }
    }

    private void Publish(List<MailChange> changes)
    {
        _states.Apply(changes);
        var subscribers = Volatile.Read(ref _subscribers);
        foreach (var change in changes)
        {
            foreach (var subscriber in subscribers)
            {
                subscriber.Post(change);
            }
        }
    }

    /// <summary>
    /// Runs a write under the account lock in one BEGIN IMMEDIATE transaction, then publishes the
    /// changes while still holding the lock, so subscribers see them in commit order.
    /// </summary>
    private T Write<T>(Func<SqliteConnection, SqliteTransaction, List<MailChange>, T> action)
    {
        _writeLock.Wait();
        var changes = new List<MailChange>();
        var committed = false;
        try
        {
            T result;
            using (var c = _db.Open())
            using (var tx = c.BeginTransaction(deferred: false))
            {
                result = action(c, tx, changes);
                tx.Commit();
                committed = true;
            }

            Publish(changes);
            return result;
        }
        catch when (!committed)
        {
            // The transaction rolled back, so directories made for mailboxes it would have
            // created must go too, or the next open would adopt them as mailboxes.
            foreach (var created in changes.OfType<MailboxCreated>())
            {
                TryDeleteDirectory(FolderDirectory(created.MailboxId));
            }

            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private MailboxCreated CreateMailboxCore(SqliteConnection c, SqliteTransaction tx, string name, SpecialUse specialUse, bool subscribed)
    {
        // Ids are never reused, so an operation that resolved a mailbox by id before taking the
        // lock cannot land in a newer mailbox; nor may one collide with a directory left by a crash.
        long id;
        using (var command = IndexDatabase.Command(c, tx, """
            SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'last_mailbox_id'), 0),
                       COALESCE((SELECT MAX(id) FROM mailboxes), 0)) + 1
            """))
        {
            id = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        while (Directory.Exists(FolderDirectory(id)))
        {
            id++;
        }

        IndexDatabase.Execute(c, tx, "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_mailbox_id', $id)", ("$id", id));

        var row = new MailboxRow
        {
            Id = id,
            Name = name,
            UidValidity = NextUidValidity(c, tx),
            UidNext = 1,
            HighestModSeq = 0,
            Subscribed = subscribed,
            SpecialUse = specialUse,
            UidReserved = ReserveBlock,
            ModSeqReserved = ReserveBlock,
        };

        var folder = FolderDirectory(id);
        foreach (var sub in new[] { "tmp", "new", "cur" })
        {
            Directory.CreateDirectory(Path.Combine(folder, sub));
        }

        WriteMetadata(row);
        DirectorySync.Fsync(AccountDirectory);
        InsertMailbox(c, tx, row);
        return new MailboxCreated(id, name);
    }

    private static uint NextUidValidity(SqliteConnection c, SqliteTransaction tx)
    {
        // Strictly increasing per account and never below the clock (a lost index forgets the
        // counter, the clock does not); RFC 9051 section 2.3.1.1.
        using var command = IndexDatabase.Command(c, tx, """
            SELECT MAX(COALESCE((SELECT value FROM meta WHERE key = 'last_uid_validity'), 0),
                       COALESCE((SELECT MAX(uid_validity) FROM mailboxes), 0))
            """);
        var last = Convert.ToUInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        var now = (uint)Math.Min(DateTimeOffset.UtcNow.ToUnixTimeSeconds(), uint.MaxValue - 1);
        var next = Math.Max(last + 1, now);
        IndexDatabase.Execute(c, tx, "INSERT OR REPLACE INTO meta (key, value) VALUES ('last_uid_validity', $v)", ("$v", next));
        return next;
    }

    private static void InsertMailbox(SqliteConnection c, SqliteTransaction tx, MailboxRow row) =>
        IndexDatabase.Execute(c, tx, """
            INSERT INTO mailboxes (id, name, uid_validity, uid_next, highest_modseq, subscribed, special_use, uid_reserved, modseq_reserved)
            VALUES ($id, $name, $uv, $next, $modseq, $sub, $use, $ures, $mres)
            """,
            ("$id", row.Id), ("$name", row.Name), ("$uv", row.UidValidity), ("$next", row.UidNext), ("$modseq", (long)row.HighestModSeq),
            ("$sub", row.Subscribed), ("$use", (int)row.SpecialUse), ("$ures", row.UidReserved), ("$mres", (long)row.ModSeqReserved));

    private static void SaveCounters(SqliteConnection c, SqliteTransaction tx, MailboxRow row) =>
        IndexDatabase.Execute(c, tx, """
            UPDATE mailboxes SET uid_next = $next, highest_modseq = $modseq, uid_reserved = $ures, modseq_reserved = $mres
            WHERE id = $id
            """,
            ("$id", row.Id), ("$next", row.UidNext), ("$modseq", (long)row.HighestModSeq), ("$ures", row.UidReserved), ("$mres", (long)row.ModSeqReserved));

    /// <summary>
    /// Keeps the folder.json high-water marks ahead of UIDNEXT and HIGHESTMODSEQ; call after
    /// advancing them and before the commit that uses them.
    /// </summary>
    private void EnsureReserved(MailboxRow row)
    {
        if (row.UidNext <= row.UidReserved && row.HighestModSeq <= row.ModSeqReserved)
        {
            return;
        }

        row.UidReserved = (uint)Math.Min((ulong)row.UidNext + ReserveBlock, uint.MaxValue);
        row.ModSeqReserved = Math.Max(row.ModSeqReserved, row.HighestModSeq + ReserveBlock);
        WriteMetadata(row);
    }

    private void WriteMetadata(MailboxRow row) =>
        new FolderMetadata(row.Name, row.UidValidity, row.SpecialUse, row.Subscribed, row.UidReserved, row.ModSeqReserved)
            .Write(FolderDirectory(row.Id));

    private static MailboxRow? FindMailbox(SqliteConnection c, SqliteTransaction? tx, string name)
    {
        using var command = IndexDatabase.Command(c, tx, $"SELECT {MailboxColumns} FROM mailboxes m WHERE m.name = $name", ("$name", name));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadMailbox(reader) : null;
    }

    private static MailboxRow? FindMailbox(SqliteConnection c, SqliteTransaction? tx, long id)
    {
        using var command = IndexDatabase.Command(c, tx, $"SELECT {MailboxColumns} FROM mailboxes m WHERE m.id = $id", ("$id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadMailbox(reader) : null;
    }

    private static MailboxRow RequireMailbox(SqliteConnection c, SqliteTransaction? tx, string name) =>
        FindMailbox(c, tx, name) ?? throw new MailboxNotFoundException(name);

    private static List<MailboxRow> AllMailboxes(SqliteConnection c, SqliteTransaction? tx)
    {
        using var command = IndexDatabase.Command(c, tx, $"SELECT {MailboxColumns} FROM mailboxes m ORDER BY m.id");
        using var reader = command.ExecuteReader();
        var result = new List<MailboxRow>();
        while (reader.Read())
        {
            result.Add(ReadMailbox(reader));
        }

        return result;
    }

    private static List<uint> ListUids(SqliteConnection c, SqliteTransaction tx, long mailboxId)
    {
        using var command = IndexDatabase.Command(c, tx, "SELECT uid FROM messages WHERE mailbox_id = $id ORDER BY uid", ("$id", mailboxId));
        using var reader = command.ExecuteReader();
        var result = new List<uint>();
        while (reader.Read())
        {
            result.Add((uint)reader.GetInt64(0));
        }

        return result;
    }

    private static MailboxRow ReadMailbox(SqliteDataReader r) => new()
    {
        Id = r.GetInt64(0),
        Name = r.GetString(1),
        UidValidity = (uint)r.GetInt64(2),
        UidNext = (uint)r.GetInt64(3),
        HighestModSeq = (ulong)r.GetInt64(4),
        Subscribed = r.GetBoolean(5),
        SpecialUse = (SpecialUse)r.GetInt32(6),
        UidReserved = (uint)r.GetInt64(7),
        ModSeqReserved = (ulong)r.GetInt64(8),
    };

    private static List<MessageInfo> ReadMessages(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var result = new List<MessageInfo>();
        while (reader.Read())
        {
            result.Add(ReadMessage(reader));
        }

        return result;
    }

    /// <param name="firstColumn">Where <see cref="MessageColumns"/> start in the row (a query may select columns before them).</param>
    private static MessageInfo ReadMessage(SqliteDataReader r, int firstColumn = 0)
    {
        int o = firstColumn;
        var summary = new MessageSummary(
            r.IsDBNull(o + 6) ? null : MessageSearchRow.ParseSentDate(r.GetString(o + 6)),
            r.GetString(o + 7),
            r.GetString(o + 8),
            r.GetString(o + 9),
            r.IsDBNull(o + 10) ? null : r.GetString(o + 10),
            r.GetBoolean(o + 11),
            r.GetString(o + 12));
        return new MessageInfo(
            (uint)r.GetInt64(o),
            r.GetInt64(o + 1),
            DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(o + 2)),
            (MessageFlags)r.GetInt32(o + 3),
            Keywords.Split(r.GetString(o + 4)),
            (ulong)r.GetInt64(o + 5),
            summary);
    }

    private static void TryDeleteDirectory(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the next open, which removes leftover ".deleted-*" directories.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryDeleteFile(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private const string DeletedPrefix = ".deleted-";

    /// <summary>A mailbox row, mutable while a write transaction advances its counters.</summary>
    private sealed class MailboxRow
    {
        public long Id { get; init; }

        public required string Name { get; set; }

        public uint UidValidity { get; init; }

        public uint UidNext { get; set; }

        public ulong HighestModSeq { get; set; }

        public bool Subscribed { get; set; }

        public SpecialUse SpecialUse { get; init; }

        public uint UidReserved { get; set; }

        public ulong ModSeqReserved { get; set; }

        public MailboxInfo ToInfo(int messages, int unseen) =>
            new(Id, Name, UidValidity, UidNext, HighestModSeq, Subscribed, SpecialUse, messages, unseen);
    }
}
