// RFC 6376 3.6 (key management and representation), 3.6.2.1 (the _domainkey name), 3.1 (selectors
// exist so that keys can be replaced); RFC 8301 3.2 (RSA key sizes); RFC 8463 (Ed25519 keys).
using Appliance.Server.Accounts;
using Appliance.Server.Security;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Dkim;

/// <summary>
/// The DKIM keys of our domains: generation, the DNS record to publish, rotation and retirement.
/// Private keys are stored only as Data Protection ciphertext (<see cref="SecretProtector"/>).
/// </summary>
/// <remarks>
/// Lifecycle of a domain's keys (states are derived, see <see cref="DkimKeyLifecycle"/>):
/// <list type="number">
/// <item>Adding a domain creates its first key (AccountService, in the same SaveChanges as the
/// domain). It is <see cref="DkimKeyState.Active"/> at once: until its record is published,
/// receivers find no key and treat the mail as unsigned (RFC 6376 6.1.2 PERMFAIL "no key"), which
/// costs nothing compared with not signing.</item>
/// <item><see cref="RotateAsync"/> adds a new key in <see cref="DkimKeyState.Pending"/>: the admin
/// publishes its record now, while the old key keeps signing.</item>
/// <item>The pending key becomes Active by itself once <see cref="DkimKeyOptions.RotationGracePeriod"/>
/// has passed since it was made (its record has had time to reach every resolver), or at once when the
/// admin retires the old key (saying "my DNS is published"). The old key is then
/// <see cref="DkimKeyState.Superseded"/>: it no longer signs, but its record should stay published
/// until mail signed with it has been delivered and checked (a few days; RFC 6376 3.6.1 lets a
/// revoked key be published as p= empty).</item>
/// <item><see cref="RetireAsync"/> marks a key <see cref="DkimKeyState.Retired"/>; its record can be
/// removed. The last key that is not retired cannot be retired, so a domain always has a key that
/// signs. A retired key's selector is never used again for the domain.</item>
/// </list>
/// </remarks>
public sealed class DkimKeyService(
    IDbContextFactory<ApplianceDbContext> dbFactory,
    SecretProtector secrets,
    IOptions<DkimKeyOptions> options,
    TimeProvider time,
    ILogger<DkimKeyService>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    internal DkimKeyOptions Options => options.Value;

    /// <summary>Every key of the domain, retired ones too, newest first.</summary>
    public async Task<IReadOnlyList<DkimKeyInfo>> GetKeysAsync(string domain, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindDomainAsync(db, RequireDomain(domain), tracking: false, ct);
        return Describe(entity);
    }

    /// <summary>The key that signs the domain's mail now; null when it has none (a domain added before keys were generated).</summary>
    public async Task<DkimKeyInfo?> GetActiveKeyAsync(string domain, CancellationToken ct = default) =>
        (await GetKeysAsync(domain, ct)).FirstOrDefault(k => k.State == DkimKeyState.Active);

    /// <summary>The keys whose records must be in DNS now: pending, active and superseded ones.</summary>
    public async Task<IReadOnlyList<DkimKeyInfo>> GetPublishedKeysAsync(string domain, CancellationToken ct = default) =>
        (await GetKeysAsync(domain, ct)).Where(k => k.State != DkimKeyState.Retired).ToList();

    /// <summary>
    /// Makes a new key in <see cref="DkimKeyState.Pending"/> (or Active, when the domain had no live
    /// key). The current key keeps signing until the grace period ends or it is retired.
    /// </summary>
    public async Task<DkimKeyInfo> RotateAsync(string domain, string actor, CancellationToken ct = default)
    {
        string name = RequireDomain(domain);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindDomainAsync(db, name, tracking: true, ct);
        DkimKey key = DkimKeyMaterial.Create(entity.DkimKeys.Select(k => k.Selector).ToList(), options.Value, secrets, Now);
        entity.DkimKeys.Add(key);
        Audit(db, actor, "dkim.rotate", name, $"selector={key.Selector}");
        await SaveAsync(db, ct);
        DkimLog.KeyCreated(_logger, name, key.Selector);
        return Describe(entity).Single(k => k.Selector == key.Selector);
    }

    /// <summary>Stops a key from signing for good. Refused for the domain's last key that is not retired.</summary>
    public async Task<DkimKeyInfo> RetireAsync(string domain, string selector, string actor, CancellationToken ct = default)
    {
        string name = RequireDomain(domain);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindDomainAsync(db, name, tracking: true, ct);
        DkimKey key = entity.DkimKeys.SingleOrDefault(k => string.Equals(k.Selector, selector?.Trim(), StringComparison.OrdinalIgnoreCase))
            ?? throw new DkimKeyException($"The domain {AddressRules.ToDisplayDomain(name)} has no DKIM key with selector '{selector}'.");
        if (key.RetiredUtc is not null)
        {
            throw new DkimKeyException($"The DKIM key '{key.Selector}' of {AddressRules.ToDisplayDomain(name)} is already retired.");
        }
        if (entity.DkimKeys.All(k => k == key || k.RetiredUtc is not null))
        {
            throw new DkimKeyException($"'{key.Selector}' is the only DKIM key of {AddressRules.ToDisplayDomain(name)} that is not retired; rotate first, then retire it.");
        }
        key.RetiredUtc = Now;
        Audit(db, actor, "dkim.retire", name, $"selector={key.Selector}");
        await SaveAsync(db, ct);
        DkimLog.KeyRetired(_logger, name, key.Selector);
        return Describe(entity).Single(k => k.Selector == key.Selector);
    }

    /// <summary>
    /// Gives every domain without a live key (added before keys were generated, or restored from an
    /// old backup) a new active key. Returns the domains that got one.
    /// </summary>
    public async Task<IReadOnlyList<string>> EnsureKeysAsync(string actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var missing = await db.Domains.Include(d => d.DkimKeys)
            .Where(d => !d.DkimKeys.Any(k => k.RetiredUtc == null))
            .ToListAsync(ct);
        foreach (var domain in missing)
        {
            DkimKey key = DkimKeyMaterial.Create(domain.DkimKeys.Select(k => k.Selector).ToList(), options.Value, secrets, Now);
            domain.DkimKeys.Add(key);
            Audit(db, actor, "dkim.create", domain.Name, $"selector={key.Selector}");
        }
        if (missing.Count > 0)
        {
            await SaveAsync(db, ct);
        }
        foreach (var domain in missing)
        {
            DkimLog.KeyCreated(_logger, domain.Name, domain.DkimKeys[^1].Selector);
        }
        return missing.Select(d => d.Name).ToList();
    }

    /// <summary>The stored key that signs for <paramref name="asciiDomain"/> now (lower-case A-label), or null.</summary>
    internal async Task<DkimKey?> FindSigningKeyAsync(string asciiDomain, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.DkimKeys.AsNoTracking()
            .Where(k => k.Domain!.Name == asciiDomain && k.RetiredUtc == null)
            .ToListAsync(ct);
        return DkimKeyLifecycle.Active(keys, Now, options.Value.RotationGracePeriod);
    }

    private IReadOnlyList<DkimKeyInfo> Describe(Domain domain)
    {
        DateTime now = Now;
        TimeSpan grace = options.Value.RotationGracePeriod;
        DkimKey? active = DkimKeyLifecycle.Active(domain.DkimKeys, now, grace);
        return domain.DkimKeys
            .OrderByDescending(k => k.CreatedUtc).ThenByDescending(k => k.Id)
            .Select(k =>
            {
                DkimKeyState state = DkimKeyLifecycle.State(k, active);
                return DkimKeyMaterial.Describe(domain.Name, k, state, state == DkimKeyState.Pending ? k.CreatedUtc + grace : null);
            })
            .ToList();
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private void Audit(ApplianceDbContext db, string actor, string action, string target, string details) =>
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = Now, Actor = actor, Action = action, Target = target, Details = details });

    private static string RequireDomain(string name) =>
        AddressRules.TryNormalizeDomain(name, out string domain, out string error) ? domain : throw new AccountException(AccountError.InvalidDomain, error);

    private static async Task<Domain> FindDomainAsync(ApplianceDbContext db, string domain, bool tracking, CancellationToken ct)
    {
        IQueryable<Domain> query = db.Domains.Include(d => d.DkimKeys);
        if (!tracking)
        {
            query = query.AsNoTracking();
        }
        return await query.SingleOrDefaultAsync(d => d.Name == domain, ct)
            ?? throw new AccountException(AccountError.DomainNotFound, $"The domain {AddressRules.ToDisplayDomain(domain)} is not hosted here; add it first.");
    }

    /// <summary>Two rotations at the same moment pick the same selector; the unique index refuses the second.</summary>
    private static async Task SaveAsync(ApplianceDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException?.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase) == true
                                          || e.InnerException?.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase) == true)
        {
            throw new DkimKeyException("Another change to this domain's DKIM keys happened at the same moment; nothing was saved. Try again.");
        }
    }
}
