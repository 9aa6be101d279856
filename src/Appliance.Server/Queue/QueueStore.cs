using System.Security.Cryptography;
using Microsoft.Data.Sqlite;

using Appliance.Storage.Mail;

namespace Appliance.Server.Queue;

/// <summary>One message in the spool.</summary>
internal sealed record QueuedMessage(
    string Id,
    string ReversePath,
    string? EnvelopeId,
    DsnReturn Return,
    bool RequiresSmtpUtf8,
    bool EightBitMime,
    string Origin,
    long Size,
    DateTimeOffset Created);

/// <summary>One recipient row: state per recipient, as the worker and the CLI see it.</summary>
internal sealed record QueuedRecipient(
    long RowId,
    string MessageId,
    string Address,
    DsnNotify Notify,
    string? OriginalRecipient,
    int Attempts,
    DateTimeOffset NextAttempt,
    DateTimeOffset? LastAttempt,
    string? LastReply,
    string? LastRemoteHost);

/// <summary>
/// The spool on disk: message files under {data}/queue/messages and one SQLite database
/// {data}/queue/queue.db with a row per message and per recipient. Rows of finished recipients
/// are deleted; a message and its file go when its last recipient does. Every call opens its own
/// connection, so the server and the CLI may use the same database at once (SQLite's WAL mode and
/// busy timeout arbitrate; writes take the lock up front with BEGIN IMMEDIATE).
/// </summary>
internal sealed class QueueStore
{
    public const string DirectoryName = "queue";
    public const string DatabaseFileName = "queue.db";

    /// <summary>
    /// How long a writer waits for another process's lock before failing: SQLite's own default is
    /// none; Microsoft.Data.Sqlite's command timeout is 30 s, and we keep that figure.
    /// </summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly string _connectionString;
    private readonly object _initLock = new();
    private bool _initialized;

