using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Tests.Dkim;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

public sealed class PasswordAuthenticatorTests : IAsyncLifetime
{
    private AccountTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await AccountTestHost.StartAsync();
        await _host.Accounts.AddDomainAsync("example.com", "t");
        await _host.Accounts.AddMailboxAsync(new NewMailbox("alice@example.com", "s3cret-password") { Role = MailboxRole.Admin }, "t");
        await _host.Accounts.AddMailboxAsync(new NewMailbox("off@example.com", "s3cret-password"), "t");
        await _host.Accounts.UpdateMailboxAsync("off@example.com", new MailboxUpdate { Enabled = false }, "t");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Right_password_signs_in_case_insensitively()
    {
        var user = await _host.Authenticator.AuthenticateAsync("Alice@EXAMPLE.com", "s3cret-password");
        Assert.NotNull(user);
        Assert.Equal("alice@example.com", user.Address);
        Assert.Equal(MailboxRole.Admin, user.Role);
    }

    [Theory]
    [InlineData("alice@example.com", "S3cret-password")]
    [InlineData("alice@example.com", "")]
    [InlineData("nobody@example.com", "s3cret-password")]
    [InlineData("off@example.com", "s3cret-password")]
    [InlineData("not an address", "s3cret-password")]
    public async Task Every_failure_looks_the_same(string address, string password) =>
        Assert.Null(await _host.Authenticator.AuthenticateAsync(address, password));

    [Fact]
    public async Task Unknown_users_cost_one_verification_like_known_users()
    {
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting);

