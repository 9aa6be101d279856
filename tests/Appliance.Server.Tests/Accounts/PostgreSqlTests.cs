using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Tests.Accounts;

/// <summary>The PostgreSQL provider against a real PostgreSQL server: its own migrations, and the account service on top.</summary>
public sealed class PostgreSqlTests(PostgreSqlServer server) : IClassFixture<PostgreSqlServer>
{
    private Task<AccountTestHost> StartAsync() => AccountTestHost.StartAsync(options =>
    {
        options.Database.Provider = DatabaseProvider.PostgreSql;
        options.Database.ConnectionString = server.ConnectionString("appliance_" + Guid.NewGuid().ToString("N"));
    });

    [Fact]
    public async Task Migrations_create_the_database_and_match_the_model()
    {
        await using var host = await StartAsync();
        await using var db = host.CreateDb();
        Assert.IsType<PostgreSqlApplianceDbContext>(db);
        Assert.Equal("Npgsql.EntityFrameworkCore.PostgreSQL", db.Database.ProviderName);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_Initial", StringComparison.Ordinal));
        Assert.False(db.Database.HasPendingModelChanges());

        // Applying again is a no-op.
        await host.Services.InitializeApplianceAsync();
    }

    [Fact]
    public async Task Accounts_work_on_PostgreSQL()
    {
        await using var host = await StartAsync();
        var accounts = host.Accounts;
        await accounts.AddDomainAsync("bücher.example", "t");
        var e = await Assert.ThrowsAsync<AccountException>(() => accounts.AddDomainAsync("BÜCHER.example", "t"));
        Assert.Equal(AccountError.DomainExists, e.Error);

        var alice = await accounts.AddMailboxAsync(new NewMailbox("Alice@bücher.example", "a long password") { QuotaBytes = 1 << 20 }, "t");
        await accounts.AddAliasAsync("team@bücher.example", ["alice@bücher.example", "x@elsewhere.example"], "t");
        await accounts.AddAliasAsync("@bücher.example", ["alice@bücher.example"], "t");

        var team = await host.Resolver.ResolveAsync("team+tag@BÜCHER.example");
        Assert.Equal(RecipientStatus.Deliverable, team.Status);
        Assert.Equal(alice.StoreId, Assert.Single(team.Mailboxes).StoreId);
        Assert.Equal(["x@elsewhere.example"], team.ExternalAddresses);
        Assert.Equal(alice.StoreId, Assert.Single((await host.Resolver.ResolveAsync("anyone@bücher.example")).Mailboxes).StoreId);

        Assert.NotNull(await host.Authenticator.AuthenticateAsync("alice@xn--bcher-kva.example", "a long password"));
        Assert.Null(await host.Authenticator.AuthenticateAsync("alice@xn--bcher-kva.example", "wrong password"));
        Assert.Equal(["alice@bücher.example"], (await accounts.ListDomainsAsync()).Single().CatchAll.Select(AddressRules.ToDisplayAddress));

        await accounts.RemoveDomainAsync("bücher.example", force: true, "t");
        Assert.Empty(await accounts.ListDomainsAsync());
        Assert.False(host.MailStore.AccountExists(alice.StoreId));
        await using var db = host.CreateDb();
        // The refused duplicate domain wrote nothing.
        Assert.Equal(["domain.add", "mailbox.add", "alias.add", "alias.add", "domain.remove"],
            await db.AuditEvents.OrderBy(a => a.Id).Select(a => a.Action).ToListAsync());
    }
}
