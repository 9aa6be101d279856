using Appliance.Server.Accounts;
using Appliance.Server.Tests.Certificates;
using Appliance.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

public sealed class RecipientResolverTests : IAsyncLifetime
{
    private AccountTestHost _host = null!;
    private MailboxInfo _alice = null!, _bob = null!;

    public async Task InitializeAsync()
    {
        _host = await AccountTestHost.StartAsync();
        var accounts = _host.Accounts;
        await accounts.AddDomainAsync("example.com", "t");
        await accounts.AddDomainAsync("bücher.example", "t");
        await accounts.AddDomainAsync("catchall.example", "t");
        _alice = await accounts.AddMailboxAsync(new NewMailbox("alice@example.com", "password-1"), "t");
        _bob = await accounts.AddMailboxAsync(new NewMailbox("bob@bücher.example", "password-2"), "t");
        await accounts.AddAliasAsync("team@example.com", ["alice@example.com", "bob@xn--bcher-kva.example", "ext@elsewhere.example"], "t");
        await accounts.AddAliasAsync("chain@example.com", ["team@example.com"], "t");
        await accounts.AddAliasAsync("loop1@example.com", ["loop2@example.com"], "t");
        await accounts.AddAliasAsync("loop2@example.com", ["loop1@example.com"], "t");
        await accounts.AddAliasAsync("dangling@example.com", ["nobody@example.com"], "t");
        await accounts.AddAliasAsync("@catchall.example", ["alice@example.com"], "t");
        await accounts.AddMailboxAsync(new NewMailbox("exact@catchall.example", "password-3"), "t");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<RecipientResolution> Resolve(string address) => _host.Resolver.ResolveAsync(address);

    [Theory]
    [InlineData("alice@example.com")]
    [InlineData("ALICE@Example.COM")]
    [InlineData("alice+newsletters@example.com")]
    [InlineData("Alice+A+B@EXAMPLE.com")]
    public async Task Mailbox_matches_case_insensitively_and_with_tags(string address)
    {
        var r = await Resolve(address);
        Assert.Equal(RecipientStatus.Deliverable, r.Status);
        Assert.Equal(_alice.StoreId, Assert.Single(r.Mailboxes).StoreId);
        Assert.Empty(r.ExternalAddresses);
    }

    [Theory]
    [InlineData("bob@bücher.example")]
    [InlineData("bob@xn--bcher-kva.example")]
    [InlineData("BOB@BÜCHER.example")]
    public async Task Idn_domains_match_in_either_form(string address)
    {
        var r = await Resolve(address);
        Assert.Equal(_bob.StoreId, Assert.Single(r.Mailboxes).StoreId);
    }

    [Fact]
    public async Task Alias_expands_to_local_and_external_destinations()
    {
        var r = await Resolve("team@example.com");
        Assert.Equal(RecipientStatus.Deliverable, r.Status);
        Assert.Equal(new[] { _alice.StoreId, _bob.StoreId }.Order(), r.Mailboxes.Select(m => m.StoreId).Order());
        Assert.Equal(["ext@elsewhere.example"], r.ExternalAddresses);
    }

    [Fact]
    public async Task Alias_chains_and_tags_on_aliases_expand()
    {
        var chained = await Resolve("chain+x@example.com");
        Assert.Equal(2, chained.Mailboxes.Count);
        Assert.Equal(["ext@elsewhere.example"], chained.ExternalAddresses);
    }

    [Fact]
    public async Task Alias_loops_and_dangling_aliases_resolve_to_unknown()
    {
        Assert.Equal(RecipientStatus.Unknown, (await Resolve("loop1@example.com")).Status);
        Assert.Equal(RecipientStatus.Unknown, (await Resolve("dangling@example.com")).Status);
    }

    [Fact]
    public async Task Catch_all_takes_unknown_addresses_but_not_existing_ones()
    {
        var caught = await Resolve("anything+x@catchall.example");
        Assert.Equal(_alice.StoreId, Assert.Single(caught.Mailboxes).StoreId);
        var exact = await Resolve("exact@catchall.example");
        Assert.Equal("exact@catchall.example", Assert.Single(exact.Mailboxes).Address);
    }

    [Theory]
    [InlineData("nobody@example.com", RecipientStatus.Unknown)]
    [InlineData("nobody+tag@example.com", RecipientStatus.Unknown)]
    [InlineData("someone@elsewhere.example", RecipientStatus.NotLocal)]
    [InlineData("no-at-sign", RecipientStatus.Invalid)]
    [InlineData("@example.com", RecipientStatus.Invalid)]
    [InlineData("user@not a domain", RecipientStatus.Invalid)]
    public async Task Other_addresses_are_classified(string address, RecipientStatus expected)
    {
        var r = await Resolve(address);
        Assert.Equal(expected, r.Status);
        Assert.Empty(r.Mailboxes);
    }

    [Fact]
    public async Task Disabled_mailboxes_and_domains_are_reported_as_disabled()
    {
        await _host.Accounts.UpdateMailboxAsync("alice@example.com", new MailboxUpdate { Enabled = false }, "t");
        Assert.Equal(RecipientStatus.Disabled, (await Resolve("alice@example.com")).Status);
        // The alias still reaches Bob and the external address.
        var team = await Resolve("team@example.com");
        Assert.Equal(_bob.StoreId, Assert.Single(team.Mailboxes).StoreId);

        await _host.Accounts.SetDomainEnabledAsync("bücher.example", false, "t");
        Assert.Equal(RecipientStatus.Disabled, (await Resolve("bob@bücher.example")).Status);
    }

    [Fact]
    public async Task A_cached_answer_follows_every_change_made_through_this_process()
    {
        Assert.Equal(RecipientStatus.Unknown, (await Resolve("carol@example.com")).Status);
        Assert.Equal(RecipientStatus.Deliverable, (await Resolve("alice@example.com")).Status);

        await _host.Accounts.AddMailboxAsync(new NewMailbox("carol@example.com", "password-4"), "t");
        await _host.Accounts.UpdateMailboxAsync("alice@example.com", new MailboxUpdate { Enabled = false }, "t");

        Assert.Equal(RecipientStatus.Deliverable, (await Resolve("carol@example.com")).Status);
        Assert.Equal(RecipientStatus.Disabled, (await Resolve("alice@example.com")).Status);
    }

    [Fact]
    public async Task A_cached_answer_follows_a_change_another_process_commits()
    {
        Assert.Equal(RecipientStatus.Deliverable, (await Resolve("alice@example.com")).Status);

        // As the CLI does from its own process: SQL on a connection of its own, no EF Core of ours.
        await RunOutsideEfAsync("UPDATE Mailboxes SET Enabled = 0 WHERE Address = 'alice@example.com';");

        Assert.Equal(RecipientStatus.Disabled, (await Resolve("alice@example.com")).Status);
    }

    [Fact]
    public async Task Without_a_change_signal_an_answer_is_reused_until_its_lifetime_ends()
    {
        // As on PostgreSQL, where another instance's commits give no signal (and blind to the
        // writes of other tests running beside this one).
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        using var version = new ConfigurationVersion(sqliteConnectionString: null, localWrites: () => 0);
        var resolver = new RecipientResolver(_host.Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>(), version, clock);
        Assert.Equal(RecipientStatus.Deliverable, (await resolver.ResolveAsync("alice@example.com")).Status);

        await RunOutsideEfAsync("UPDATE Mailboxes SET Enabled = 0 WHERE Address = 'alice@example.com';");

        clock.Advance(RecipientResolver.CacheLifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(RecipientStatus.Deliverable, (await resolver.ResolveAsync("ALICE@example.com")).Status);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(RecipientStatus.Disabled, (await resolver.ResolveAsync("alice@example.com")).Status);
    }

    [Fact]
    public async Task The_resolution_says_which_mailboxes_have_the_auto_reply_on()
    {
        var settings = _host.Services.GetRequiredService<UserSettingsService>();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        Assert.False(Assert.Single((await Resolve("alice@example.com")).Mailboxes).VacationEnabled);

        var saved = await settings.UpdateAsync("alice@example.com", new UserSettingsUpdate("Alice", "",
            new VacationSettings(true, today, today.AddDays(3), "Away", "Back soon.", 7)));
        Assert.True(saved.Succeeded);

        Assert.True(Assert.Single((await Resolve("alice@example.com")).Mailboxes).VacationEnabled);
        var team = await Resolve("team@example.com");
        Assert.True(team.Mailboxes.Single(m => m.StoreId == _alice.StoreId).VacationEnabled);
        Assert.False(team.Mailboxes.Single(m => m.StoreId == _bob.StoreId).VacationEnabled);
    }

    private async Task RunOutsideEfAsync(string sql)
    {
        await using var db = _host.CreateDb();
        var builder = new SqliteConnectionStringBuilder(db.Database.GetConnectionString()) { Pooling = false };
        await using var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
