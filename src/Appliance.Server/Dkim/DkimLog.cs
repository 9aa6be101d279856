using Microsoft.Extensions.Logging;

namespace Appliance.Server.Dkim;

/// <summary>Log events of DKIM key management and outbound signing (event ids 1500-1599).</summary>
internal static partial class DkimLog
{
    [LoggerMessage(EventId = 1500, Level = LogLevel.Information, Message = "DKIM key {Selector} created for {Domain}")]
    public static partial void KeyCreated(ILogger logger, string domain, string selector);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Information, Message = "DKIM key {Selector} of {Domain} retired")]
    public static partial void KeyRetired(ILogger logger, string domain, string selector);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Gave {Count} domain(s) without a DKIM key a new key at start-up")]
    public static partial void KeysBackfilled(ILogger logger, int count);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Error, Message = "Could not give domains without a DKIM key a new key at start-up; their mail goes out unsigned")]
    public static partial void BackfillFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1510, Level = LogLevel.Error,
        Message = "The DKIM key {Selector} of {Domain} cannot be decrypted (was the key ring in <data>/keys lost or replaced?); mail from {Domain} goes out unsigned")]
    public static partial void KeyUnreadable(ILogger logger, Exception exception, string domain, string selector);

    [LoggerMessage(EventId = 1511, Level = LogLevel.Warning, Message = "Message from {Domain} not DKIM-signed: {Reason}")]
    public static partial void NotSigned(ILogger logger, string domain, string reason);
}
