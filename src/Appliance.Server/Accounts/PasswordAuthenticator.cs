using Appliance.Server.Configuration;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Accounts;

/// <summary>
/// Checks an address and password. Unknown users, disabled users and wrong passwords take the same
/// work (one PBKDF2 verification, a fixed-time comparison inside PasswordHasher) and give the same
/// answer, so timing does not reveal which addresses exist. A password verified recently for the
/// same mailbox and the same stored hash is recognised from <see cref="VerifiedCredentialCache"/>
/// without PBKDF2; the mailbox row is read on every sign-in all the same, so disabling a user or
/// domain or changing a password takes effect at once.
/// </summary>
public sealed class PasswordAuthenticator
{
    private readonly IDbContextFactory<ApplianceDbContext> _dbFactory;
    private readonly IPasswordHasher<Mailbox> _hasher;
    private readonly string _dummyHash;
    private readonly VerifiedCredentialCache _verified;

    public PasswordAuthenticator(IDbContextFactory<ApplianceDbContext> dbFactory, IPasswordHasher<Mailbox> hasher, ApplianceOptions options, TimeProvider time)
    {
        _dbFactory = dbFactory;
        _hasher = hasher;
        _verified = new VerifiedCredentialCache(options.Authentication, time);
        // A real hash of a random secret, made with the same parameters as users' hashes.
        var dummy = new Mailbox { Address = "", LocalPart = "", PasswordHash = "" };
        _dummyHash = hasher.HashPassword(dummy, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)));
    }

    /// <returns>The user, or null for any failure (the reason is deliberately not told).</returns>
    public async Task<AuthenticatedUser?> AuthenticateAsync(string address, string password, CancellationToken ct = default)
    {
        Mailbox? mailbox = null;
        if (AddressRules.TryNormalizeAddress(address, out string local, out string domain, out _) && password.Length <= AccountService.MaxPasswordLength)
        {
            string normalized = $"{local}@{domain}";
            await using var db = await _dbFactory.CreateDbContextAsync(ct);
            mailbox = await db.Mailboxes.AsNoTracking().Include(m => m.Domain).Include(m => m.AdministeredDomains)
                .SingleOrDefaultAsync(m => m.Address == normalized, ct);
        }

        bool usable = mailbox is { Enabled: true, Domain.Enabled: true };
        if (usable && _verified.IsVerified(mailbox!.Id, mailbox.PasswordHash, password))
            return ToUser(mailbox);

        var probe = mailbox ?? new Mailbox { Address = "", LocalPart = "", PasswordHash = "" };
        var verdict = _hasher.VerifyHashedPassword(probe, usable ? mailbox!.PasswordHash : _dummyHash,
            password.Length <= AccountService.MaxPasswordLength ? password : "");
        if (!usable || verdict == PasswordVerificationResult.Failed)
            return null;

        if (verdict == PasswordVerificationResult.SuccessRehashNeeded)
        {
            await RehashAsync(mailbox!.Id, password, ct);
            mailbox = await FindAsync(mailbox.Id, ct) ?? mailbox; // the stamp follows the new hash
        }
        // Remembered against the hash the row holds now (after a rehash, the new one).
        _verified.RememberVerified(mailbox!.Id, mailbox.PasswordHash, password);
        return ToUser(mailbox);
    }

    /// <summary>How many verified credentials are remembered now (for tests of the bound).</summary>
    internal int CachedCredentialCount => _verified.Count;

    /// <summary>
    /// The current session stamp of a mailbox, or null when it no longer exists or may not sign in
    /// (disabled, or its domain disabled): a web session checks it on each request.
    /// </summary>
    public async Task<string?> GetSessionStampAsync(int mailboxId, CancellationToken ct = default)
    {
        var mailbox = await FindAsync(mailboxId, ct);
        return mailbox is { Enabled: true, Domain.Enabled: true } ? SessionStamp.Of(mailbox) : null;
    }

    /// <summary>
    /// The account of a sign-in whose password was checked earlier (the second step of a two-factor
    /// sign-in), or null when it may no longer sign in.
    /// </summary>
    public async Task<AuthenticatedUser?> GetUserAsync(int mailboxId, CancellationToken ct = default)
    {
        var mailbox = await FindAsync(mailboxId, ct);
        return mailbox is { Enabled: true, Domain.Enabled: true } ? ToUser(mailbox) : null;
    }

    private static AuthenticatedUser ToUser(Mailbox mailbox) =>
        new(mailbox.Id, mailbox.Address, mailbox.Role, mailbox.StoreId,
            mailbox.AdministeredDomains.Select(d => d.Name).Order(StringComparer.Ordinal).ToList())
        {
            SessionStamp = SessionStamp.Of(mailbox),
            TwoFactorEnabled = mailbox.TotpSecret is not null,
        };

    private async Task<Mailbox?> FindAsync(int mailboxId, CancellationToken ct)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        return await db.Mailboxes.AsNoTracking().Include(m => m.Domain).Include(m => m.AdministeredDomains).SingleOrDefaultAsync(m => m.Id == mailboxId, ct);
    }

    /// <summary>Upgrades a hash made with older parameters while the password is at hand.</summary>
    private async Task RehashAsync(int mailboxId, string password, CancellationToken ct)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(ct);
        var m = await db.Mailboxes.SingleOrDefaultAsync(x => x.Id == mailboxId, ct);
        if (m is null)
            return;
        m.PasswordHash = _hasher.HashPassword(m, password);
        await db.SaveChangesAsync(ct);
    }
}
