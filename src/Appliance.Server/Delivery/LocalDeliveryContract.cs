namespace Appliance.Server.Delivery;

public enum LocalDeliveryStatus
{
    /// <summary>Appended durably to every mailbox the address resolves to.</summary>
    Delivered,
    /// <summary>No mailbox, alias or catch-all takes it: permanent (5.1.1).</summary>
    UnknownRecipient,
    /// <summary>The mailbox or domain is disabled: permanent (5.2.1).</summary>
    Disabled,
    /// <summary>Over quota: temporary (4.2.2), retry later.</summary>
    OverQuota,
    /// <summary>Our own failure (disk, store): temporary (4.3.0), retry later.</summary>
    TemporaryFailure,
}

/// <param name="Recipient">The address as given.</param>
/// <param name="Detail">Human-readable reason, for the reply text, the log and a DSN.</param>
public sealed record LocalDeliveryResult(string Recipient, LocalDeliveryStatus Status, string Detail);

/// <summary>
/// Delivers a message to addresses in our own domains: aliases, plus-addressing and catch-all
/// are expanded; each mailbox gets one copy in INBOX (or Junk), appended durably; external
/// alias destinations are queued with an SRS sender. Used by the SMTP session and by the queue
/// (DSNs to local senders, messages from `appliance sendmail`).
/// </summary>
public interface ILocalDelivery
{
    /// <summary>
    /// Returns one result per recipient, in order, only after every Delivered copy is durable.
    /// <paramref name="message"/> is the message as received (CRLF); Return-Path is added here.
    /// </summary>
    Task<IReadOnlyList<LocalDeliveryResult>> DeliverAsync(
        string reversePath, IReadOnlyList<string> recipients, Stream message, CancellationToken cancellationToken = default);
}
