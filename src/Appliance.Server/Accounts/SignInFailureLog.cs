using System.Globalization;
using System.Text;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Accounts;

/// <summary>One failed web sign-in, as the Logs page shows it.</summary>
public sealed record SignInFailure(DateTimeOffset Time, string Address, string Client);

/// <summary>
/// Failed sign-ins to the web UI, kept in the configuration database for the admin's Logs page (the
/// server's log has each one too, event 1100). The typed address is attacker-controlled text: it is
/// stored printable and bounded. Rows are pruned by age and by count, at most once a
/// <see cref="PruneInterval"/>, on insert; a flood of guesses is slowed by the sign-in throttle first.
/// </summary>
public sealed class SignInFailureLog(IDbContextFactory<ApplianceDbContext> dbFactory, TimeProvider time)
{
    /// <summary>Rows older than this are pruned: 30 days, as the delivery log (DeliveryLogOptions.MaxAge, after Debian's mail.log rotation).</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromDays(30);

    /// <summary>Rows kept at most: 100,000, as the delivery log's tables (about 30 MB here); a guessing botnet cannot grow the database past it.</summary>
    public const int MaxRows = 100_000;

    /// <summary>Pruning runs on an insert at most this often: one indexed delete a minute costs nothing, one per failure would during an attack.</summary>
    public static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);

    /// <summary>Most rows one query returns: 1,000, more than a page shows.</summary>
    public const int MaxQueryLimit = 1_000;

    private long _lastPruneTicks;

    /// <summary><see cref="MaxRows"/>; tests lower it to see the count bound work.</summary>
    internal int RowsKept { get; init; } = MaxRows;

    public async Task RecordAsync(string address, string client, CancellationToken ct = default)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.FailedSignIns.Add(new FailedSignIn
        {
            TimeUtc = now.UtcDateTime,
            Address = Printable(address, FailedSignIn.MaxAddressLength),
            Client = Printable(client, FailedSignIn.MaxClientLength),
        });
        await db.SaveChangesAsync(ct);
        long last = Interlocked.Read(ref _lastPruneTicks);
        if (now.UtcTicks - last >= PruneInterval.Ticks && Interlocked.CompareExchange(ref _lastPruneTicks, now.UtcTicks, last) == last)
            await PruneAsync(db, now, RowsKept, ct);
    }

    /// <summary>Newest first; <paramref name="text"/> (when given) must occur in the address or the client, ignoring case.</summary>
    public async Task<IReadOnlyList<SignInFailure>> QueryAsync(string? text, int limit, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        IQueryable<FailedSignIn> rows = db.FailedSignIns.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(text))
        {
            string needle = text.Trim().ToLowerInvariant();
            rows = rows.Where(f => f.Address.ToLower().Contains(needle) || f.Client.ToLower().Contains(needle));
        }
        var found = await rows.OrderByDescending(f => f.Id).Take(Math.Clamp(limit, 0, MaxQueryLimit)).ToListAsync(ct);
        return [.. found.Select(f => new SignInFailure(new DateTimeOffset(DateTime.SpecifyKind(f.TimeUtc, DateTimeKind.Utc)), f.Address, f.Client))];
    }

    private static async Task PruneAsync(ApplianceDbContext db, DateTimeOffset now, int rowsKept, CancellationToken ct)
    {
        var cutoff = (now - MaxAge).UtcDateTime;
        await db.FailedSignIns.Where(f => f.TimeUtc < cutoff).ExecuteDeleteAsync(ct);
        long newestDropped = await db.FailedSignIns.OrderByDescending(f => f.Id).Skip(rowsKept).Select(f => f.Id).FirstOrDefaultAsync(ct);
        if (newestDropped > 0)
            await db.FailedSignIns.Where(f => f.Id <= newestDropped).ExecuteDeleteAsync(ct);
    }

    /// <summary>
    /// Text safe to store and show on one line: control and format characters (including the
    /// bidirectional overrides that could make a row read differently) and broken surrogates become
    /// "?"; longer than <paramref name="maxLength"/> characters is cut, ending in "…".
    /// </summary>
    public static string Printable(string? text, int maxLength)
    {
        var result = new StringBuilder();
        bool cut = false;
        foreach (var rune in (text ?? "").EnumerateRunes())
        {
            var shown = Rune.IsControl(rune) || rune == Rune.ReplacementChar || Rune.GetUnicodeCategory(rune) == UnicodeCategory.Format
                ? new Rune('?') : rune;
            if (result.Length + shown.Utf16SequenceLength > maxLength)
            {
                cut = true;
                break;
            }
            result.Append(shown.ToString());
        }
        if (!cut)
            return result.ToString();
        // Make room for the ellipsis without splitting a surrogate pair.
        while (result.Length > maxLength - 1)
            result.Length -= char.IsLowSurrogate(result[^1]) ? 2 : 1;
        return result.Append('…').ToString();
    }
}
