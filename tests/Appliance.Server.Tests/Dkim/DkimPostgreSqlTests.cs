using Appliance.MailAuth.Dkim;
using Appliance.Server.Configuration;
using Appliance.Server.Dkim;
using Appliance.Server.Tests.Accounts;

namespace Appliance.Server.Tests.Dkim;

/// <summary>The key lifecycle and signing on the PostgreSQL provider (timestamptz wants UTC DateTimes).</summary>
public sealed class DkimPostgreSqlTests(PostgreSqlServer server) : IClassFixture<PostgreSqlServer>
{
    [Fact]
    public async Task Keys_are_made_rotated_retired_and_sign_on_PostgreSQL()
    {
        await using var host = await DkimTestHost.StartAsync(configureAppliance: options =>
        {
            options.Database.Provider = DatabaseProvider.PostgreSql;
            options.Database.ConnectionString = server.ConnectionString("appliance_" + Guid.NewGuid().ToString("N"));
        });
        await host.Accounts.AddDomainAsync("example.com", "t");
        DkimKeyInfo first = (await host.Keys.GetActiveKeyAsync("example.com"))!;
        host.Time.Advance(TimeSpan.FromDays(1));
        DkimKeyInfo second = await host.Keys.RotateAsync("example.com", "t");
        Assert.Equal(DkimKeyState.Pending, second.State);
        host.Time.Advance(TimeSpan.FromDays(3));
        await host.Keys.RetireAsync("example.com", first.Selector, "t");

        var keys = await host.Keys.GetKeysAsync("example.com");
        Assert.Equal([(second.Selector, DkimKeyState.Active), (first.Selector, DkimKeyState.Retired)], keys.Select(k => (k.Selector, k.State)));
        Assert.Equal(host.Time.GetUtcNow().UtcDateTime, keys[1].RetiredUtc);

        byte[] message = DkimTestHost.Message("joe@example.com");
        string signature = (await host.Signer.SignAsync(message))!;
        var result = Assert.Single(await new DkimVerifier(DkimTestHost.Dns(second)).VerifyAsync(DkimTestHost.Signed(signature, message)));
        Assert.True(result.Verdict == DkimVerdict.Pass, result.Reason);
    }
}
