using Appliance.Server.Dkim;
using Appliance.Server.Security;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Accounts;

/// <summary>
/// Creates, changes and removes domains, mailboxes and aliases. Every refusal is an
/// <see cref="AccountException"/> and saves nothing; every change is audited in the same
/// transaction. Used by the CLI now and by the web admin later.
/// </summary>
public sealed class AccountService(
    IDbContextFactory<ApplianceDbContext> dbFactory,
    MessageStore mailStore,
    IPasswordHasher<Mailbox> passwordHasher,
    TimeProvider time,
    SecretProtector secrets,
    IOptions<DkimKeyOptions> dkimOptions)
{
    /// <summary>NIST SP 800-63B 5.1.1.2: at least 8 characters for user-chosen secrets.</summary>
    public const int MinPasswordLength = 8;

    /// <summary>Bounds the hashing work one request can cause (NIST SP 800-63B asks to allow at least 64).</summary>
    public const int MaxPasswordLength = 1024;

    /// <summary>Keeps one alias from fanning out without bound (Postfix's virtual_alias_expansion_limit is 1000).</summary>
    public const int MaxAliasDestinations = 1000;

    public const int MaxDisplayNameLength = 200;

    // ---- domains ----

    public async Task<DomainInfo> AddDomainAsync(string name, string actor, CancellationToken ct = default)
    {
        string domain = RequireDomain(name);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Domains.AnyAsync(d => d.Name == domain, ct))
            throw new AccountException(AccountError.DomainExists, $"The domain {AddressRules.ToDisplayDomain(domain)} already exists.");
        // The domain's first DKIM key (RFC 6376) is generated before and saved in the same
        // SaveChanges (one transaction) as the domain: either both exist or neither, so no domain
        // is ever without a key. Generation (tens of milliseconds for RSA 2048) happens outside
        // any database lock. See DkimKeyService for the key's lifecycle.
        DkimKey key = DkimKeyMaterial.Create([], dkimOptions.Value, secrets, Now);
        db.Domains.Add(new Domain { Name = domain, CreatedUtc = Now, DkimKeys = [key] });
        Audit(db, actor, "domain.add", domain, $"dkim selector={key.Selector}");
        await SaveAsync(db, ct);
        return (await ListDomainsAsync(ct)).Single(d => d.Name == domain);
    }

    public async Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var domains = await db.Domains.AsNoTracking()
            .Select(d => new { d.Name, d.Enabled, Mailboxes = d.Mailboxes.Count, Aliases = d.Aliases.Count })
            .ToListAsync(ct);
        var catchAlls = await db.Aliases.AsNoTracking().Where(a => a.Source.StartsWith("@"))
            .Select(a => new { a.Source, Destinations = a.Destinations.Select(x => x.Address).ToList() })
            .ToDictionaryAsync(a => a.Source[1..], a => a.Destinations, ct);
        return domains
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .Select(d => new DomainInfo(d.Name, AddressRules.ToDisplayDomain(d.Name), d.Enabled, d.Mailboxes, d.Aliases,
                catchAlls.TryGetValue(d.Name, out var c) ? c.Order(StringComparer.Ordinal).ToList() : []))
            .ToList();
    }

    /// <summary>One hosted domain (U-label or A-label accepted); <see cref="AccountError.DomainNotFound"/> when it is not hosted here.</summary>
    public async Task<DomainInfo> GetDomainAsync(string name, CancellationToken ct = default)
    {
        string domain = RequireDomain(name);
        return (await ListDomainsAsync(ct)).SingleOrDefault(d => d.Name == domain)
            ?? throw new AccountException(AccountError.DomainNotFound, $"The domain {AddressRules.ToDisplayDomain(domain)} is not hosted here; add it first.");
    }

    public async Task SetDomainEnabledAsync(string name, bool enabled, string actor, CancellationToken ct = default)
    {
        string domain = RequireDomain(name);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var entity = await FindDomainAsync(db, domain, ct);
        entity.Enabled = enabled;
        Audit(db, actor, enabled ? "domain.enable" : "domain.disable", domain);
        await SaveAsync(db, ct);
    }

    /// <summary>
    /// Removes a domain with its aliases and DKIM keys. A domain that still has mailboxes is kept
    /// unless <paramref name="force"/>, which also removes the mailboxes and their mail.
    /// </summary>
    public async Task RemoveDomainAsync(string name, bool force, string actor, CancellationToken ct = default)
    {
        string domain = RequireDomain(name);
        List<Guid> stores;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var entity = await FindDomainAsync(db, domain, ct);
            var mailboxes = await db.Mailboxes.Where(m => m.DomainId == entity.Id).ToListAsync(ct);
            if (mailboxes.Count > 0 && !force)
                throw new AccountException(AccountError.DomainHasMailboxes,
                    $"The domain {AddressRules.ToDisplayDomain(domain)} still has {mailboxes.Count} mailbox(es); remove them first or force the removal (which deletes their mail).");
            stores = mailboxes.Select(m => m.StoreId).ToList();
            db.Mailboxes.RemoveRange(mailboxes);
            db.Aliases.RemoveRange(await db.Aliases.Where(a => a.DomainId == entity.Id).ToListAsync(ct));
            db.Domains.Remove(entity);
            Audit(db, actor, "domain.remove", domain, mailboxes.Count > 0 ? $"forced; {mailboxes.Count} mailbox(es) removed" : null);
            await SaveAsync(db, ct);
        }
        // The rows are gone first: a crash here leaves unreachable files, never a mailbox without its store.
        foreach (var store in stores)
            DeleteStore(store);
    }

    // ---- mailboxes ----

    public async Task<MailboxInfo> AddMailboxAsync(NewMailbox request, string actor, CancellationToken ct = default)
    {
        var (local, domain) = RequireAddress(request.Address);
        string address = $"{local}@{domain}";
        RequireNoSubaddressSeparator(local);
        RequirePassword(request.Password);
        RequireQuota(request.QuotaBytes);
        string displayName = RequireDisplayName(request.DisplayName);
        RequireRole(request.Role);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var domainEntity = await FindDomainAsync(db, domain, ct);
        if (await db.Mailboxes.AnyAsync(m => m.Address == address, ct))
            throw new AccountException(AccountError.MailboxExists, $"The mailbox {AddressRules.ToDisplayAddress(address)} already exists.");
        if (await db.Aliases.AnyAsync(a => a.Source == address, ct))
            throw new AccountException(AccountError.AddressIsAlias, $"{AddressRules.ToDisplayAddress(address)} is an alias; remove the alias first.");

        var mailbox = new Mailbox
        {
            Address = address,
            LocalPart = local,
            DomainId = domainEntity.Id,
            DisplayName = displayName,
            PasswordHash = "",
            QuotaBytes = request.QuotaBytes,
            Role = request.Role,
            StoreId = Guid.NewGuid(),
            CreatedUtc = Now,
            AdministeredDomains = await ResolveAdministeredDomainsAsync(db, request.Role, request.AdministeredDomains, ct),
        };
        mailbox.PasswordHash = passwordHasher.HashPassword(mailbox, request.Password);
        db.Mailboxes.Add(mailbox);
        Audit(db, actor, "mailbox.add", address, $"role={request.Role}");

        // The store exists before the row that points at it, so a mailbox is never without its mail store.
        mailStore.CreateAccount(mailbox.StoreId);
        try
        {
            await SaveAsync(db, ct);
        }
        catch
        {
            DeleteStore(mailbox.StoreId);
            throw;
        }
        return await GetMailboxAsync(address, ct);
    }

    public async Task<MailboxInfo> GetMailboxAsync(string address, CancellationToken ct = default)
    {
        string normalized = RequireAddressString(address);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var m = await db.Mailboxes.AsNoTracking().Include(x => x.AdministeredDomains).SingleOrDefaultAsync(x => x.Address == normalized, ct)
            ?? throw MailboxNotFound(normalized);
        return ToInfo(m);
    }

    public async Task<IReadOnlyList<MailboxInfo>> ListMailboxesAsync(string? domain = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        IQueryable<Mailbox> query = db.Mailboxes.AsNoTracking().Include(x => x.AdministeredDomains);
        if (domain is not null)
        {
            string d = RequireDomain(domain);
            var entity = await FindDomainAsync(db, d, ct);
            query = query.Where(m => m.DomainId == entity.Id);
        }
        var list = await query.ToListAsync(ct);
        return list.OrderBy(m => m.Address, StringComparer.Ordinal).Select(ToInfo).ToList();
    }

    public async Task<MailboxInfo> UpdateMailboxAsync(string address, MailboxUpdate update, string actor, CancellationToken ct = default)
    {
        string normalized = RequireAddressString(address);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var m = await db.Mailboxes.Include(x => x.AdministeredDomains).SingleOrDefaultAsync(x => x.Address == normalized, ct)
            ?? throw MailboxNotFound(normalized);
        var changes = new List<string>();
        if (update.DisplayName is not null)
        {
            m.DisplayName = RequireDisplayName(update.DisplayName);
            changes.Add("display-name");
        }
        if (update.QuotaBytes is long quota)
        {
            RequireQuota(quota);
            m.QuotaBytes = quota;
            changes.Add($"quota={quota}");
        }
        if (update.Enabled is bool enabled)
        {
            m.Enabled = enabled;
            changes.Add($"enabled={enabled}");
        }
        if (update.Role is MailboxRole role)
        {
            RequireRole(role);
            m.Role = role;
            changes.Add($"role={role}");
        }
        if (update.Role is not null || update.AdministeredDomains is not null)
        {
            m.AdministeredDomains.Clear();
            m.AdministeredDomains.AddRange(await ResolveAdministeredDomainsAsync(
                db, m.Role, update.AdministeredDomains ?? [], ct));
        }
        Audit(db, actor, "mailbox.update", normalized, string.Join(", ", changes));
        await SaveAsync(db, ct);
        return ToInfo(m);
    }

    public async Task SetPasswordAsync(string address, string password, string actor, CancellationToken ct = default)
    {
        string normalized = RequireAddressString(address);
        RequirePassword(password);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var m = await db.Mailboxes.SingleOrDefaultAsync(x => x.Address == normalized, ct) ?? throw MailboxNotFound(normalized);
        m.PasswordHash = passwordHasher.HashPassword(m, password);
        Audit(db, actor, "mailbox.passwd", normalized);
        await SaveAsync(db, ct);
    }

    /// <summary>Removes the mailbox and all of its mail.</summary>
    public async Task RemoveMailboxAsync(string address, string actor, CancellationToken ct = default)
    {
        string normalized = RequireAddressString(address);
        Guid store;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            var m = await db.Mailboxes.SingleOrDefaultAsync(x => x.Address == normalized, ct) ?? throw MailboxNotFound(normalized);
            store = m.StoreId;
            db.Mailboxes.Remove(m);
            Audit(db, actor, "mailbox.remove", normalized);
            await SaveAsync(db, ct);
        }
        DeleteStore(store);
    }

    /// <summary>True once an enabled administrator exists (the start-up block says how to make the first).</summary>
    public async Task<bool> HasAdministratorAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Mailboxes.AnyAsync(m => m.Role == MailboxRole.Admin && m.Enabled, ct);
    }

    public async Task<long> GetUsageBytesAsync(string address, CancellationToken ct = default)
    {
        var info = await GetMailboxAsync(address, ct);
        return mailStore.OpenAccount(info.StoreId).GetQuotaUsage();
    }

    /// <summary>Rebuilds a mailbox's message index from its Maildir, keeping known UIDs.</summary>
    public async Task<ReindexResult> ReindexAsync(string address, string actor, CancellationToken ct = default)
    {
        var info = await GetMailboxAsync(address, ct);
        var result = mailStore.Reindex(info.StoreId);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        Audit(db, actor, "store.reindex", info.Address, $"{result.Mailboxes} mailboxes, {result.Messages} messages, {result.NewUids} new UIDs");
        await db.SaveChangesAsync(ct);
        return result;
    }

    // ---- aliases ----

    /// <summary>
    /// Adds an alias: <paramref name="source"/> is "name@domain" or "@domain" (the catch-all) in one
    /// of our domains; destinations are addresses, local or external.
    /// </summary>
    public async Task<AliasInfo> AddAliasAsync(string source, IEnumerable<string> destinations, string actor, CancellationToken ct = default)
    {
        string normalizedSource = RequireAliasSource(source, out string domain);
        var targets = RequireDestinations(normalizedSource, destinations);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var domainEntity = await FindDomainAsync(db, domain, ct);
        if (await db.Aliases.AnyAsync(a => a.Source == normalizedSource, ct))
            throw new AccountException(AccountError.AliasExists, $"The alias {DisplaySource(normalizedSource)} already exists.");
        if (await db.Mailboxes.AnyAsync(m => m.Address == normalizedSource, ct))
            throw new AccountException(AccountError.AddressIsMailbox, $"{AddressRules.ToDisplayAddress(normalizedSource)} is a mailbox; an alias cannot take its address.");
        db.Aliases.Add(new Alias
        {
            Source = normalizedSource,
            DomainId = domainEntity.Id,
            CreatedUtc = Now,
            Destinations = targets.Select(t => new AliasDestination { Address = t }).ToList(),
        });
        Audit(db, actor, "alias.add", normalizedSource, string.Join(", ", targets));
        await SaveAsync(db, ct);
        return new AliasInfo(normalizedSource, DisplaySource(normalizedSource), targets, true);
    }

    /// <summary>Replaces an alias's destinations and/or enables or disables it; null leaves a value as it is.</summary>
    public async Task<AliasInfo> UpdateAliasAsync(string source, IEnumerable<string>? destinations, bool? enabled, string actor, CancellationToken ct = default)
    {
        string normalizedSource = RequireAliasSource(source, out _);
        var targets = destinations is null ? null : RequireDestinations(normalizedSource, destinations);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var alias = await db.Aliases.Include(a => a.Destinations).SingleOrDefaultAsync(a => a.Source == normalizedSource, ct)
            ?? throw new AccountException(AccountError.AliasNotFound, $"There is no alias {DisplaySource(normalizedSource)}.");
        var changes = new List<string>();
        if (targets is not null)
        {
            db.AliasDestinations.RemoveRange(alias.Destinations.Where(d => !targets.Contains(d.Address)));
            foreach (string target in targets.Where(t => alias.Destinations.All(d => d.Address != t)))
                alias.Destinations.Add(new AliasDestination { Address = target });
            changes.Add("destinations=" + string.Join(", ", targets));
        }
        if (enabled is bool on)
        {
            alias.Enabled = on;
            changes.Add($"enabled={on}");
        }
        Audit(db, actor, "alias.update", normalizedSource, string.Join("; ", changes));
        await SaveAsync(db, ct);
        return new AliasInfo(normalizedSource, DisplaySource(normalizedSource),
            alias.Destinations.Select(d => d.Address).Order(StringComparer.Ordinal).ToList(), alias.Enabled);
    }

    private static List<string> RequireDestinations(string normalizedSource, IEnumerable<string> destinations)
    {
        var targets = new List<string>();
        foreach (string destination in destinations)
        {
            if (!AddressRules.TryNormalizeAddress(destination, out string l, out string d, out string error))
                throw new AccountException(AccountError.InvalidAliasDestination, $"Destination {error}");
            string target = $"{l}@{d}";
            if (target == normalizedSource)
                throw new AccountException(AccountError.InvalidAliasDestination, $"An alias cannot point to itself ({AddressRules.ToDisplayAddress(target)}).");
            if (!targets.Contains(target))
                targets.Add(target);
        }
        if (targets.Count == 0)
            throw new AccountException(AccountError.InvalidAliasDestination, "An alias needs at least one destination.");
        if (targets.Count > MaxAliasDestinations)
            throw new AccountException(AccountError.InvalidAliasDestination, $"An alias may have at most {MaxAliasDestinations} destinations.");
        return targets;
    }

    public async Task<IReadOnlyList<AliasInfo>> ListAliasesAsync(string? domain = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        IQueryable<Alias> query = db.Aliases.AsNoTracking().Include(a => a.Destinations);
        if (domain is not null)
        {
            var entity = await FindDomainAsync(db, RequireDomain(domain), ct);
            query = query.Where(a => a.DomainId == entity.Id);
        }
        var list = await query.ToListAsync(ct);
        return list.OrderBy(a => a.Source, StringComparer.Ordinal)
            .Select(a => new AliasInfo(a.Source, DisplaySource(a.Source), a.Destinations.Select(d => d.Address).Order(StringComparer.Ordinal).ToList(), a.Enabled))
            .ToList();
    }

    public async Task RemoveAliasAsync(string source, string actor, CancellationToken ct = default)
    {
        string normalizedSource = RequireAliasSource(source, out _);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var alias = await db.Aliases.SingleOrDefaultAsync(a => a.Source == normalizedSource, ct)
            ?? throw new AccountException(AccountError.AliasNotFound, $"There is no alias {DisplaySource(normalizedSource)}.");
        db.Aliases.Remove(alias);
        Audit(db, actor, "alias.remove", normalizedSource);
        await SaveAsync(db, ct);
    }

    // ---- helpers ----

    /// <summary>An account store already gone (an earlier interrupted removal) is what we wanted anyway.</summary>
    private void DeleteStore(Guid storeId)
    {
        try
        {
            mailStore.DeleteAccount(storeId);
        }
        catch (AccountNotFoundException)
        {
        }
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private void Audit(ApplianceDbContext db, string actor, string action, string target, string? details = null) =>
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = Now, Actor = actor, Action = action, Target = target, Details = details });

    /// <summary>A unique-constraint race (two admins adding the same thing) still gives a clear refusal.</summary>
    private static async Task SaveAsync(ApplianceDbContext db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (e.InnerException?.Message.Contains("UNIQUE", StringComparison.OrdinalIgnoreCase) == true
                                          || e.InnerException?.Message.Contains("duplicate key", StringComparison.OrdinalIgnoreCase) == true)
        {
            throw new AccountException(AccountError.Conflict, "That name was taken by another change at the same moment; nothing was saved.");
        }
    }

    private static async Task<Domain> FindDomainAsync(ApplianceDbContext db, string domain, CancellationToken ct) =>
        await db.Domains.SingleOrDefaultAsync(d => d.Name == domain, ct)
        ?? throw new AccountException(AccountError.DomainNotFound, $"The domain {AddressRules.ToDisplayDomain(domain)} is not hosted here; add it first.");

    private static async Task<List<Domain>> ResolveAdministeredDomainsAsync(ApplianceDbContext db, MailboxRole role, IReadOnlyList<string> names, CancellationToken ct)
    {
        if (role != MailboxRole.DomainAdmin)
        {
            if (names.Count > 0)
                throw new AccountException(AccountError.InvalidRole, "Only a domain administrator has a list of administered domains.");
            return [];
        }
        if (names.Count == 0)
            throw new AccountException(AccountError.InvalidRole, "A domain administrator needs at least one domain to administer.");
        var result = new List<Domain>();
        foreach (string name in names)
        {
            var domain = await FindDomainAsync(db, RequireDomain(name), ct);
            if (!result.Contains(domain))
                result.Add(domain);
        }
        return result;
    }

    private static MailboxInfo ToInfo(Mailbox m) => new(
        m.Address, AddressRules.ToDisplayAddress(m.Address), m.DisplayName, m.Role, m.QuotaBytes, m.Enabled,
        m.AdministeredDomains.Select(d => d.Name).Order(StringComparer.Ordinal).ToList(), m.StoreId);

    private static string DisplaySource(string source) =>
        source.StartsWith('@') ? "@" + AddressRules.ToDisplayDomain(source[1..]) : AddressRules.ToDisplayAddress(source);

    internal static AccountException MailboxNotFound(string address) =>
        new(AccountError.MailboxNotFound, $"There is no mailbox {AddressRules.ToDisplayAddress(address)}.");

    private static string RequireDomain(string name) =>
        AddressRules.TryNormalizeDomain(name, out string domain, out string error) ? domain : throw new AccountException(AccountError.InvalidDomain, error);

    private static (string Local, string Domain) RequireAddress(string address) =>
        AddressRules.TryNormalizeAddress(address, out string local, out string domain, out string error)
            ? (local, domain)
            : throw new AccountException(AccountError.InvalidAddress, error);

    /// <summary>The normalized "local@domain"; throws <see cref="AccountError.InvalidAddress"/>.</summary>
    internal static string RequireAddressString(string address)
    {
        var (local, domain) = RequireAddress(address);
        return $"{local}@{domain}";
    }

    private static string RequireAliasSource(string source, out string domain)
    {
        string text = (source ?? "").Trim();
        if (text.StartsWith('@'))
        {
            domain = RequireDomain(text[1..]);
            return "@" + domain;
        }
        var (local, d) = RequireAddress(text);
        RequireNoSubaddressSeparator(local);
        domain = d;
        return $"{local}@{d}";
    }

    /// <summary>"+" starts a subaddress (user+tag@domain), so a name containing it could never be reached.</summary>
    private static void RequireNoSubaddressSeparator(string local)
    {
        if (local.Contains(AddressRules.SubaddressSeparator))
            throw new AccountException(AccountError.InvalidAddress,
                $"'{AddressRules.SubaddressSeparator}' is reserved for plus-addressing (name+tag@domain) and cannot be part of a mailbox or alias name.");
    }

    /// <summary>Throws <see cref="AccountError.WeakPassword"/> when the password breaks the length rules.</summary>
    public static void RequirePassword(string password)
    {
        if (password is null || password.Length < MinPasswordLength)
            throw new AccountException(AccountError.WeakPassword, $"The password must have at least {MinPasswordLength} characters.");
        if (password.Length > MaxPasswordLength)
            throw new AccountException(AccountError.WeakPassword, $"The password may have at most {MaxPasswordLength} characters.");
        if (password.Any(char.IsControl))
            throw new AccountException(AccountError.WeakPassword, "The password may not contain control characters (such as a line break).");
    }

    private static void RequireQuota(long quota)
    {
        if (quota < 0)
            throw new AccountException(AccountError.InvalidQuota, "A quota cannot be negative (0 means unlimited).");
    }

    /// <summary>Trimmed; throws <see cref="AccountError.InvalidDisplayName"/> when too long or with a control character (a CR/LF would inject header fields).</summary>
    internal static string RequireDisplayName(string name)
    {
        string trimmed = (name ?? "").Trim();
        if (trimmed.Length > MaxDisplayNameLength)
            throw new AccountException(AccountError.InvalidDisplayName, $"A display name may have at most {MaxDisplayNameLength} characters.");
        if (trimmed.Any(char.IsControl))
            throw new AccountException(AccountError.InvalidDisplayName, "A display name may not contain control characters (such as a line break).");
        return trimmed;
    }

    private static void RequireRole(MailboxRole role)
    {
        if (!Enum.IsDefined(role))
            throw new AccountException(AccountError.InvalidRole, $"Unknown role {role}.");
    }
}
