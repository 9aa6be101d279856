using System.Net;
using Appliance.Server.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Listeners;

/// <summary>
/// Runs before every mail connection handler: opens the logging scope, does the implicit TLS
/// handshake on 465/993/995 (first, so that a refusal is readable by a client that speaks TLS
/// first), applies the per-address limit, counts the session for the shutdown drain, and hands
/// the engine a <see cref="MailConnection"/>.
/// </summary>
internal sealed class MailConnectionMiddleware
{
    private readonly ConnectionDelegate _next;
    private readonly ListenerKind _kind;
    private readonly ApplianceOptions _options;
    private readonly PerIpConnectionLimiter _limiter;
    private readonly MailSessionTracker _tracker;
    private readonly StartTlsUpgrader _startTls;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    public MailConnectionMiddleware(ConnectionDelegate next, ListenerKind kind, IServiceProvider services)
    {
        _next = next;
        _kind = kind;
        _options = services.GetRequiredService<ApplianceOptions>();
        _limiter = services.GetRequiredService<PerIpConnectionLimiter>();
        _tracker = services.GetRequiredService<MailSessionTracker>();
        _startTls = services.GetRequiredService<StartTlsUpgrader>();
        _time = services.GetRequiredService<TimeProvider>();
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Appliance.Server.Listeners." + kind);
    }

    public async Task OnConnectionAsync(ConnectionContext context)
    {
        var protocol = _kind.Protocol();
        using var scope = _logger.BeginConnectionScope(context.ConnectionId, context.RemoteEndPoint?.ToString() ?? "unknown", _kind);

        await using var connection = new MailConnection(
            context, _kind, _options.Hostname, _options.Listeners.Limits.IdleTimeout(protocol),
            _tracker.Stopping, _startTls, _time, _logger);

        if (connection.Stopping.IsCancellationRequested)
        {
            // Accepted in the moment between ApplicationStopping and Kestrel unbinding.
            _logger.RefusedWhileStopping();
            await TryWriteAsync(context, MailReplies.ShuttingDown(protocol, _options.Hostname));
            return;
        }

        if (_kind.IsImplicitTls() && !(await _startTls.AcceptImplicitAsync(connection)).Succeeded)
            return; // the upgrader logged why; a failed handshake leaves nothing to say in cleartext

        IPAddress? address = connection.RemoteAddress;
        if (!_limiter.TryAcquire(protocol, address, out var lease, out int current))
        {
            _logger.TooManyConnections(address!.ToString(), current, _options.Listeners.Limits.ConnectionsPerAddress(protocol));
            await TryWriteAsync(context, MailReplies.TooManyConnections(protocol, _options.Hostname));
            return; // returning closes the connection (Kestrel flushes what was written first)
        }

        using (lease)
        using (_tracker.Track())
        {
            context.Features.Set(connection);
            _logger.ConnectionOpened(_tracker.ActiveCount);
            try
            {
                await _next(context);
            }
            finally
            {
                _logger.ConnectionClosed();
            }
        }
    }

    private static async Task TryWriteAsync(ConnectionContext context, byte[] reply)
    {
        try
        {
            await context.Transport.Output.WriteAsync(reply);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or OperationCanceledException)
        {
            // The client left before hearing why; the refusal stands either way.
        }
    }
}
