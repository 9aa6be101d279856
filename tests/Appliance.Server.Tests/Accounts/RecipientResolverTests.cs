using Appliance.Server.Accounts;

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
}
