using System.Collections.Concurrent;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Accounts;

public enum RecipientStatus
{
    /// <summary>At least one local mailbox or external forward takes the mail.</summary>
    Deliverable,
    /// <summary>Our domain, but no mailbox, alias or catch-all takes this address (SMTP 550 5.1.1).</summary>
    Unknown,
    /// <summary>The mailbox or its domain is disabled (SMTP 550 5.2.1).</summary>
    Disabled,
    /// <summary>Not a domain we host: relaying decisions belong to the caller.</summary>
    NotLocal,
    /// <summary>Not a syntactically valid address.</summary>
    Invalid,
}

/// <param name="VacationEnabled">The user has switched the auto-reply on (its dates and rules are checked by the responder); when false no reply is considered.</param>
public sealed record LocalRecipient(int MailboxId, string Address, Guid StoreId, long QuotaBytes, bool VacationEnabled = false);

/// <summary>Where mail for one address goes.</summary>
public sealed record RecipientResolution(RecipientStatus Status, IReadOnlyList<LocalRecipient> Mailboxes, IReadOnlyList<string> ExternalAddresses)
{
    public static RecipientResolution Of(RecipientStatus status) => new(status, [], []);
}

/// <summary>
/// Resolves a recipient address to local mailboxes and external forwards: exact mailbox, then
/// exact alias, then the same without the +tag (plus-addressing), then the domain's catch-all.
/// Aliases expand recursively (an alias may point to aliases), with loop detection and limits.
/// Matching is case-insensitive and IDN-aware (all stored names are normalized).
/// <para>
/// Resolutions are cached: every RCPT (and every local delivery and sender check) asks, and a
/// database round trip per address cost a seventh of the SMTP server's CPU. An entry is used only
/// while <see cref="ConfigurationVersion"/> says nothing was written since it was read (any write
/// to the configuration, by this process or, on SQLite, by the CLI), and for at most
/// <see cref="CacheLifetime"/> (what bounds another PostgreSQL instance's changes).
/// </para>
/// </summary>
public sealed class RecipientResolver(IDbContextFactory<ApplianceDbContext> dbFactory, ConfigurationVersion version, TimeProvider time)
{
    /// <summary>Nesting of aliases followed before giving up (Postfix virtual_alias_recursion_limit is 1000; real chains are short).</summary>
    public const int MaxAliasDepth = 20;

    /// <summary>Addresses one recipient may expand to (Postfix virtual_alias_expansion_limit).</summary>
    public const int MaxExpansion = 1000;

    /// <summary>
    /// How long a cached resolution may be used when nothing says the configuration changed: the
    /// delay before a change made by another instance sharing a PostgreSQL database is seen
    /// (this process's writes and, on SQLite, every process's are seen at once). Postfix's proxymap
    /// and Dovecot's auth cache (auth_cache_ttl, 1 hour) keep lookups far longer; a minute keeps a
    /// removed address from taking mail for long.
    /// </summary>
    public static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Addresses kept (found or not). At about 1 KB an entry this is a few MB; a dictionary attack
    /// on random local parts fills it, and it then starts over rather than grow.
    /// </summary>
    public const int CacheCapacity = 10_000;

    private readonly ConcurrentDictionary<string, CachedResolution> _cache = new(StringComparer.Ordinal);

    private sealed record CachedResolution(RecipientResolution Resolution, ConfigurationStamp Stamp, long ReadAt);

    public async Task<RecipientResolution> ResolveAsync(string address, CancellationToken ct = default)
    {
        if (!AddressRules.TryNormalizeDomain(DomainOf(address), out string domain, out _))
            return RecipientResolution.Of(RecipientStatus.Invalid);
        string local = LocalOf(address).ToLowerInvariant();
        if (local.Length == 0)
            return RecipientResolution.Of(RecipientStatus.Invalid);

        string key = $"{local}@{domain}";
        // The stamp is read before the database, so a write racing with the read leaves a stale stamp.
        var stamp = version.Current;
        long now = time.GetTimestamp();
        if (_cache.TryGetValue(key, out var cached) && cached.Stamp == stamp && time.GetElapsedTime(cached.ReadAt, now) < CacheLifetime)
            return cached.Resolution;

        var resolution = await ReadAsync(local, domain, ct);
        if (_cache.Count >= CacheCapacity)
            _cache.Clear();
        _cache[key] = new CachedResolution(resolution, stamp, now);
        return resolution;
    }

