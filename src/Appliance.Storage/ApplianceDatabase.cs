using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Storage;

/// <summary>Provider selection for the configuration database. Migrations live in Appliance.Migrations.</summary>
public static class ApplianceDatabase
{
    public const string MigrationsAssembly = "Appliance.Migrations";

    public static DbContextOptionsBuilder UseSqlite(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseSqlite(connectionString, o => o.MigrationsAssembly(MigrationsAssembly));

    /// <summary>For <see cref="PostgreSqlApplianceDbContext"/>, whose migrations are PostgreSQL's.</summary>
    public static DbContextOptionsBuilder UsePostgreSql(DbContextOptionsBuilder builder, string connectionString) =>
        builder.UseNpgsql(connectionString, o => o.MigrationsAssembly(MigrationsAssembly));

    /// <summary>The default SQLite connection string for a database file.</summary>
    public static string SqliteConnectionString(string databasePath) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            ForeignKeys = true,
            Pooling = true,
            // Waits for a writer in another process (the CLI while the server runs) instead of failing.
            DefaultTimeout = 30,
        }.ToString();

    /// <summary>
    /// Applies pending migrations. For SQLite, switches the file to WAL first so readers never block
    /// the writer (the journal mode is stored in the file and persists).
    /// </summary>
    public static async Task MigrateAsync(ApplianceDbContext db, CancellationToken cancellationToken = default)
    {
        if (db.Database.IsSqlite())
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
            try
            {
                await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }
        await db.Database.MigrateAsync(cancellationToken);
    }
}
