using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Tests.Certificates;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

/// <summary>The failed sign-in log and the stored server settings on both database providers (SQLite, and a real PostgreSQL).</summary>
public sealed class SignInFailureLogTests(PostgreSqlServer server) : IClassFixture<PostgreSqlServer>
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private Task<AccountTestHost> StartAsync(DatabaseProvider provider) => provider == DatabaseProvider.Sqlite
        ? AccountTestHost.StartAsync()
        : AccountTestHost.StartAsync(options =>
        {
            options.Database.Provider = DatabaseProvider.PostgreSql;
            options.Database.ConnectionString = server.ConnectionString("appliance_" + Guid.NewGuid().ToString("N"));
        });

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task The_search_ignores_case_and_rows_are_bounded_by_count_and_age(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var clock = new ManualClock(Start);
        var log = new SignInFailureLog(host.Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>(), clock) { RowsKept = 3 };
        foreach (string address in new[] { "Alice@Example.org", "bob@example.org", "carol@example.org", "dave@example.org" })
        {
            await log.RecordAsync(address, "192.0.2.1");
            clock.AdvanceTo(clock.GetUtcNow() + SignInFailureLog.PruneInterval);
        }
        // The insert of dave's pruned past the three newest.
        Assert.Equal(["dave@example.org", "carol@example.org", "bob@example.org"], (await log.QueryAsync(null, 10)).Select(f => f.Address));
        Assert.Equal(["dave@example.org", "carol@example.org", "bob@example.org"], (await log.QueryAsync("EXAMPLE.ORG", 10)).Select(f => f.Address));
        Assert.Equal(["carol@example.org"], (await log.QueryAsync(" Carol ", 10)).Select(f => f.Address));
        Assert.Empty(await log.QueryAsync("alice", 10));
        Assert.Equal(["dave@example.org"], (await log.QueryAsync("192.0.2", 1)).Select(f => f.Address));
        var newest = (await log.QueryAsync("dave", 1)).Single();
        Assert.Equal(Start + 3 * SignInFailureLog.PruneInterval, newest.Time);

        clock.AdvanceTo(clock.GetUtcNow() + SignInFailureLog.MaxAge);
        await log.RecordAsync("erin@example.org", "2001:db8::1");
        Assert.Equal([("erin@example.org", "2001:db8::1")], (await log.QueryAsync(null, 10)).Select(f => (f.Address, f.Client)));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public async Task A_stored_host_name_applies_until_the_configured_one_changes(DatabaseProvider provider)
    {
        await using var host = await StartAsync(provider);
        var settings = host.Services.GetRequiredService<ServerSettings>();
        Assert.Null(await settings.GetStoredHostnameAsync());
        await Assert.ThrowsAsync<ArgumentException>(() => settings.SetHostnameAsync("not a name", "mail.example.org", "test"));
        await settings.SetHostnameAsync("MX.example.org.", "mail.example.org", "test");
        await settings.SetHostnameAsync("mx2.example.org", "mail.example.org", "test"); // replaces
        Assert.Equal("mx2.example.org", await settings.GetStoredHostnameAsync());

        await using var db = host.CreateDb();
        var unchanged = new ApplianceOptions { Hostname = "mail.example.org" };
        await ServerSettings.ApplyStoredAsync(db, unchanged, logger: null);
        Assert.Equal("mx2.example.org", unchanged.Hostname);
        var reconfigured = new ApplianceOptions { Hostname = "smtp.example.org" };
        await ServerSettings.ApplyStoredAsync(db, reconfigured, logger: null);
        Assert.Equal("smtp.example.org", reconfigured.Hostname);
        Assert.Equal(2, await db.AuditEvents.CountAsync(a => a.Action == "setting.hostname"));
    }
}
