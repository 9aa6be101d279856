using Appliance.Server.Configuration;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

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
    public void PostgreSql_without_connection_string_is_a_clear_error()
    {
        var options = new ApplianceOptions { Database = new DatabaseOptions { Provider = DatabaseProvider.PostgreSql } };
        var e = Assert.Throws<ApplianceConfigurationException>(() => new ServiceCollection().AddApplianceServices(options));
        Assert.Contains("ConnectionString", e.Message);
    }
}
