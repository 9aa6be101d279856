namespace Appliance.Server.Delivery;

/// <summary>Bounds of the delivery log (<see cref="DeliveryLog"/>). Bound by <see cref="DeliveryLogServices.AddDeliveryLog"/>.</summary>
public sealed class DeliveryLogOptions
{
    /// <summary>
    /// Records waiting for the writer before <see cref="IDeliveryLog.Record(SmtpTransactionRecord)"/>
    /// starts dropping them: 10,000. A small server logs a few records a second; this covers minutes
    /// of a busy burst while the disk stalls, at about 1 KB per record (10 MB at most) of memory.
    /// </summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Most records written in one SQLite transaction: 500. One commit per batch instead of per row
    /// (SQLite's FAQ: it does "a few dozen transactions per second" but 50,000 inserts per second in
    /// one); small enough that a flush or shutdown waits for well under a second.
    /// </summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Rows kept per table (SMTP transactions, delivery attempts); older ones are pruned by the writer:
    /// 100,000, about a month of a small server's traffic (3,000 a day) in roughly 50 MB of SQLite.
    /// </summary>
    public int MaxRowsPerTable { get; set; } = 100_000;

    /// <summary>
    /// Rows older than this are pruned: 30 days, as Debian's logrotate keeps mail.log (four weekly
    /// rotations, /etc/logrotate.d/rsyslog).
    /// </summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Most rows one query returns, whatever <see cref="DeliveryLogQuery.Limit"/> asks: 1,000, more than a page can show.</summary>
    public int MaxQueryLimit { get; set; } = 1_000;

    /// <summary>At most one "records dropped" warning per this interval: 1 minute, so a stalled disk does not flood the log as well.</summary>
    public TimeSpan DropWarningInterval { get; set; } = TimeSpan.FromMinutes(1);
}
