using System.Security.Cryptography;
using System.Text;
using Appliance.Server.Security;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Accounts;

/// <summary>
/// Two-factor sign-in to the web UI: a TOTP secret per account (kept encrypted with Data
/// Protection) and ten single-use recovery codes (kept as SHA-256 hashes: 40 random bits each,
/// and only ten guesses' worth of throttled attempts are possible). Mail protocols are not
/// affected: IMAP, POP3 and SMTP clients cannot ask for a code.
/// </summary>
public sealed class TwoFactorService(IDbContextFactory<ApplianceDbContext> dbFactory, SecretProtector secrets, TimeProvider time)
{
    public const int RecoveryCodeCount = 10;

    public async Task<bool> IsEnabledAsync(int mailboxId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Mailboxes.AnyAsync(m => m.Id == mailboxId && m.TotpSecret != null, ct);
    }

    /// <summary>
    /// Turns two-factor sign-in on once the user proves their app has <paramref name="secret"/> by
    /// giving its current code. Returns the recovery codes (shown once) or null for a wrong code.
    /// </summary>
    public async Task<IReadOnlyList<string>?> EnableAsync(int mailboxId, byte[] secret, string code, CancellationToken ct = default)
    {
        var step = Totp.Verify(secret, code, time.GetUtcNow(), lastUsedStep: 0);
        if (step is null)
            return null;
        var codes = Enumerable.Range(0, RecoveryCodeCount).Select(_ => NewRecoveryCode()).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleAsync(m => m.Id == mailboxId, ct);
        mailbox.TotpSecret = secrets.ProtectTotpSecret(secret);
        mailbox.TotpLastStep = step.Value;
        mailbox.RecoveryCodeHashes = string.Join(',', codes.Select(Hash));
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = time.GetUtcNow().UtcDateTime, Actor = mailbox.Address, Action = "2fa.enable", Target = mailbox.Address });
        await db.SaveChangesAsync(ct);
        return codes;
    }

    public async Task DisableAsync(int mailboxId, string actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleAsync(m => m.Id == mailboxId, ct);
        mailbox.TotpSecret = null;
        mailbox.TotpLastStep = 0;
        mailbox.RecoveryCodeHashes = null;
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = time.GetUtcNow().UtcDateTime, Actor = actor, Action = "2fa.disable", Target = mailbox.Address });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Checks a code from the app (each accepted once) or a recovery code (then used up). Concurrent
    /// attempts with the same code cannot both pass: the step is saved with an optimistic check.
    /// </summary>
    public async Task<bool> VerifyAsync(int mailboxId, string code, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Id == mailboxId, ct);
        if (mailbox?.TotpSecret is null)
            return false;
        string trimmed = (code ?? "").Trim();
        byte[] secret = secrets.UnprotectTotpSecret(mailbox.TotpSecret);
        if (Totp.Verify(secret, trimmed, time.GetUtcNow(), mailbox.TotpLastStep) is { } step)
        {
            int updated = await db.Mailboxes.Where(m => m.Id == mailboxId && m.TotpLastStep < step)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.TotpLastStep, step), ct);
            return updated == 1;
        }
        var hashes = (mailbox.RecoveryCodeHashes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
        string given = Hash(trimmed.ToUpperInvariant());
        string? match = hashes.FirstOrDefault(h => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(h), Encoding.ASCII.GetBytes(given)));
        if (match is null)
            return false;
        string before = mailbox.RecoveryCodeHashes!;
        hashes.Remove(match);
        int used = await db.Mailboxes.Where(m => m.Id == mailboxId && m.RecoveryCodeHashes == before)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.RecoveryCodeHashes, string.Join(',', hashes)), ct);
        return used == 1;
    }

    public async Task<int> RecoveryCodesLeftAsync(int mailboxId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        string? hashes = await db.Mailboxes.Where(m => m.Id == mailboxId).Select(m => m.RecoveryCodeHashes).SingleOrDefaultAsync(ct);
        return (hashes ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    /// <summary>"XXXX-XXXX" from the unambiguous base32 alphabet: 40 random bits.</summary>
    private static string NewRecoveryCode()
    {
        string text = Totp.ToBase32(RandomNumberGenerator.GetBytes(5));
        return text[..4] + "-" + text[4..8];
    }

    private static string Hash(string code) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(code.Replace("-", "").ToUpperInvariant())));
}
