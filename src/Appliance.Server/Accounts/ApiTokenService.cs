using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Accounts;

/// <summary>An API token as lists show it; never the secret.</summary>
public sealed record ApiTokenInfo(int Id, string Name, DateTime CreatedUtc, DateTime? LastUsedUtc);

/// <summary>
/// Tokens for the REST API. A token is "apl_{id}_{secret}" with a 256-bit random secret; the
/// database keeps only SHA-256 of the secret and compares in constant time. A token acts as the
/// administrator who made it and stops working when that account is disabled, demoted or removed.
/// </summary>
public sealed class ApiTokenService(IDbContextFactory<ApplianceDbContext> dbFactory, TimeProvider time)
{
    public const string Prefix = "apl_";

    /// <summary>Tokens per account: enough for every script, bounded so the list stays readable.</summary>
    public const int MaxTokensPerAccount = 50;

    /// <summary>Makes a token for an admin or domain admin; the returned text is the only time the secret is seen.</summary>
    public async Task<(ApiTokenInfo Info, string Token)> CreateAsync(string address, string name, CancellationToken ct = default)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 100 || name.Any(char.IsControl))
            throw new AccountException(AccountError.InvalidTokenName, "Give the token a name of 1 to 100 characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Address == address, ct)
            ?? throw new AccountException(AccountError.MailboxNotFound, "There is no such mailbox.");
        if (mailbox.Role == MailboxRole.User)
            throw new AccountException(AccountError.TokenRefused, "Only administrators and domain administrators can have API tokens.");
        if (await db.ApiTokens.CountAsync(t => t.MailboxId == mailbox.Id, ct) >= MaxTokensPerAccount)
            throw new AccountException(AccountError.TokenRefused, $"An account can have at most {MaxTokensPerAccount} tokens; revoke one first.");
        byte[] secret = RandomNumberGenerator.GetBytes(32);
        var token = new ApiToken { MailboxId = mailbox.Id, Name = name, SecretHash = SHA256.HashData(secret), CreatedUtc = time.GetUtcNow().UtcDateTime };
        db.ApiTokens.Add(token);
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = token.CreatedUtc, Actor = address, Action = "apitoken.create", Target = address, Details = $"name={name}" });
        await db.SaveChangesAsync(ct);
        string text = Prefix + token.Id.ToString(CultureInfo.InvariantCulture) + "_" + Base64Url(secret);
        return (new ApiTokenInfo(token.Id, token.Name, token.CreatedUtc, null), text);
    }

    public async Task<IReadOnlyList<ApiTokenInfo>> ListAsync(string address, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.ApiTokens.AsNoTracking().Where(t => t.Mailbox!.Address == address).OrderBy(t => t.Id)
            .Select(t => new ApiTokenInfo(t.Id, t.Name, t.CreatedUtc, t.LastUsedUtc)).ToListAsync(ct);
    }

    /// <summary>Revokes one of the account's own tokens; false when it has no such token.</summary>
    public async Task<bool> RevokeAsync(string address, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.SingleOrDefaultAsync(t => t.Id == id && t.Mailbox!.Address == address, ct);
        if (token is null)
            return false;
        db.ApiTokens.Remove(token);
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = time.GetUtcNow().UtcDateTime, Actor = address, Action = "apitoken.revoke", Target = address, Details = $"name={token.Name}" });
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>The account a token acts as, or null for a malformed, unknown or revoked token, or an account that may no longer use it.</summary>
    public async Task<AuthenticatedUser?> AuthenticateAsync(string? text, CancellationToken ct = default)
    {
        if (!TryParse(text, out int id, out byte[] secret))
            return null;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var token = await db.ApiTokens.Include(t => t.Mailbox!).ThenInclude(m => m.Domain)
            .Include(t => t.Mailbox!).ThenInclude(m => m.AdministeredDomains)
            .SingleOrDefaultAsync(t => t.Id == id, ct);
        // Compare even when the id is unknown, so timing does not tell which ids exist.
        byte[] stored = token?.SecretHash ?? new byte[32];
        bool matches = CryptographicOperations.FixedTimeEquals(SHA256.HashData(secret), stored);
        if (token is null || !matches || token.Mailbox is not { Enabled: true, Domain.Enabled: true } mailbox || mailbox.Role == MailboxRole.User)
            return null;
        var now = time.GetUtcNow().UtcDateTime;
        if (token.LastUsedUtc is null || now - token.LastUsedUtc > TimeSpan.FromMinutes(1))
        {
            // At most once a minute: a busy script does not turn every call into a write.
            token.LastUsedUtc = now;
            await db.SaveChangesAsync(ct);
        }
        return new AuthenticatedUser(mailbox.Id, mailbox.Address, mailbox.Role, mailbox.StoreId,
            mailbox.AdministeredDomains.Select(d => d.Name).Order(StringComparer.Ordinal).ToList())
        {
            SessionStamp = SessionStamp.Of(mailbox),
        };
    }

    private static bool TryParse(string? text, out int id, out byte[] secret)
    {
        id = 0;
        secret = [];
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length > 100)
            return false;
        int separator = text.IndexOf('_', Prefix.Length);
        if (separator < 0 || !int.TryParse(text.AsSpan(Prefix.Length, separator - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out id))
            return false;
        try
        {
            string b64 = text[(separator + 1)..].Replace('-', '+').Replace('_', '/');
            secret = Convert.FromBase64String(b64.PadRight(b64.Length + (4 - b64.Length % 4) % 4, '='));
        }
        catch (FormatException)
        {
            return false;
        }
        // Only the one canonical spelling: base64 leaves spare bits in the last character, and a token
        // that differs there must not work too.
        return secret.Length == 32 && Base64Url(secret) == text[(separator + 1)..];
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
