using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Appliance.Server.Delivery;

/// <summary>
/// The delivery log's own SQLite database, {DataPath}/log/delivery.db, apart from the configuration
/// database so that a busy log never holds the configuration's write lock. WAL lets the Logs page read
/// while the writer commits. synchronous=NORMAL: in WAL mode a commit survives a process crash, and
/// only a power loss can lose the last batches (never corrupt the file); for a log that is the right
/// trade against an fsync per batch competing with the mail store's fsyncs that back each 250.
/// </summary>
internal sealed class DeliveryLogStore
{
    public const string DirectoryName = "log";
    public const string FileName = "delivery.db";

    /// <summary>How long a query waits for the writer's lock; the writer holds it for one batch.</summary>
    private const int BusyTimeoutSeconds = 10;

    private const int SchemaVersion = 1;

    private readonly string connectionString;

    public DeliveryLogStore(string dataPath)
    {
        FilePath = Path.Combine(dataPath, DirectoryName, FileName);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutSeconds,
        }.ToString();
    }

    public string FilePath { get; }

    public SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, null, $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={BusyTimeoutSeconds * 1000};");
        return connection;
    }

    /// <summary>Creates the directory, the file and the tables when missing.</summary>
    public void EnsureSchema()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        using var connection = Open();
        Execute(connection, null, "PRAGMA journal_mode=WAL;");
        using var tx = connection.BeginTransaction(deferred: false);
        // time is UtcTicks; search is the lower-cased text the Logs page's filter matches, fields
        // separated by a line feed so that a match cannot span two of them.
        Execute(connection, tx, $"""
            CREATE TABLE IF NOT EXISTS transactions (
                id INTEGER PRIMARY KEY,
                time INTEGER NOT NULL,
                listener TEXT NOT NULL,
                client_address TEXT NOT NULL,
                helo TEXT NULL,
                tls TEXT NULL,
                auth_user TEXT NULL,
                reverse_path TEXT NULL,
                recipients TEXT NOT NULL,
                size INTEGER NOT NULL,
                reply_code INTEGER NOT NULL,
                reply_text TEXT NOT NULL,
                queue_id TEXT NULL,
                search TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS transactions_time ON transactions(time);
            CREATE TABLE IF NOT EXISTS attempts (
                id INTEGER PRIMARY KEY,
                time INTEGER NOT NULL,
                queue_id TEXT NOT NULL,
                recipient TEXT NOT NULL,
                remote_host TEXT NULL,
                remote_address TEXT NULL,
                tls TEXT NULL,
                reply_code INTEGER NULL,
                reply_text TEXT NOT NULL,
                outcome TEXT NOT NULL,
                search TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS attempts_time ON attempts(time);
            CREATE INDEX IF NOT EXISTS attempts_queue_id ON attempts(queue_id);
            PRAGMA user_version={SchemaVersion};
            """);
        tx.Commit();
    }

    /// <summary>Writes the records in one transaction, then prunes by age and by count.</summary>
    /// <returns>Rows pruned from (transactions, attempts).</returns>
    public (int Transactions, int Attempts) WriteBatch(SqliteConnection connection, IReadOnlyList<object> records, DateTimeOffset now, DeliveryLogOptions options)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        using var insertTransaction = connection.CreateCommand();
        insertTransaction.Transaction = tx;
        insertTransaction.CommandText = """
            INSERT INTO transactions (time, listener, client_address, helo, tls, auth_user, reverse_path, recipients, size, reply_code, reply_text, queue_id, search)
            VALUES ($time, $listener, $client, $helo, $tls, $user, $sender, $recipients, $size, $code, $text, $queue, $search)
            """;
        using var insertAttempt = connection.CreateCommand();
        insertAttempt.Transaction = tx;
        insertAttempt.CommandText = """
            INSERT INTO attempts (time, queue_id, recipient, remote_host, remote_address, tls, reply_code, reply_text, outcome, search)
            VALUES ($time, $queue, $recipient, $host, $address, $tls, $code, $text, $outcome, $search)
            """;
        foreach (object record in records)
        {
            switch (record)
            {
                case SmtpTransactionRecord t:
                    Bind(insertTransaction,
                        ("$time", t.Time.UtcTicks), ("$listener", t.Listener ?? ""), ("$client", t.ClientAddress ?? ""), ("$helo", t.Helo),
                        ("$tls", t.Tls), ("$user", t.AuthenticatedUser), ("$sender", t.ReversePath),
                        ("$recipients", JsonSerializer.Serialize(t.Recipients ?? [])), ("$size", t.Size), ("$code", t.ReplyCode),
                        ("$text", t.ReplyText ?? ""), ("$queue", t.QueueId), ("$search", SearchText(t)));
                    insertTransaction.ExecuteNonQuery();
                    break;
                case DeliveryAttemptRecord a:
                    Bind(insertAttempt,
                        ("$time", a.Time.UtcTicks), ("$queue", a.QueueId ?? ""), ("$recipient", a.Recipient ?? ""), ("$host", a.RemoteHost),
                        ("$address", a.RemoteAddress), ("$tls", a.Tls), ("$code", a.ReplyCode), ("$text", a.ReplyText ?? ""),
                        ("$outcome", a.Outcome.ToString()), ("$search", SearchText(a)));
                    insertAttempt.ExecuteNonQuery();
                    break;
            }
        }
        long cutoff = (now - options.MaxAge).UtcTicks;
        int transactions = Prune(connection, tx, "transactions", cutoff, options.MaxRowsPerTable);
        int attempts = Prune(connection, tx, "attempts", cutoff, options.MaxRowsPerTable);
        tx.Commit();
        return (transactions, attempts);
    }

    /// <summary>
    /// Rows older than the cutoff, then all but the newest <paramref name="maxRows"/> (by insertion
    /// order). Ids are rowids given in insertion order and rows only ever leave from the oldest end,
    /// so the newest rows are the ids above MAX(id) - maxRows: one key lookup, where counting back
    /// with OFFSET walked all the rows kept (a hundred thousand) at every batch.
    /// </summary>
    private static int Prune(SqliteConnection connection, SqliteTransaction tx, string table, long cutoffTicks, int maxRows)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = $"""
            DELETE FROM {table} WHERE time < $cutoff;
            DELETE FROM {table} WHERE id <= (SELECT MAX(id) FROM {table}) - $max;
            """;
        command.Parameters.AddWithValue("$cutoff", cutoffTicks);
        command.Parameters.AddWithValue("$max", Math.Max(0, maxRows));
        return command.ExecuteNonQuery();
    }

    public List<SmtpTransactionRecord> QueryTransactions(DeliveryLogQuery query, int limit)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT time, listener, client_address, helo, tls, auth_user, reverse_path, recipients, size, reply_code, reply_text, queue_id
            FROM transactions WHERE {Filter(command, query)} ORDER BY time DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var results = new List<SmtpTransactionRecord>();
        while (reader.Read())
        {
            results.Add(new SmtpTransactionRecord(
                new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2), NullableString(reader, 3),
                NullableString(reader, 4), NullableString(reader, 5), NullableString(reader, 6),
                JsonSerializer.Deserialize<List<string>>(reader.GetString(7)) ?? [], reader.GetInt64(8), reader.GetInt32(9),
                reader.GetString(10), NullableString(reader, 11)));
        }
        return results;
    }

    public Dictionary<DeliveryAttemptOutcome, int> CountAttempts(DateTimeOffset since)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT outcome, COUNT(*) FROM attempts WHERE time >= $since GROUP BY outcome";
        command.Parameters.AddWithValue("$since", since.UtcTicks);
        using var reader = command.ExecuteReader();
        var counts = Enum.GetValues<DeliveryAttemptOutcome>().ToDictionary(o => o, _ => 0);
        while (reader.Read())
        {
            if (Enum.TryParse(reader.GetString(0), out DeliveryAttemptOutcome outcome))
                counts[outcome] = reader.GetInt32(1);
        }
        return counts;
    }

    public List<DeliveryAttemptRecord> QueryAttempts(DeliveryLogQuery query, string? queueId, int limit)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        string filter = Filter(command, query);
        if (queueId is not null)
        {
            filter += " AND queue_id = $queueId";
            command.Parameters.AddWithValue("$queueId", queueId);
        }
        command.CommandText = $"""
            SELECT time, queue_id, recipient, remote_host, remote_address, tls, reply_code, reply_text, outcome
            FROM attempts WHERE {filter} ORDER BY time DESC, id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var results = new List<DeliveryAttemptRecord>();
        while (reader.Read())
        {
            results.Add(new DeliveryAttemptRecord(
                new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2), NullableString(reader, 3),
                NullableString(reader, 4), NullableString(reader, 5), reader.IsDBNull(6) ? null : reader.GetInt32(6), reader.GetString(7),
                Enum.TryParse(reader.GetString(8), out DeliveryAttemptOutcome outcome) ? outcome : DeliveryAttemptOutcome.Failed));
        }
        return results;
    }

    /// <summary>Since and Until are inclusive; Text is a case-insensitive substring (instr, so % and _ are plain characters).</summary>
    private static string Filter(SqliteCommand command, DeliveryLogQuery query)
    {
        List<string> conditions = ["1 = 1"];
        if (query.Since is { } since)
        {
            conditions.Add("time >= $since");
            command.Parameters.AddWithValue("$since", since.UtcTicks);
        }
        if (query.Until is { } until)
        {
            conditions.Add("time <= $until");
            command.Parameters.AddWithValue("$until", until.UtcTicks);
        }
        if (!string.IsNullOrEmpty(query.Text))
        {
            conditions.Add("instr(search, $text) > 0");
            command.Parameters.AddWithValue("$text", query.Text.ToLowerInvariant());
        }
        return string.Join(" AND ", conditions);
    }

    private static string SearchText(SmtpTransactionRecord t) =>
        Join([t.ClientAddress, t.Helo, t.AuthenticatedUser, t.ReversePath, .. t.Recipients ?? [], t.ReplyText, t.QueueId]);

    private static string SearchText(DeliveryAttemptRecord a) =>
        Join([a.QueueId, a.Recipient, a.RemoteHost, a.RemoteAddress, a.ReplyText]);

    private static string Join(IEnumerable<string?> fields)
    {
        var text = new StringBuilder();
        foreach (string? field in fields)
        {
            if (!string.IsNullOrEmpty(field))
            {
                text.Append(field.ToLowerInvariant()).Append('\n');
            }
        }
        return text.ToString();
    }

    private static void Bind(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in values)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }

    private static string? NullableString(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void Execute(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
