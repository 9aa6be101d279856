using Appliance.Server.Accounts;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Configuration;

/// <summary>
/// Server settings changed in the admin UI. They are stored in the configuration database's
/// Settings table, keyed by their configuration key, and laid over the configured values at
/// start-up (<see cref="ApplyStoredAsync"/>, from InitializeApplianceAsync), before any listener
/// or certificate reads <see cref="ApplianceOptions"/>. The newer decision wins: a stored value
/// applies over the configuration file and the environment, unless the configured value has
/// changed since it was stored (then the operator decided later, in the configuration).
/// </summary>
public sealed partial class ServerSettings(IDbContextFactory<ApplianceDbContext> dbFactory, TimeProvider time)
{
    /// <summary>The stored mail host name overrides Appliance:Hostname.</summary>
    public const string HostnameKey = ApplianceOptions.SectionName + ":" + nameof(ApplianceOptions.Hostname);

    /// <summary>Appliance:Hostname as configured when <see cref="HostnameKey"/> was stored: a later change in the configuration wins over the stored name.</summary>
    public const string HostnameConfiguredWhenSetKey = HostnameKey + ":ConfiguredWhenSet";

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

    /// <summary>Stores the host name, used from the next start.</summary>
    /// <param name="configuredHostname">Appliance:Hostname as configured now (the running one).</param>
    /// <exception cref="ArgumentException"><paramref name="hostname"/> is not a host name (<see cref="TryNormalizeHostname"/> says why).</exception>
    public async Task SetHostnameAsync(string hostname, string configuredHostname, string actor, CancellationToken ct = default)
    {
        if (!TryNormalizeHostname(hostname, out string normalized, out string error))
            throw new ArgumentException(error, nameof(hostname));
        var now = time.GetUtcNow().UtcDateTime;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await PutAsync(db, HostnameKey, normalized, now, ct);
        await PutAsync(db, HostnameConfiguredWhenSetKey, configuredHostname, now, ct);
        db.AuditEvents.Add(new AuditEvent { TimestampUtc = now, Actor = actor, Action = "setting.hostname", Target = normalized });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// Lays the stored settings over <paramref name="options"/> and logs what it did. A stored
    /// value that is no longer valid (edited by hand) is ignored, so the configured one applies;
    /// so is one whose configured value has changed since it was stored.
    /// </summary>
    /// <param name="logger">Null where nothing logs (the CLI).</param>
    public static async Task ApplyStoredAsync(ApplianceDbContext db, ApplianceOptions options, ILogger? logger, CancellationToken ct = default)
    {
        if (await StoredAsync(db, HostnameKey, ct) is not { } stored || !TryNormalizeHostname(stored, out string hostname, out _))
            return;
        string configured = options.Hostname;
        string? configuredWhenSet = await StoredAsync(db, HostnameConfiguredWhenSetKey, ct);
        if (configuredWhenSet is not null && !string.Equals(configuredWhenSet, configured, StringComparison.OrdinalIgnoreCase))
        {
            if (logger is not null)
                LogStoredHostnameSuperseded(logger, hostname, configured);
            return;
        }
        options.Hostname = hostname;
        if (logger is not null && !string.Equals(hostname, configured, StringComparison.OrdinalIgnoreCase))
            LogStoredHostnameApplied(logger, hostname, configured);
    }

    private static async Task PutAsync(ApplianceDbContext db, string key, string value, DateTime now, CancellationToken ct)
    {
        var setting = await db.Settings.SingleOrDefaultAsync(s => s.Key == key, ct);
        if (setting is null)
        {
            db.Settings.Add(new Setting { Key = key, Value = value, UpdatedUtc = now });
            return;
        }
        setting.Value = value;
        setting.UpdatedUtc = now;
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
        Message = "Host name {Hostname}, set in the admin UI, is used instead of Appliance:Hostname {Configured}; change Appliance:Hostname to use another")]
    private static partial void LogStoredHostnameApplied(ILogger logger, string hostname, string configured);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information,
        Message = "Appliance:Hostname {Configured} has changed since the admin UI set {Hostname}; the configured name is used")]
    private static partial void LogStoredHostnameSuperseded(ILogger logger, string hostname, string configured);

    private static Task<string?> StoredAsync(ApplianceDbContext db, string key, CancellationToken ct) =>
        db.Settings.AsNoTracking().Where(s => s.Key == key).Select(s => s.Value).SingleOrDefaultAsync(ct);
}
