using Microsoft.Extensions.Logging;

namespace Appliance.Server.Delivery;

/// <summary>Log events of the delivery log's writer (event ids 1700-1799).</summary>
internal static partial class DeliveryLogEvents
{
    [LoggerMessage(EventId = 1700, Level = LogLevel.Warning,
        Message = "The delivery log cannot keep up: {Dropped} record(s) dropped so far (queue of {Capacity} full)")]
    public static partial void Dropped(ILogger logger, long dropped, int capacity);

    [LoggerMessage(EventId = 1701, Level = LogLevel.Error, Message = "The delivery log database {Path} cannot be opened; records are dropped")]
    public static partial void OpenFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 1702, Level = LogLevel.Error, Message = "Writing {Count} record(s) to the delivery log failed; they are lost")]
    public static partial void WriteFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 1703, Level = LogLevel.Debug, Message = "Delivery log pruned: {Transactions} transaction(s) and {Attempts} attempt(s) removed")]
    public static partial void Pruned(ILogger logger, int transactions, int attempts);
}
