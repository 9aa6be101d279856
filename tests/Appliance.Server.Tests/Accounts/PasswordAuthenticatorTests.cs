using Appliance.Server.Accounts;
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
        var authenticator = new PasswordAuthenticator(_host.Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>(), counting);

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

    [Fact]
    public async Task Outdated_hashes_are_upgraded_at_sign_in()
    {
        var v2 = new PasswordHasher<Mailbox>(Microsoft.Extensions.Options.Options.Create(
            new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));
        await using (var db = _host.CreateDb())
        {
            var m = await db.Mailboxes.SingleAsync(x => x.Address == "alice@example.com");
            m.PasswordHash = v2.HashPassword(m, "old-format-pass");
            await db.SaveChangesAsync();
        }
        Assert.NotNull(await _host.Authenticator.AuthenticateAsync("alice@example.com", "old-format-pass"));
        await using (var db = _host.CreateDb())
        {
            var hash = Convert.FromBase64String((await db.Mailboxes.SingleAsync(x => x.Address == "alice@example.com")).PasswordHash);
            Assert.Equal(0x01, hash[0]); // v3 format marker
        }
    }

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
