using Appliance.Server.Accounts;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Configuration;

/// <summary>
/// Server settings changed in the admin UI. They are stored in the configuration database's
/// Settings table, keyed by their configuration key, and laid over the configured values at
/// start-up (<see cref="ApplyStoredAsync"/>, from InitializeApplianceAsync), before any listener
/// or certificate reads <see cref="ApplianceOptions"/>. A stored value wins over the
/// configuration file and the environment, because it is the newer decision of the admin.
/// </summary>
public sealed class ServerSettings(IDbContextFactory<ApplianceDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The stored mail host name overrides Appliance:Hostname.</summary>
    public const string HostnameKey = ApplianceOptions.SectionName + ":" + nameof(ApplianceOptions.Hostname);

    /// <summary>
    /// A mail host name must be a fully qualified domain name (RFC 5321 2.3.5 for the EHLO name):
    /// the rules of the domains we host (AddressRules), returned as a lower-case A-label.
    /// </summary>
    public static bool TryNormalizeHostname(string? input, out string hostname, out string error)
    {
        if (AddressRules.TryNormalizeDomain(input, out hostname, out error))
            return true;
        error = "Mail host name: " + error;
        return false;
    }

    /// <summary>The host name stored by the admin, or null when the configuration's applies.</summary>
    public async Task<string?> GetStoredHostnameAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await StoredAsync(db, HostnameKey, ct);
    }

    /// <summary>Stores the host name (used from the next start); the caller has normalized it with <see cref="TryNormalizeHostname"/>.</summary>
    public async Task SetHostnameAsync(string hostname, string actor, CancellationToken ct = default)
    {
        if (!TryNormalizeHostname(hostname, out string normalized, out string error))
            throw new ArgumentException(error, nameof(hostname));
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var setting = await db.Settings.SingleOrDefaultAsync(s => s.Key == HostnameKey, ct);
        if (setting is null)
            db.Settings.Add(new Setting { Key = HostnameKey, Value = normalized, UpdatedUtc = now });
        else
        {
            setting.Value = normalized;
            setting.UpdatedUtc = now;
        }
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = now, Actor = actor, Action = "setting.hostname", Target = normalized });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Lays the stored settings over <paramref name="options"/>. A stored value that is no longer
    /// valid (edited by hand) is ignored, so the configured one applies.
    /// </summary>
    /// <returns>The stored host name that now applies, or null when the configuration's does.</returns>
    public static async Task<string?> ApplyStoredAsync(ApplianceDbContext db, ApplianceOptions options, CancellationToken ct = default)
    {
        if (await StoredAsync(db, HostnameKey, ct) is not { } stored || !TryNormalizeHostname(stored, out string hostname, out _))
            return null;
        options.Hostname = hostname;
        return hostname;
    }

    private static Task<string?> StoredAsync(ApplianceDbContext db, string key, CancellationToken ct) =>
        db.Settings.AsNoTracking().Where(s => s.Key == key).Select(s => s.Value).SingleOrDefaultAsync(ct);
}