    private async Task<RecipientResolution> ReadAsync(string local, string domain, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var domainRow = await db.Domains.AsNoTracking().SingleOrDefaultAsync(d => d.Name == domain, ct);
        if (domainRow is null)
            return RecipientResolution.Of(RecipientStatus.NotLocal);
        if (!domainRow.Enabled)
            return RecipientResolution.Of(RecipientStatus.Disabled);

        var expansion = new Expansion(db, ct);
        expansion.KnowDomain(domainRow);
        var status = await expansion.ExpandAsync($"{local}@{domain}", depth: 0, topLevel: true);
        if (expansion.Mailboxes.Count == 0 && expansion.External.Count == 0)
            return RecipientResolution.Of(status == RecipientStatus.Disabled ? RecipientStatus.Disabled : RecipientStatus.Unknown);
        return new RecipientResolution(RecipientStatus.Deliverable, expansion.Mailboxes, expansion.External);
    }

    private static string DomainOf(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..];
    }

    private static string LocalOf(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? "" : address[..at];
    }

    private sealed class Expansion(ApplianceDbContext db, CancellationToken ct)
    {
        private readonly HashSet<string> _visited = new(StringComparer.Ordinal);

        /// <summary>Domain rows already read in this resolution (or known not to exist): one query per domain, not per address.</summary>
        private readonly Dictionary<string, Storage.Entities.Domain?> _domains = new(StringComparer.Ordinal);

        public void KnowDomain(Storage.Entities.Domain domain) => _domains[domain.Name] = domain;

        private async Task<Storage.Entities.Domain?> DomainAsync(string name)
        {
            if (!_domains.TryGetValue(name, out var row))
                _domains[name] = row = await db.Domains.AsNoTracking().SingleOrDefaultAsync(d => d.Name == name, ct);
            return row;
        }
        public List<LocalRecipient> Mailboxes { get; } = [];
        public List<string> External { get; } = [];

        public async Task<RecipientStatus> ExpandAsync(string address, int depth, bool topLevel)
        {
            if (depth > MaxAliasDepth || !_visited.Add(address) || Mailboxes.Count + External.Count >= MaxExpansion)
                return RecipientStatus.Unknown;

            string domain = DomainOf(address);
            var domainRow = await DomainAsync(domain);
            if (domainRow is null)
            {
                // Only an alias destination can be external; a top-level foreign address was handled by the caller.
                if (!topLevel && !External.Contains(address))
                    External.Add(address);
                return RecipientStatus.Deliverable;
            }
            if (!domainRow.Enabled)
                return RecipientStatus.Disabled;

            var status = await ExpandExactAsync(address, depth);
            if (status is not null)
                return status.Value;

            if (AddressRules.WithoutSubaddress(address) is string baseAddress && _visited.Add(baseAddress))
            {
                status = await ExpandExactAsync(baseAddress, depth);
                if (status is not null)
                    return status.Value;
            }

            var catchAll = await db.Aliases.AsNoTracking().Include(a => a.Destinations)
                .SingleOrDefaultAsync(a => a.Source == "@" + domain && a.Enabled, ct);
            if (catchAll is not null)
                return await ExpandDestinationsAsync(catchAll.Destinations.Select(d => d.Address), depth);
            return RecipientStatus.Unknown;
        }

        /// <summary>A mailbox or alias with exactly this address; null when there is neither.</summary>
        private async Task<RecipientStatus?> ExpandExactAsync(string address, int depth)
        {
            var mailbox = await db.Mailboxes.AsNoTracking().Where(m => m.Address == address)
                .Select(m => new
                {
                    m.Id, m.Address, m.Enabled, m.StoreId, m.QuotaBytes,
                    Vacation = db.MailboxSettings.Any(s => s.MailboxId == m.Id && s.VacationEnabled),
                })
                .SingleOrDefaultAsync(ct);
            if (mailbox is not null)
            {
                if (!mailbox.Enabled)
                    return RecipientStatus.Disabled;
                if (Mailboxes.All(m => m.MailboxId != mailbox.Id))
                    Mailboxes.Add(new LocalRecipient(mailbox.Id, mailbox.Address, mailbox.StoreId, mailbox.QuotaBytes, mailbox.Vacation));
                return RecipientStatus.Deliverable;
            }
            var alias = await db.Aliases.AsNoTracking().Include(a => a.Destinations).SingleOrDefaultAsync(a => a.Source == address, ct);
            if (alias is null)
                return null;
            if (!alias.Enabled)
                return RecipientStatus.Disabled;
            return await ExpandDestinationsAsync(alias.Destinations.Select(d => d.Address), depth);
        }

        private async Task<RecipientStatus> ExpandDestinationsAsync(IEnumerable<string> destinations, int depth)
        {
            var result = RecipientStatus.Unknown;
            foreach (string destination in destinations.Order(StringComparer.Ordinal))
            {
                if (await ExpandAsync(destination, depth + 1, topLevel: false) == RecipientStatus.Deliverable)
                    result = RecipientStatus.Deliverable;
            }
            return result;
        }
    }
}
