using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Tests.Accounts;

public sealed class AccountServiceTests : IAsyncLifetime
{
    private AccountTestHost _host = null!;
    private AccountService Accounts => _host.Accounts;

    public async Task InitializeAsync() => _host = await AccountTestHost.StartAsync();
    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static NewMailbox User(string address) => new(address, "correct horse battery");

    [Fact]
    public async Task Domains_are_added_listed_and_refused_twice()
    {
        var added = await Accounts.AddDomainAsync("Bücher.Example", "cli");
        Assert.Equal("xn--bcher-kva.example", added.Name);
        Assert.Equal("bücher.example", added.DisplayName);

        var e = await Assert.ThrowsAsync<AccountException>(() => Accounts.AddDomainAsync("xn--bcher-kva.example", "cli"));
        Assert.Equal(AccountError.DomainExists, e.Error);
        Assert.Contains("bücher.example", e.Message);

        var list = await Accounts.ListDomainsAsync();
        Assert.Equal(["xn--bcher-kva.example"], list.Select(d => d.Name));
    }

    [Fact]
    public async Task Invalid_input_saves_nothing()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        long auditBefore = await CountAuditAsync();

        await AssertRefused(AccountError.InvalidDomain, () => Accounts.AddDomainAsync("not a domain", "cli"));
        await AssertRefused(AccountError.DomainNotFound, () => Accounts.AddMailboxAsync(User("a@other.example"), "cli"));
        await AssertRefused(AccountError.InvalidAddress, () => Accounts.AddMailboxAsync(User("a b@example.com"), "cli"));
        await AssertRefused(AccountError.InvalidAddress, () => Accounts.AddMailboxAsync(User("a+b@example.com"), "cli"));
        await AssertRefused(AccountError.WeakPassword, () => Accounts.AddMailboxAsync(new NewMailbox("a@example.com", "short"), "cli"));
        await AssertRefused(AccountError.WeakPassword, () => Accounts.AddMailboxAsync(new NewMailbox("a@example.com", "long enough\nbut"), "cli"));
        await AssertRefused(AccountError.InvalidQuota, () => Accounts.AddMailboxAsync(User("a@example.com") with { QuotaBytes = -1 }, "cli"));
        await AssertRefused(AccountError.InvalidDisplayName, () => Accounts.AddMailboxAsync(User("a@example.com") with { DisplayName = "A\r\nBcc: x" }, "cli"));
        await AssertRefused(AccountError.InvalidRole, () => Accounts.AddMailboxAsync(User("a@example.com") with { Role = MailboxRole.DomainAdmin }, "cli"));
        await AssertRefused(AccountError.InvalidRole, () => Accounts.AddMailboxAsync(User("a@example.com") with { AdministeredDomains = ["example.com"] }, "cli"));
        await AssertRefused(AccountError.InvalidAliasDestination, () => Accounts.AddAliasAsync("x@example.com", [], "cli"));
        await AssertRefused(AccountError.InvalidAliasDestination, () => Accounts.AddAliasAsync("x@example.com", ["not an address"], "cli"));
        await AssertRefused(AccountError.InvalidAliasDestination, () => Accounts.AddAliasAsync("x@example.com", ["X@Example.com"], "cli"));
        await AssertRefused(AccountError.DomainNotFound, () => Accounts.AddAliasAsync("x@elsewhere.example", ["a@example.com"], "cli"));

