using Microsoft.Extensions.Logging;

namespace Appliance.Server.Listeners;

/// <summary>
/// Log messages of the listener plumbing. Event ids 1100-1199 belong to this area and never change
/// meaning (certificates use 1200-1299).
/// </summary>
internal static partial class ListenerLog
{
    private static readonly Func<ILogger, string, string, ListenerKind, IDisposable?> ConnectionScope =
        LoggerMessage.DefineScope<string, string, ListenerKind>("Connection {ConnectionId} from {RemoteEndPoint} on {Listener}");

    /// <summary>Every log line of one connection (plumbing and engine alike) carries this scope.</summary>
    public static IDisposable? BeginConnectionScope(this ILogger logger, string connectionId, string remoteEndPoint, ListenerKind listener) =>
        ConnectionScope(logger, connectionId, remoteEndPoint, listener);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Connection opened ({Active} mail sessions active)")]
    public static partial void ConnectionOpened(this ILogger logger, int active);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Connection closed")]
    public static partial void ConnectionClosed(this ILogger logger);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning,
        Message = "Refused: {Count} connections from {Address} already open, limit {Limit}")]
    public static partial void TooManyConnections(this ILogger logger, string address, int count, int limit);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "Refused: the server is shutting down")]
    public static partial void RefusedWhileStopping(this ILogger logger);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Information, Message = "Idle for {IdleTimeout}, closing")]
    public static partial void IdleTimeout(this ILogger logger, TimeSpan idleTimeout);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Server shutting down, closing the session")]
    public static partial void ClosingForShutdown(this ILogger logger);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning,
        Message = "Discarded {Count} bytes the client sent after STARTTLS before the TLS handshake (command injection attempt or broken pipelining)")]
    public static partial void StartTlsDiscarded(this ILogger logger, int count);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Debug, Message = "TLS established: {Tls}")]
    public static partial void TlsEstablished(this ILogger logger, TlsInfo tls);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Information, Message = "TLS handshake failed: {Status}")]
    public static partial void TlsHandshakeFailed(this ILogger logger, StartTlsStatus status, Exception? exception);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Information,
        Message = "Shutting down: {Active} mail sessions asked to say goodbye and close")]
    public static partial void Draining(this ILogger logger, int active);

    [LoggerMessage(EventId = 1110, Level = LogLevel.Information, Message = "Placeholder handler: {Reason}")]
    public static partial void PlaceholderSessionEnded(this ILogger logger, string reason);
}
