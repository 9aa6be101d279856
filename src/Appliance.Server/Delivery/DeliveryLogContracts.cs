namespace Appliance.Server.Delivery;

/// <summary>One SMTP transaction as the server saw it (accepted or refused), for the admin Logs page.</summary>
/// <param name="Listener">"smtp", "submission" or "smtps".</param>
/// <param name="ClientAddress">The client's IP address as text (omitted by nobody: this log is the admin's, not a header).</param>
/// <param name="Tls">"TLSv1.3 with cipher ..." or null for cleartext.</param>
/// <param name="ReversePath">MAIL FROM; "" is the null sender; null when the transaction never got a MAIL.</param>
/// <param name="Size">Message octets received (0 when refused before DATA).</param>
/// <param name="ReplyCode">The final reply (250, 550, 452 ...).</param>
/// <param name="QueueId">The outbound queue id when remote recipients were queued.</param>
public sealed record SmtpTransactionRecord(
    DateTimeOffset Time,
    string Listener,
    string ClientAddress,
    string? Helo,
    string? Tls,
    string? AuthenticatedUser,
    string? ReversePath,
    IReadOnlyList<string> Recipients,
    long Size,
    int ReplyCode,
    string ReplyText,
    string? QueueId);

public enum DeliveryAttemptOutcome
{
    Delivered,
    /// <summary>A 4xx or a connection failure: will be retried.</summary>
    Deferred,
    /// <summary>A 5xx, a null MX, or the retry period ran out: a DSN goes to the sender.</summary>
    Failed,
}

/// <summary>One outbound delivery attempt for one recipient.</summary>
/// <param name="RemoteHost">The MX (or smarthost) name tried, or null when none was reached.</param>
/// <param name="Tls">"TLSv1.3 with cipher ... (verified)" / "(unverified)", or null for cleartext.</param>
public sealed record DeliveryAttemptRecord(
    DateTimeOffset Time,
    string QueueId,
    string Recipient,
    string? RemoteHost,
    string? RemoteAddress,
    string? Tls,
    int? ReplyCode,
    string ReplyText,
    DeliveryAttemptOutcome Outcome);

/// <summary>Filters of the Logs page; all optional, newest first.</summary>
/// <param name="Text">Matches client address, HELO, user, sender, a recipient, reply text or queue id (case-insensitive substring).</param>
public sealed record DeliveryLogQuery(string? Text = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null, int Limit = 100);

/// <summary>
/// The bounded, queryable log of SMTP transactions and delivery attempts. Recording never blocks a
/// session on disk I/O and never fails it.
/// </summary>
public interface IDeliveryLog
{
    void Record(SmtpTransactionRecord transaction);

    void Record(DeliveryAttemptRecord attempt);

    Task<IReadOnlyList<SmtpTransactionRecord>> QueryTransactionsAsync(DeliveryLogQuery query, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<DeliveryAttemptRecord>> QueryAttemptsAsync(DeliveryLogQuery query, string? queueId = null, CancellationToken cancellationToken = default);

    /// <summary>Delivery attempts since a moment, counted by outcome (the dashboard's last hour), with no row limit.</summary>
    Task<IReadOnlyDictionary<DeliveryAttemptOutcome, int>> CountAttemptsAsync(DateTimeOffset since, CancellationToken cancellationToken = default);
}