        foreach (var (address, password) in new[]
                 {
                     ("alice@example.com", "s3cret-password"), ("alice@example.com", "wrong-password"),
                     ("nobody@example.com", "whatever-pass"), ("off@example.com", "s3cret-password"), ("bad address", "x"),
                 })
        {
            counting.Verifications = 0;
            await authenticator.AuthenticateAsync(address, password);
            Assert.Equal(1, counting.Verifications);
        }
    }

    /// <summary>Stores alice's password in Identity's older (V2) hash format, which sign-in upgrades.</summary>
    private async Task GiveAliceAnOutdatedHashAsync(string password)
    {
        var v2 = new PasswordHasher<Mailbox>(Microsoft.Extensions.Options.Options.Create(
            new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));
        await using var db = _host.CreateDb();
        var m = await db.Mailboxes.SingleAsync(x => x.Address == "alice@example.com");
        m.PasswordHash = v2.HashPassword(m, password);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task Outdated_hashes_are_upgraded_at_sign_in()
    {
        await GiveAliceAnOutdatedHashAsync("old-format-pass");
        Assert.NotNull(await _host.Authenticator.AuthenticateAsync("alice@example.com", "old-format-pass"));
        await using (var db = _host.CreateDb())
        {
            var hash = Convert.FromBase64String((await db.Mailboxes.SingleAsync(x => x.Address == "alice@example.com")).PasswordHash);
            Assert.Equal(0x01, hash[0]); // v3 format marker
        }
    }

    [Fact]
    public async Task A_repeated_right_password_is_recognised_without_PBKDF2()
    {
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting);

        var first = await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password");
        Assert.Equal(1, counting.Verifications);
        var second = await authenticator.AuthenticateAsync("ALICE@example.com", "s3cret-password");

        Assert.Equal(1, counting.Verifications);
        Assert.NotNull(second);
        Assert.Equal(first!.MailboxId, second.MailboxId);
        Assert.Equal(MailboxRole.Admin, second.Role);
        Assert.Equal(first.SessionStamp, second.SessionStamp);
    }

    [Fact]
    public async Task A_wrong_password_never_hits_the_cache_and_always_costs_a_verification()
    {
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting);
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));

        foreach (var wrong in new[] { "s3cret-passwor", "S3cret-password", "s3cret-password ", "" })
        {
            counting.Verifications = 0;
            Assert.Null(await authenticator.AuthenticateAsync("alice@example.com", wrong));
            Assert.Equal(1, counting.Verifications);
        }
        // The failures did not spoil the remembered success either.
        counting.Verifications = 0;
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.Equal(0, counting.Verifications);
    }

    [Fact]
    public async Task A_password_change_makes_the_remembered_one_stale_at_once()
    {
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting);
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));

        await _host.Accounts.SetPasswordAsync("alice@example.com", "brand-new-password", "t");

        counting.Verifications = 0;
        Assert.Null(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.Equal(1, counting.Verifications);
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "brand-new-password"));
        Assert.Equal(2, counting.Verifications);
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "brand-new-password"));
        Assert.Equal(2, counting.Verifications);
    }

    [Fact]
    public async Task A_disabled_user_or_domain_is_refused_even_when_remembered()
    {
        var authenticator = CreateAuthenticator(new PasswordHasher<Mailbox>());
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));

        await _host.Accounts.UpdateMailboxAsync("alice@example.com", new MailboxUpdate { Enabled = false }, "t");
        Assert.Null(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));

        await _host.Accounts.UpdateMailboxAsync("alice@example.com", new MailboxUpdate { Enabled = true }, "t");
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        await _host.Accounts.SetDomainEnabledAsync("example.com", false, "t");
        Assert.Null(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
    }

    [Fact]
    public async Task A_remembered_verification_expires_after_the_ttl()
    {
        var time = new ManualTime(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting, new AuthenticationOptions { CredentialCacheTtl = TimeSpan.FromHours(1) }, time);
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));

        time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.Equal(1, counting.Verifications);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.Equal(2, counting.Verifications);
        // The fresh verification is remembered from now on.
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.Equal(2, counting.Verifications);
    }

    [Fact]
    public async Task The_cache_holds_at_most_its_size_and_forgets_the_least_recently_used()
    {
        await _host.Accounts.AddMailboxAsync(new NewMailbox("bob@example.com", "bobs-password-1"), "t");
        await _host.Accounts.AddMailboxAsync(new NewMailbox("carol@example.com", "carols-password"), "t");
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting, new AuthenticationOptions { CredentialCacheSize = 2 });

        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.NotNull(await authenticator.AuthenticateAsync("bob@example.com", "bobs-password-1"));
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password")); // alice is now the most recent
        Assert.NotNull(await authenticator.AuthenticateAsync("carol@example.com", "carols-password")); // bob is forgotten
        Assert.Equal(3, counting.Verifications);
        Assert.Equal(2, authenticator.CachedCredentialCount);

        counting.Verifications = 0;
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.NotNull(await authenticator.AuthenticateAsync("carol@example.com", "carols-password"));
        Assert.Equal(0, counting.Verifications);
        Assert.NotNull(await authenticator.AuthenticateAsync("bob@example.com", "bobs-password-1"));
        Assert.Equal(1, counting.Verifications);
        Assert.Equal(2, authenticator.CachedCredentialCount);
    }

    [Fact]
    public async Task A_rehash_at_sign_in_is_remembered_against_the_new_hash()
    {
        await GiveAliceAnOutdatedHashAsync("old-format-pass");
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting);

        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "old-format-pass"));
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "old-format-pass"));
        Assert.Equal(1, counting.Verifications);
    }

    [Fact]
    public async Task A_size_of_zero_turns_the_cache_off()
    {
        var counting = new CountingHasher(new PasswordHasher<Mailbox>());
        var authenticator = CreateAuthenticator(counting, new AuthenticationOptions { CredentialCacheSize = 0 });
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.NotNull(await authenticator.AuthenticateAsync("alice@example.com", "s3cret-password"));
        Assert.Equal(2, counting.Verifications);
        Assert.Equal(0, authenticator.CachedCredentialCount);
    }

    private PasswordAuthenticator CreateAuthenticator(IPasswordHasher<Mailbox> hasher, AuthenticationOptions? options = null, TimeProvider? time = null) =>
        new(_host.Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>(), hasher,
            new ApplianceOptions { Authentication = options ?? new AuthenticationOptions() }, time ?? TimeProvider.System);

    private sealed class CountingHasher(IPasswordHasher<Mailbox> inner) : IPasswordHasher<Mailbox>
    {
        public int Verifications;
        public string HashPassword(Mailbox user, string password) => inner.HashPassword(user, password);

        public PasswordVerificationResult VerifyHashedPassword(Mailbox user, string hashedPassword, string providedPassword)
        {
            Verifications++;
            return inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }
}