    public QueueStore(string dataPath)
    {
        Root = Path.Combine(dataPath, DirectoryName);
        MessagesPath = Path.Combine(Root, "messages");
        TempPath = Path.Combine(Root, "tmp");
        DatabasePath = Path.Combine(Root, DatabaseFileName);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    public string Root { get; }
    public string MessagesPath { get; }
    public string TempPath { get; }
    public string DatabasePath { get; }

    public string MessagePath(string id) => Path.Combine(MessagesPath, id + ".eml");

    /// <summary>Creates the directories and the schema (idempotent, safe from two processes).</summary>
    public void EnsureCreated()
    {
        lock (_initLock)
        {
            if (_initialized)
                return;
            bool fresh = !Directory.Exists(MessagesPath);
            Directory.CreateDirectory(MessagesPath);
            Directory.CreateDirectory(TempPath);
            if (fresh)
            {
                // New directory entries are durable only once their parents are synced.
                DirectorySync.Fsync(Root);
                DirectorySync.Fsync(Path.GetDirectoryName(Root)!);
            }
            using var connection = Open();
            // WAL is a property of the database file and persists; readers never block the writer.
            Execute(connection, "PRAGMA journal_mode=WAL;");
            using var tx = connection.BeginTransaction(deferred: false);
            Execute(connection, """
                CREATE TABLE IF NOT EXISTS messages (
                    id TEXT PRIMARY KEY,
                    reverse_path TEXT NOT NULL,
                    envelope_id TEXT,
                    ret INTEGER NOT NULL,
                    smtputf8 INTEGER NOT NULL,
                    eightbit INTEGER NOT NULL,
                    origin TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    created INTEGER NOT NULL
                );
                CREATE TABLE IF NOT EXISTS recipients (
                    row_id INTEGER PRIMARY KEY AUTOINCREMENT,
                    message_id TEXT NOT NULL REFERENCES messages(id),
                    address TEXT NOT NULL,
                    notify INTEGER NOT NULL,
                    orcpt TEXT,
                    state INTEGER NOT NULL, -- 0 waiting; other values reserved (e.g. held by the admin)
                    attempts INTEGER NOT NULL,
                    next_attempt INTEGER NOT NULL,
                    last_attempt INTEGER,
                    last_reply TEXT,
                    last_host TEXT
                );
                CREATE INDEX IF NOT EXISTS recipients_due ON recipients(state, next_attempt);
                CREATE INDEX IF NOT EXISTS recipients_message ON recipients(message_id);
                """, tx);
            tx.Commit();
            _initialized = true;
        }
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        // Per connection: FULL makes every commit durable in WAL mode (NORMAL would not be).
        Execute(connection, $"PRAGMA synchronous=FULL; PRAGMA busy_timeout={(int)BusyTimeout.TotalMilliseconds};");
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = tx;
        command.ExecuteNonQuery();
    }

    /// <summary>Short (12 characters), unique, URL-safe: 60 random bits in lower-case base32 without look-alikes.</summary>
    public static string NewId()
    {
        // Crockford's base32 alphabet, lower-case: no i, l, o, u to misread.
        const string base32 = "0123456789abcdefghjkmnpqrstvwxyz";
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        ulong value = BitConverter.ToUInt64(bytes);
        Span<char> chars = stackalloc char[12];
        for (int i = 0; i < chars.Length; i++)
        {
            chars[i] = base32[(int)(value & 31)];
            value >>= 5;
        }
        return new string(chars);
    }

    /// <summary>True for strings <see cref="NewId"/> could have made (the CLI checks user input with it).</summary>
    public static bool IsValidId(string id) =>
        id.Length == 12 && id.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'z') && c is not ('i' or 'l' or 'o' or 'u'));

    /// <summary>
    /// Writes the message file durably: a temporary name, fsync, rename into messages/, fsync of
    /// the directory (so the rename survives a crash). Returns the size in octets.
    /// </summary>
    public async Task<long> WriteMessageFileAsync(string id, Stream message, CancellationToken ct)
    {
        EnsureCreated();
        string temp = Path.Combine(TempPath, id + ".tmp");
        long size;
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
            {
                await message.CopyToAsync(file, ct);
                size = file.Length;
                file.Flush(flushToDisk: true);
            }
            File.Move(temp, MessagePath(id));
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
        DirectorySync.Fsync(MessagesPath);
        return size;
    }

    /// <summary>Inserts the message and its recipient rows in one committed transaction.</summary>
    public void Insert(QueuedMessage message, IReadOnlyList<OutboundRecipient> recipients, DateTimeOffset firstAttempt)
    {
        EnsureCreated();
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = """
                INSERT INTO messages (id, reverse_path, envelope_id, ret, smtputf8, eightbit, origin, size, created)
                VALUES ($id, $rp, $envid, $ret, $utf8, $eight, $origin, $size, $created)
                """;
            command.Parameters.AddWithValue("$id", message.Id);
            command.Parameters.AddWithValue("$rp", message.ReversePath);
            command.Parameters.AddWithValue("$envid", (object?)message.EnvelopeId ?? DBNull.Value);
            command.Parameters.AddWithValue("$ret", (int)message.Return);
            command.Parameters.AddWithValue("$utf8", message.RequiresSmtpUtf8 ? 1 : 0);
            command.Parameters.AddWithValue("$eight", message.EightBitMime ? 1 : 0);
            command.Parameters.AddWithValue("$origin", message.Origin);
            command.Parameters.AddWithValue("$size", message.Size);
            command.Parameters.AddWithValue("$created", message.Created.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
        foreach (var recipient in recipients)
        {
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = """
                INSERT INTO recipients (message_id, address, notify, orcpt, state, attempts, next_attempt)
                VALUES ($id, $address, $notify, $orcpt, 0, 0, $next)
                """;
            command.Parameters.AddWithValue("$id", message.Id);
            command.Parameters.AddWithValue("$address", recipient.Address);
            command.Parameters.AddWithValue("$notify", (int)recipient.Notify);
            command.Parameters.AddWithValue("$orcpt", (object?)recipient.OriginalRecipient ?? DBNull.Value);
            command.Parameters.AddWithValue("$next", firstAttempt.ToUnixTimeMilliseconds());
            command.ExecuteNonQuery();
        }
        tx.Commit();
    }

    private const string RecipientColumns =
        "row_id, message_id, address, notify, orcpt, attempts, next_attempt, last_attempt, last_reply, last_host";

    private static QueuedRecipient ReadRecipient(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetString(1), r.GetString(2), (DsnNotify)r.GetInt32(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.GetInt32(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)),
        r.IsDBNull(7) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)),
        r.IsDBNull(8) ? null : r.GetString(8), r.IsDBNull(9) ? null : r.GetString(9));

    private static QueuedMessage ReadMessage(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), (DsnReturn)r.GetInt32(3),
        r.GetInt32(4) != 0, r.GetInt32(5) != 0, r.GetString(6), r.GetInt64(7), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(8)));

    private const string MessageColumns = "id, reverse_path, envelope_id, ret, smtputf8, eightbit, origin, size, created";

    /// <summary>Recipients whose next attempt is at or before <paramref name="now"/>, oldest first.</summary>
    public IReadOnlyList<QueuedRecipient> GetDue(DateTimeOffset now, int limit)
    {
        EnsureCreated();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RecipientColumns} FROM recipients WHERE state = 0 AND next_attempt <= $now ORDER BY next_attempt, row_id LIMIT $limit";
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var rows = new List<QueuedRecipient>();
        while (reader.Read())
            rows.Add(ReadRecipient(reader));
        return rows;
    }

    /// <summary>The earliest next attempt of any waiting recipient, or null when the queue is empty.</summary>
    public DateTimeOffset? GetNextAttempt()
    {
        EnsureCreated();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MIN(next_attempt) FROM recipients WHERE state = 0";
        object? value = command.ExecuteScalar();
        return value is long ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
    }

    public QueuedMessage? GetMessage(string id)
    {
        EnsureCreated();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {MessageColumns} FROM messages WHERE id = $id";
        command.Parameters.AddWithValue("$id", id);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadMessage(reader) : null;
    }

    public IReadOnlyList<QueuedMessage> ListMessages()
    {
        EnsureCreated();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {MessageColumns} FROM messages ORDER BY created, id";
        using var reader = command.ExecuteReader();
        var rows = new List<QueuedMessage>();
        while (reader.Read())
            rows.Add(ReadMessage(reader));
        return rows;
    }

    public IReadOnlyList<QueuedRecipient> GetRecipients(string messageId)
    {
        EnsureCreated();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RecipientColumns} FROM recipients WHERE message_id = $id ORDER BY row_id";
        command.Parameters.AddWithValue("$id", messageId);
        using var reader = command.ExecuteReader();
        var rows = new List<QueuedRecipient>();
        while (reader.Read())
            rows.Add(ReadRecipient(reader));
        return rows;
    }

    /// <summary>Records a deferral: one more attempt, the reply, and when to try next.</summary>
    public void Defer(long rowId, DateTimeOffset attempted, DateTimeOffset next, string reply, string? remoteHost)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE recipients SET attempts = attempts + 1, last_attempt = $at, next_attempt = $next, last_reply = $reply, last_host = $host
            WHERE row_id = $row
            """;
        command.Parameters.AddWithValue("$at", attempted.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$next", next.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$reply", reply);
        command.Parameters.AddWithValue("$host", (object?)remoteHost ?? DBNull.Value);
        command.Parameters.AddWithValue("$row", rowId);
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// Removes finished recipient rows; when a message has none left, removes it and its file.
    /// Returns the ids of messages removed entirely.
    /// </summary>
    public IReadOnlyList<string> Complete(IReadOnlyCollection<long> rowIds)
    {
        if (rowIds.Count == 0)
            return [];
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        var messageIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (long rowId in rowIds)
        {
            using var select = connection.CreateCommand();
            select.Transaction = tx;
            select.CommandText = "SELECT message_id FROM recipients WHERE row_id = $row";
            select.Parameters.AddWithValue("$row", rowId);
            if (select.ExecuteScalar() is string messageId)
                messageIds.Add(messageId);
            using var delete = connection.CreateCommand();
            delete.Transaction = tx;
            delete.CommandText = "DELETE FROM recipients WHERE row_id = $row";
            delete.Parameters.AddWithValue("$row", rowId);
            delete.ExecuteNonQuery();
        }
        var emptied = RemoveEmptyMessages(connection, tx, messageIds);
        tx.Commit();
        DeleteFiles(emptied);
        return emptied;
    }

    /// <summary>Sets the next attempt of every recipient of a message to <paramref name="now"/>; false when the id is unknown.</summary>
    public bool RetryNow(string messageId, DateTimeOffset now)
    {
        EnsureCreated();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE recipients SET next_attempt = $now WHERE message_id = $id AND state = 0";
        command.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$id", messageId);
        bool found = command.ExecuteNonQuery() > 0;
        if (found)
            TouchWake();
        return found;
    }

    /// <summary>The file another process (the CLI: sendmail, queue retry) writes to wake the server's worker at once.</summary>
    public string WakePath => Path.Combine(Root, "wake");

    /// <summary>
    /// Wakes a delivery worker in any process watching <see cref="WakePath"/>. Best effort and not
    /// durable: the rows are, and the worker's poll finds them anyway.
    /// </summary>
    public void TouchWake()
    {
        try
        {
            File.WriteAllBytes(WakePath, []);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The periodic poll still finds the work.
        }
    }

    /// <summary>Removes a message, all its recipients and its file; false when the id is unknown.</summary>
    public bool Delete(string messageId)
    {
        EnsureCreated();
        using var connection = Open();
        using var tx = connection.BeginTransaction(deferred: false);
        using (var command = connection.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = "DELETE FROM recipients WHERE message_id = $id";
            command.Parameters.AddWithValue("$id", messageId);
            command.ExecuteNonQuery();
        }
        var removed = RemoveEmptyMessages(connection, tx, [messageId]);
        tx.Commit();
        DeleteFiles(removed);
        return removed.Count > 0;
    }

    private static List<string> RemoveEmptyMessages(SqliteConnection connection, SqliteTransaction tx, IEnumerable<string> messageIds)
    {
        var removed = new List<string>();
        foreach (string id in messageIds)
        {
            using var command = connection.CreateCommand();
            command.Transaction = tx;
            command.CommandText = "DELETE FROM messages WHERE id = $id AND NOT EXISTS (SELECT 1 FROM recipients WHERE message_id = $id)";
            command.Parameters.AddWithValue("$id", id);
            if (command.ExecuteNonQuery() > 0)
                removed.Add(id);
        }
        return removed;
    }

    private void DeleteFiles(IReadOnlyList<string> messageIds)
    {
        foreach (string id in messageIds)
        {
            try { File.Delete(MessagePath(id)); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Message files without a row: a crash between the file's rename and the row's commit (the
    /// sender never got 250 for them). Removed when older than <paramref name="olderThan"/>, so a
    /// file whose enqueue is still in progress (in this or another process) is left alone.
    /// </summary>
    public int RemoveOrphanFiles(DateTimeOffset olderThan)
    {
        EnsureCreated();
        var known = ListMessages().Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        int removed = 0;
        foreach (string path in Directory.EnumerateFiles(MessagesPath, "*.eml").Concat(Directory.EnumerateFiles(TempPath, "*.tmp")))
        {
            string id = Path.GetFileNameWithoutExtension(path);
            if (known.Contains(id) || File.GetLastWriteTimeUtc(path) >= olderThan.UtcDateTime)
                continue;
            try
            {
                File.Delete(path);
                removed++;
            }
            catch (IOException)
            {
            }
        }
        return removed;
    }
}
