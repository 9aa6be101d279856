using Microsoft.Extensions.Logging;

namespace Appliance.Server.Delivery.Outbound;

/// <summary>
/// Log messages of the outbound queue, the delivery worker and the SMTP client. Event ids
/// 1600-1699 belong to this area and never change meaning. AUTH payloads are never logged.
/// </summary>
internal static partial class OutboundLog
{
    [LoggerMessage(EventId = 1600, Level = LogLevel.Information,
        Message = "Queued {QueueId} from <{ReversePath}> to {Count} recipients, {Size} octets ({Origin})")]
    public static partial void Enqueued(this ILogger logger, string queueId, string reversePath, int count, long size, string origin);

    [LoggerMessage(EventId = 1601, Level = LogLevel.Debug, Message = "{Host} <<< {Line}")]
    public static partial void Received(this ILogger logger, string host, string line);

    [LoggerMessage(EventId = 1602, Level = LogLevel.Debug, Message = "{Host} >>> {Line}")]
    public static partial void Sent(this ILogger logger, string host, string line);

    [LoggerMessage(EventId = 1603, Level = LogLevel.Warning,
        Message = "{Host} sent {Count} octets after its STARTTLS reply, before the TLS handshake; discarded")]
    public static partial void StartTlsDiscarded(this ILogger logger, string host, int count);

    [LoggerMessage(EventId = 1604, Level = LogLevel.Information, Message = "TLS with {Host} [{Address}] failed: {Reason}")]
    public static partial void TlsFailed(this ILogger logger, string host, string address, string reason);

    [LoggerMessage(EventId = 1605, Level = LogLevel.Information, Message = "Retrying {Host} [{Address}] without STARTTLS after a failed handshake")]
    public static partial void RetryingWithoutTls(this ILogger logger, string host, string address);

    [LoggerMessage(EventId = 1606, Level = LogLevel.Information, Message = "Session with {Host} [{Address}] failed: {Reason}")]
    public static partial void SessionFailed(this ILogger logger, string host, string address, string reason);

    [LoggerMessage(EventId = 1607, Level = LogLevel.Information,
        Message = "{QueueId} to <{Recipient}>: {Outcome} via {RemoteHost}: {Reply}")]
    public static partial void Attempt(this ILogger logger, string queueId, string recipient, DeliveryAttemptOutcome outcome, string remoteHost, string reply);

    [LoggerMessage(EventId = 1608, Level = LogLevel.Information, Message = "{QueueId}: delivery status notification {DsnId} queued to <{Sender}> for {Count} recipients")]
    public static partial void DsnQueued(this ILogger logger, string queueId, string dsnId, string sender, int count);

    [LoggerMessage(EventId = 1609, Level = LogLevel.Error, Message = "Delivery of {QueueId} to {Destination} failed unexpectedly; the recipients stay queued")]
    public static partial void DeliveryCrashed(this ILogger logger, string queueId, string destination, Exception exception);

    [LoggerMessage(EventId = 1610, Level = LogLevel.Error, Message = "The queue worker's scan failed; trying again at the next poll")]
    public static partial void ScanFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1611, Level = LogLevel.Warning, Message = "{QueueId}: the message file is missing; its {Count} recipients are dropped")]
    public static partial void MessageFileMissing(this ILogger logger, string queueId, int count);

    [LoggerMessage(EventId = 1612, Level = LogLevel.Information, Message = "Removed {Count} spool files without queue rows (left by a crash before their enqueue finished)")]
    public static partial void OrphansRemoved(this ILogger logger, int count);
}
