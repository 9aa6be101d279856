using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

/// <summary>
/// The per-account SQLite index. WAL lets readers (IMAP FETCH, webmail listings) proceed while a
/// writer commits; synchronous=FULL because a commit here backs an SMTP 250 or an IMAP OK, so it
/// must survive power loss, not only a process crash.
/// </summary>
internal sealed class IndexDatabase
{
    public const string FileName = "index.sqlite";

    /// <summary>Busy timeout: how long a writer waits for another process's BEGIN IMMEDIATE (the CLI's reindex).</summary>
    private const int BusyTimeoutSeconds = 30;

    private const int SchemaVersion = 1;

    /// <summary>meta key: expunges with a MODSEQ above it are all in the expunged table (see MailAccount.ListExpungedSince).</summary>
    public const string ExpungeHorizonKey = "expunge_horizon";

    private readonly string _connectionString;

    public IndexDatabase(string accountDirectory)
    {
        FilePath = Path.Combine(accountDirectory, FileName);
        _connectionString = new SqliteConnectionStringBuilder
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
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Execute(connection, null, $"PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={BusyTimeoutSeconds * 1000};");
        return connection;
    }

    /// <summary>Creates the tables if needed. journal_mode is persistent and cannot change inside a transaction, so it is set here.</summary>
    public void EnsureSchema()
    {
        using var connection = Open();
        Execute(connection, null, "PRAGMA journal_mode=WAL;");
        using var tx = connection.BeginTransaction(deferred: false);
        Execute(connection, tx, """
            CREATE TABLE IF NOT EXISTS meta (
                key TEXT PRIMARY KEY,
                value INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS mailboxes (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                uid_validity INTEGER NOT NULL,
                uid_next INTEGER NOT NULL,
                highest_modseq INTEGER NOT NULL,
                subscribed INTEGER NOT NULL,
                special_use INTEGER NOT NULL,
                uid_reserved INTEGER NOT NULL,
                modseq_reserved INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS messages (
                mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
                uid INTEGER NOT NULL,
                file_name TEXT NOT NULL,
                size INTEGER NOT NULL,
                internal_date INTEGER NOT NULL,
                flags INTEGER NOT NULL,
                keywords TEXT NOT NULL,
                modseq INTEGER NOT NULL,
                sent_date TEXT NULL,
                from_text TEXT NOT NULL,
                to_text TEXT NOT NULL,
                subject TEXT NOT NULL,
                message_id TEXT NULL,
                has_attachment INTEGER NOT NULL,
                preview TEXT NOT NULL,
                PRIMARY KEY (mailbox_id, uid));
            CREATE INDEX IF NOT EXISTS messages_newest ON messages (mailbox_id, internal_date DESC, uid DESC);
            CREATE TABLE IF NOT EXISTS expunged (
                mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
                uid INTEGER NOT NULL,
                modseq INTEGER NOT NULL,
                PRIMARY KEY (mailbox_id, uid));
            CREATE VIRTUAL TABLE IF NOT EXISTS message_text USING fts5(header, body, tokenize = 'trigram');
            CREATE TRIGGER IF NOT EXISTS message_text_forget AFTER DELETE ON messages BEGIN
                DELETE FROM message_text WHERE rowid = (old.mailbox_id << 32) | old.uid;
            END;
            """);
        // message_text: the full-text index of SEARCH BODY / TEXT (MailAccount.Search.cs), one row per
        // message keyed by mailbox id << 32 | UID; the trigger forgets a message's row with its own.
        // An index made before the table existed is filled after the account's open, in the background.
        // The expunge log (QRESYNC's VANISHED, RFC 7162 section 3.2.5.1) is complete only for
        // expunges with a MODSEQ above this horizon; -1 until the account's opening sets it.
        Execute(connection, tx, $"INSERT OR IGNORE INTO meta (key, value) VALUES ('{ExpungeHorizonKey}', -1);");
        Execute(connection, tx, $"INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', {SchemaVersion});");
        tx.Commit();
    }

    /// <summary>True when the file opens and passes SQLite's quick_check.</summary>
    public bool IsHealthy()
    {
        if (!File.Exists(FilePath))
        {
            return false;
        }

        try
        {
            using var connection = Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA quick_check;";
            return command.ExecuteScalar() as string == "ok";
        }
        catch (SqliteException)
        {
            return false;
        }
    }

    public void ClearPool()
    {
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }

    public static int Execute(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }
}
