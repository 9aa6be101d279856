using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Tests.Accounts;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Tests.Vacation;

/// <summary>Settings and response tracking on the PostgreSQL provider (its own migration, timestamptz and date columns).</summary>
public sealed class VacationPostgreSqlTests(PostgreSqlServer server) : IClassFixture<PostgreSqlServer>
{
    [Fact]
    public async Task Settings_and_one_reply_per_interval_work_on_PostgreSQL()
    {
        await using var host = await VacationTestHost.StartAsync(configure: options =>
        {
            options.Database.Provider = DatabaseProvider.PostgreSql;
            options.Database.ConnectionString = server.ConnectionString("appliance_" + Guid.NewGuid().ToString("N"));
        });
        await using (var db = host.CreateDb())
        {
            Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_UserSettings", StringComparison.Ordinal));
            Assert.False(db.Database.HasPendingModelChanges());
        }
        var today = DateOnly.FromDateTime(VacationTestHost.Start.UtcDateTime);
        await host.EnableVacationAsync(start: today, end: today.AddDays(30), days: 2);
        Assert.Equal(new VacationSettings(true, today, today.AddDays(30), null, "I am away until Monday.\nYour mail will be read then.", 2),
            (await host.Settings.GetAsync(VacationTestHost.Alice)).Vacation);

        // Two deliveries at the same moment: the unique index lets one claim win.
        var outcomes = await Task.WhenAll(host.RespondAsync(VacationTestHost.Message()), host.RespondAsync(VacationTestHost.Message()));
        Assert.Equal([VacationOutcome.Replied, VacationOutcome.AlreadyReplied], outcomes.Order());
        host.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(VacationOutcome.Replied, await host.RespondAsync(VacationTestHost.Message()));
        Assert.Equal(2, host.Queue.Entries.Count);
    }
}
