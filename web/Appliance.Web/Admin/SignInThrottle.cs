using System.Collections.Concurrent;

namespace Appliance.Web.Admin;

/// <summary>
/// Slows down repeated failed sign-ins per client address and per account name, without ever
/// locking anyone out (a lock-out is a weapon an attacker can aim at a user). The delay grows
/// with recent failures: none for the first <see cref="FreeFailures"/>, then doubling from
/// <see cref="BaseDelay"/> up to <see cref="MaxDelay"/>. The account key is the name as typed, so
/// unknown and real accounts are slowed alike and the delay reveals nothing.
/// </summary>
public sealed class SignInThrottle(TimeProvider time)
{
    /// <summary>Failures without delay: typos happen (OWASP's guidance allows a few attempts before throttling).</summary>
    public const int FreeFailures = 3;

    public static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>The longest wait: long enough to make guessing slow (at most ~450 guesses an hour per key), short enough for a person.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(8);

    /// <summary>Failures older than this are forgotten.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>Bound on tracked keys, so a flood of made-up names cannot grow memory without limit.</summary>
    public const int MaxTrackedKeys = 10_000;

    private readonly ConcurrentDictionary<string, (int Failures, DateTimeOffset Last)> _failures = new(StringComparer.Ordinal);

    /// <summary>How many addresses and names are remembered now.</summary>
    internal int TrackedKeys => _failures.Count;

    /// <summary>How long to wait before checking this attempt's password.</summary>
    public TimeSpan DelayFor(string clientAddress, string account)
    {
        int failures = Math.Max(Count("ip:" + clientAddress), Count("account:" + account.Trim().ToLowerInvariant()));
        if (failures < FreeFailures)
            return TimeSpan.Zero;
        double ms = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failures - FreeFailures, 10));
        return TimeSpan.FromMilliseconds(Math.Min(ms, MaxDelay.TotalMilliseconds));
    }

    public void RecordFailure(string clientAddress, string account)
    {
        if (_failures.Count >= MaxTrackedKeys)
            Prune();
        var now = time.GetUtcNow();
        foreach (string key in new[] { "ip:" + clientAddress, "account:" + account.Trim().ToLowerInvariant() })
            _failures.AddOrUpdate(key, (1, now), (_, old) => (now - old.Last > Window ? 1 : old.Failures + 1, now));
    }

    /// <summary>A success clears the account's count (not the address's: one right password must not reset a guesser's IP).</summary>
    public void RecordSuccess(string account) => _failures.TryRemove("account:" + account.Trim().ToLowerInvariant(), out _);

    private int Count(string key) =>
        _failures.TryGetValue(key, out var entry) && time.GetUtcNow() - entry.Last <= Window ? entry.Failures : 0;

    private void Prune()
    {
        var cutoff = time.GetUtcNow() - Window;
        foreach (var (key, entry) in _failures)
        {
            if (entry.Last < cutoff)
                _failures.TryRemove(key, out _);
        }
        // Still full of fresh entries: drop the oldest half.
        if (_failures.Count >= MaxTrackedKeys)
        {
            foreach (var key in _failures.OrderBy(p => p.Value.Last).Take(_failures.Count / 2).Select(p => p.Key).ToList())
                _failures.TryRemove(key, out _);
        }
    }
}
