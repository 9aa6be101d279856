using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Appliance.Storage;

/// <summary>
/// What a cache of configuration (recipient resolutions) compares to know whether the database may
/// have changed since it read: equal stamps mean no write was committed in between.
/// </summary>
/// <param name="LocalWrites">Writes through any <see cref="ApplianceDbContext"/> of this process (<see cref="ConfigurationVersion.CountedWrites"/>).</param>
/// <param name="DataVersion">SQLite's PRAGMA data_version: commits by any other connection, in this process or another (the CLI); 0 on PostgreSQL.</param>
public readonly record struct ConfigurationStamp(long LocalWrites, long DataVersion);

/// <summary>
/// Tells caches of the configuration database when to forget. Two sources, read before the cached
/// query so that a write racing with it always makes the entry stale:
/// every write made through EF Core in this process (SaveChanges, ExecuteUpdate/ExecuteDelete, raw
/// SQL: counted by an interceptor every <see cref="ApplianceDbContext"/> carries), and on SQLite the
/// file's PRAGMA data_version, which changes whenever another connection commits, so the CLI's
/// changes from its own process are seen at once too. PostgreSQL has no such counter: another
/// instance's changes reach a cache only when its entries expire (the cache's own lifetime).
/// </summary>
public sealed class ConfigurationVersion : IDisposable
{
    private static long s_localWrites;

    private readonly Lock _gate = new();
    private readonly string? _sqliteConnectionString;
    private SqliteConnection? _connection;
    private SqliteCommand? _dataVersion;
    private bool _disposed;

    private readonly Func<long> _localWrites;

    /// <param name="sqliteConnectionString">The SQLite database's connection string, or null on PostgreSQL.</param>
    public ConfigurationVersion(string? sqliteConnectionString)
        : this(sqliteConnectionString, () => CountedWrites)
    {
    }

    /// <param name="sqliteConnectionString">The SQLite database's connection string, or null on PostgreSQL.</param>
    /// <param name="localWrites">What stands for this process's writes (<see cref="CountedWrites"/> unless a test isolates itself from others running beside it).</param>
    public ConfigurationVersion(string? sqliteConnectionString, Func<long> localWrites)
    {
        _localWrites = localWrites;
        if (sqliteConnectionString is not null)
        {
            // A connection of its own, outside the pool: data_version only counts commits made by
            // other connections since this one's previous read. Opened at first use, when the
            // migrations have made the file.
            _sqliteConnectionString = new SqliteConnectionStringBuilder(sqliteConnectionString) { Pooling = false, Mode = SqliteOpenMode.ReadWrite }.ToString();
        }
    }

    /// <summary>The interceptor that counts this process's writes; <see cref="ApplianceDbContext"/> adds it to every context.</summary>
    internal static IInterceptor[] Interceptors { get; } = [new WriteCounter()];

    /// <summary>Writes counted so far in this process (every database of it: a change anywhere makes every cache re-read, which is only slower, never wrong).</summary>
    public static long CountedWrites => Interlocked.Read(ref s_localWrites);

    public ConfigurationStamp Current
    {
        get
        {
            long local = _localWrites();
            if (_sqliteConnectionString is null)
                return new ConfigurationStamp(local, 0);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_dataVersion is null)
                {
                    _connection = new SqliteConnection(_sqliteConnectionString);
                    _connection.Open();
                    _dataVersion = _connection.CreateCommand();
                    _dataVersion.CommandText = "PRAGMA data_version;";
                    _dataVersion.Prepare();
                }
                return new ConfigurationStamp(local, Convert.ToInt64(_dataVersion.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _dataVersion?.Dispose();
            _connection?.Dispose();
        }
    }

    private static void Count() => Interlocked.Increment(ref s_localWrites);

    /// <summary>
    /// Counts SaveChanges, and every command run as a non-query (ExecuteUpdate, ExecuteDelete,
    /// ExecuteSql): EF Core runs queries as readers, so a non-query is a write. Counted after the
    /// command and also when it fails, since a failure may still have changed something.
    /// </summary>
    private sealed class WriteCounter : DbCommandInterceptor, ISaveChangesInterceptor
    {
        public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
        {
            Count();
            return result;
        }

        public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            Count();
            return ValueTask.FromResult(result);
        }

        public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => Count();

        public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            Count();
            return Task.CompletedTask;
        }

        public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
        {
            Count();
            return result;
        }

        public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            Count();
            return ValueTask.FromResult(result);
        }

        public void SaveChangesFailed(DbContextErrorEventData eventData) => Count();

        public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            Count();
            return Task.CompletedTask;
        }
    }
}
