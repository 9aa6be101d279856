using Appliance.Storage.Entities;

namespace Appliance.Server.Dkim;

/// <summary>
/// The state of each key of one domain, derived from CreatedUtc, RetiredUtc, the clock and the
/// grace period alone (no stored state, so no schema change and nothing to get out of step).
/// See <see cref="DkimKeyService"/> for the lifecycle this implements.
/// </summary>
internal static class DkimKeyLifecycle
{
    /// <summary>
    /// The key that signs: among keys not retired, the newest one that has been published for the
    /// grace period; when none has (a new domain's only key, or the admin retired the old key early),
    /// the oldest one not retired. Null when every key is retired (or there are none).
    /// </summary>
    public static DkimKey? Active(IReadOnlyCollection<DkimKey> keys, DateTime nowUtc, TimeSpan gracePeriod)
    {
        List<DkimKey> live = keys.Where(k => k.RetiredUtc is null).OrderByDescending(k => k.CreatedUtc).ThenByDescending(k => k.Id).ToList();
        if (live.Count == 0)
        {
            return null;
        }
        return live.FirstOrDefault(k => k.CreatedUtc + gracePeriod <= nowUtc) ?? live[^1];
    }

    public static DkimKeyState State(DkimKey key, DkimKey? active)
    {
        if (key.RetiredUtc is not null)
        {
            return DkimKeyState.Retired;
        }
        if (ReferenceEquals(key, active))
        {
            return DkimKeyState.Active;
        }
        // Newer than the active key: waiting for its grace period; older: a newer key took over.
        return active is null || IsNewer(key, active) ? DkimKeyState.Pending : DkimKeyState.Superseded;
    }

    private static bool IsNewer(DkimKey a, DkimKey b) => a.CreatedUtc > b.CreatedUtc || (a.CreatedUtc == b.CreatedUtc && a.Id > b.Id);
}