        Assert.Empty(await Accounts.ListMailboxesAsync());
        Assert.Empty(await Accounts.ListAliasesAsync());
        Assert.Single(await Accounts.ListDomainsAsync());
        Assert.Equal(auditBefore, await CountAuditAsync());
        Assert.Empty(Directory.GetDirectories(_host.MailStore.Root));
    }

    [Fact]
    public async Task Mailboxes_are_unique_case_insensitively_and_get_a_store()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        var alice = await Accounts.AddMailboxAsync(User("Alice@Example.com") with { DisplayName = "Alice", QuotaBytes = 1_000_000 }, "admin@example.com");
        Assert.Equal("alice@example.com", alice.Address);
        Assert.Equal("Alice", alice.DisplayName);
        Assert.Equal(1_000_000, alice.QuotaBytes);
        Assert.True(_host.MailStore.AccountExists(alice.StoreId));
        Assert.Equal(["Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash"],
            _host.MailStore.OpenAccount(alice.StoreId).ListMailboxes().Select(m => m.Name).Order(StringComparer.Ordinal));

        await AssertRefused(AccountError.MailboxExists, () => Accounts.AddMailboxAsync(User("ALICE@example.com"), "cli"));

        await using var db = _host.CreateDb();
        var audit = await db.AuditEvents.SingleAsync(a => a.Action == "mailbox.add");
        Assert.Equal("admin@example.com", audit.Actor);
        Assert.Equal("alice@example.com", audit.Target);
        Assert.DoesNotContain("correct horse", audit.Details ?? "");
        var stored = await db.Mailboxes.SingleAsync();
        Assert.DoesNotContain("correct horse", stored.PasswordHash);
    }

    [Fact]
    public async Task Store_ids_are_never_derived_from_addresses_nor_reused()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        var first = await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        await Accounts.RemoveMailboxAsync("a@example.com", "cli");
        var second = await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        Assert.NotEqual(first.StoreId, second.StoreId);
        Assert.False(_host.MailStore.AccountExists(first.StoreId));
        Assert.True(_host.MailStore.AccountExists(second.StoreId));
    }

    [Fact]
    public async Task Domain_with_mailboxes_is_kept_unless_forced()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        var a = await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        await Accounts.AddAliasAsync("info@example.com", ["a@example.com"], "cli");

        var e = await AssertRefused(AccountError.DomainHasMailboxes, () => Accounts.RemoveDomainAsync("example.com", force: false, "cli"));
        Assert.Contains("1 mailbox", e.Message);
        Assert.Single(await Accounts.ListMailboxesAsync());

        await Accounts.RemoveDomainAsync("example.com", force: true, "cli");
        Assert.Empty(await Accounts.ListDomainsAsync());
        Assert.Empty(await Accounts.ListMailboxesAsync());
        Assert.Empty(await Accounts.ListAliasesAsync());
        Assert.False(_host.MailStore.AccountExists(a.StoreId));
    }

    [Fact]
    public async Task Domain_without_mailboxes_is_removed_with_its_aliases()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        await Accounts.AddAliasAsync("@example.com", ["someone@elsewhere.example"], "cli");
        await Accounts.RemoveDomainAsync("example.com", force: false, "cli");
        Assert.Empty(await Accounts.ListDomainsAsync());
        Assert.Empty(await Accounts.ListAliasesAsync());
    }

    [Fact]
    public async Task Aliases_and_mailboxes_cannot_share_an_address()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        await Accounts.AddAliasAsync("b@example.com", ["a@example.com"], "cli");

        await AssertRefused(AccountError.AddressIsMailbox, () => Accounts.AddAliasAsync("A@example.com", ["x@elsewhere.example"], "cli"));
        await AssertRefused(AccountError.AddressIsAlias, () => Accounts.AddMailboxAsync(User("B@example.com"), "cli"));
        await AssertRefused(AccountError.AliasExists, () => Accounts.AddAliasAsync("b@EXAMPLE.com", ["x@elsewhere.example"], "cli"));
    }

    [Fact]
    public async Task Catch_all_is_shown_on_the_domain()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        var alias = await Accounts.AddAliasAsync("@Example.com", ["a@example.com", "A@example.com"], "cli");
        Assert.Equal("@example.com", alias.Source);
        Assert.Equal(["a@example.com"], alias.Destinations);
        var domain = Assert.Single(await Accounts.ListDomainsAsync());
        Assert.Equal(["a@example.com"], domain.CatchAll);
        Assert.Equal(1, domain.MailboxCount);
        Assert.Equal(1, domain.AliasCount);
    }

    [Fact]
    public async Task Alias_updates_replace_destinations_and_toggle_the_alias()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        await Accounts.AddAliasAsync("team@example.com", ["a@example.com", "old@elsewhere.example"], "cli");

        var updated = await Accounts.UpdateAliasAsync("TEAM@example.com", ["new@elsewhere.example", "A@example.com"], enabled: null, "cli");
        Assert.Equal(["a@example.com", "new@elsewhere.example"], updated.Destinations);
        Assert.Equal(["a@example.com", "new@elsewhere.example"], Assert.Single(await Accounts.ListAliasesAsync()).Destinations);
        var resolved = await _host.Resolver.ResolveAsync("team@example.com");
        Assert.Equal(["new@elsewhere.example"], resolved.ExternalAddresses);

        updated = await Accounts.UpdateAliasAsync("team@example.com", destinations: null, enabled: false, "cli");
        Assert.False(updated.Enabled);
        Assert.Equal(2, updated.Destinations.Count);
        Assert.Equal(RecipientStatus.Disabled, (await _host.Resolver.ResolveAsync("team@example.com")).Status);

        await AssertRefused(AccountError.InvalidAliasDestination, () => Accounts.UpdateAliasAsync("team@example.com", [], null, "cli"));
        await AssertRefused(AccountError.AliasNotFound, () => Accounts.UpdateAliasAsync("nobody@example.com", ["a@example.com"], null, "cli"));
        Assert.Equal(2, Assert.Single(await Accounts.ListAliasesAsync()).Destinations.Count);
    }

    [Fact]
    public async Task Mailbox_updates_change_only_what_is_given()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        await Accounts.AddDomainAsync("example.org", "cli");
        await Accounts.AddMailboxAsync(User("a@example.com") with { DisplayName = "A" }, "cli");

        var updated = await Accounts.UpdateMailboxAsync("a@example.com", new MailboxUpdate { QuotaBytes = 5_000 }, "cli");
        Assert.Equal(("A", 5_000L, MailboxRole.User), (updated.DisplayName, updated.QuotaBytes, updated.Role));

        updated = await Accounts.UpdateMailboxAsync("a@example.com",
            new MailboxUpdate { Role = MailboxRole.DomainAdmin, AdministeredDomains = ["example.org", "EXAMPLE.com"] }, "cli");
        Assert.Equal(MailboxRole.DomainAdmin, updated.Role);
        Assert.Equal(["example.com", "example.org"], updated.AdministeredDomains);

        updated = await Accounts.UpdateMailboxAsync("a@example.com", new MailboxUpdate { Enabled = false }, "cli");
        Assert.False(updated.Enabled);
        Assert.Equal(["example.com", "example.org"], updated.AdministeredDomains);

        await AssertRefused(AccountError.MailboxNotFound, () => Accounts.UpdateMailboxAsync("nobody@example.com", new MailboxUpdate(), "cli"));
    }

    [Fact]
    public async Task Passwords_change_and_old_one_stops_working()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        Assert.NotNull(await _host.Authenticator.AuthenticateAsync("a@example.com", "correct horse battery"));

        await Accounts.SetPasswordAsync("A@example.com", "a brand new secret", "cli");
        Assert.Null(await _host.Authenticator.AuthenticateAsync("a@example.com", "correct horse battery"));
        Assert.NotNull(await _host.Authenticator.AuthenticateAsync("a@example.com", "a brand new secret"));
        await AssertRefused(AccountError.WeakPassword, () => Accounts.SetPasswordAsync("a@example.com", "1234567", "cli"));
    }

    [Fact]
    public async Task Usage_and_reindex_go_through_the_mailbox_address()
    {
        await Accounts.AddDomainAsync("example.com", "cli");
        var a = await Accounts.AddMailboxAsync(User("a@example.com"), "cli");
        byte[] message = "From: b@example.org\r\nSubject: Hi\r\n\r\nbody\r\n"u8.ToArray();
        var account = _host.MailStore.OpenAccount(a.StoreId);
        var appended = await account.AppendAsync("INBOX", new MemoryStream(message));
        Assert.Equal(message.Length, await Accounts.GetUsageBytesAsync("A@example.com"));

        var result = await Accounts.ReindexAsync("a@example.com", "cli");
        Assert.Equal(1, result.Messages);
        Assert.Equal(0, result.NewUids);
        Assert.Equal(appended.Uid, Assert.Single(account.ListMessagesByUid("INBOX")).Uid);
        await AssertRefused(AccountError.MailboxNotFound, () => Accounts.ReindexAsync("nobody@example.com", "cli"));
    }

    private async Task<long> CountAuditAsync()
    {
        await using var db = _host.CreateDb();
        return await db.AuditEvents.LongCountAsync();
    }

    private static async Task<AccountException> AssertRefused(AccountError expected, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<AccountException>(action);
        Assert.Equal(expected, e.Error);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        return e;
    }
}
