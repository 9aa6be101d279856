using Appliance.Server.Configuration;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Tests.Accounts;

public sealed class DatabaseTests
{
    [Fact]
    public async Task Sqlite_database_is_migrated_in_wal_mode_and_matches_the_model()
    {
        await using var host = await AccountTestHost.StartAsync();
        await using var db = host.CreateDb();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());
        // A model change without a migration would fail here.
        Assert.False(db.Database.HasPendingModelChanges());

        await db.Database.OpenConnectionAsync();
        var cmd = db.Database.GetDbConnection().CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync());
        Assert.True(File.Exists(Path.Combine(host.DataDirectory, ApplianceServices.DatabaseFileName)));
    }

    [Fact]
    public async Task Initialization_is_idempotent()
    {
        await using var host = await AccountTestHost.StartAsync();
        await host.Accounts.AddDomainAsync("example.com", "t");
        await host.Services.InitializeApplianceAsync();
        Assert.Single(await host.Accounts.ListDomainsAsync());
    }

    [Fact]
    public void PostgreSql_provider_builds_the_whole_schema()
    {
        var options = new ApplianceOptions
        {
            Database = new DatabaseOptions { Provider = DatabaseProvider.PostgreSql, ConnectionString = "Host=127.0.0.1;Database=appliance;Username=appliance" },
        };
        var builder = new DbContextOptionsBuilder<ApplianceDbContext>();
        ApplianceServices.ConfigureDatabase(builder, options);
        using var db = new ApplianceDbContext(builder.Options);
        Assert.Equal("Npgsql.EntityFrameworkCore.PostgreSQL", db.Database.ProviderName);
        string script = db.Database.GenerateCreateScript();
        foreach (string table in new[] { "Domains", "Mailboxes", "Aliases", "AliasDestinations", "DkimKeys", "Settings", "AuditEvents", "MailboxAdministeredDomains" })
            Assert.Contains($"CREATE TABLE \"{table}\"", script);
        Assert.Contains("CREATE UNIQUE INDEX \"IX_Mailboxes_Address\"", script);
    }

    [Fact]
    public void PostgreSql_without_connection_string_is_a_clear_error()
    {
        var options = new ApplianceOptions { Database = new DatabaseOptions { Provider = DatabaseProvider.PostgreSql } };
        var e = Assert.Throws<ApplianceConfigurationException>(() => ApplianceServices.ConfigureDatabase(new DbContextOptionsBuilder<ApplianceDbContext>(), options));
        Assert.Contains("ConnectionString", e.Message);
    }
}
