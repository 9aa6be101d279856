using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Listeners;

/// <summary>
/// What an engine knows about its connection beyond Kestrel's <see cref="ConnectionContext"/>:
/// which endpoint it came in on, TLS state, the idle-timed read, STARTTLS, and the shutdown signal.
/// The listener middleware creates it before the engine's handler runs; get it with
/// <see cref="From"/>.
/// </summary>
internal sealed class MailConnection : IAsyncDisposable
{
    private readonly IdleTimeoutReader _reader;
    private readonly StartTlsUpgrader _startTls;
    private readonly CancellationTokenSource _stopping;
    private readonly List<IAsyncDisposable> _disposables = [];

    internal MailConnection(
        ConnectionContext context, ListenerKind kind, string hostname, TimeSpan idleTimeout,
        CancellationToken serverStopping, StartTlsUpgrader startTls, TimeProvider time, ILogger logger)
    {
        Context = context;
        Kind = kind;
        Hostname = hostname;
        Logger = logger;
        _startTls = startTls;

        // Kestrel asks a connection to close (ConnectionClosedRequested) when it stops; the host
        // signals ApplicationStopping first. Either one means: say goodbye now.
        var closeRequested = context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        _stopping = CancellationTokenSource.CreateLinkedTokenSource(serverStopping, closeRequested);
        _reader = new IdleTimeoutReader(idleTimeout, _stopping.Token, time);
    }

    public ConnectionContext Context { get; }

    public ListenerKind Kind { get; }

    public MailProtocol Protocol => Kind.Protocol();

    /// <summary>The server's host name, for greetings and replies.</summary>
    public string Hostname { get; }

    public string ConnectionId => Context.ConnectionId;

    public EndPoint? RemoteEndPoint => Context.RemoteEndPoint;

    /// <summary>The client's address (IPv4-mapped IPv6 shown as IPv4), or null for a non-IP transport.</summary>
    public IPAddress? RemoteAddress
    {
        get
        {
            var address = (Context.RemoteEndPoint as IPEndPoint)?.Address;
            return address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
        }
    }

    /// <summary>The logger carrying the connection scope; engines may use their own (the scope flows to them too).</summary>
    public ILogger Logger { get; }

    /// <summary>Null while in cleartext; set before the handler runs for implicit TLS, and by <see cref="StartTlsAsync"/>.</summary>
    public TlsInfo? Tls { get; internal set; }

    public bool IsSecure => Tls is not null;

    /// <summary>Fires when the server is stopping: say the protocol's goodbye and end the session.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public TimeSpan IdleTimeout => _reader.IdleTimeout;

    /// <summary>The current input; changes after STARTTLS, so never cache it across that command.</summary>
    public PipeReader Input => Context.Transport.Input;

    /// <summary>The current output; changes after STARTTLS, so never cache it across that command.</summary>
    public PipeWriter Output => Context.Transport.Output;

    /// <summary>
    /// Reads <see cref="Input"/> with the protocol's idle timeout (or <paramref name="idleTimeout"/>
    /// for this one read, e.g. a shorter wait for an AUTH continuation) and the shutdown signal.
    /// </summary>
    public ValueTask<TimedReadResult> ReadAsync(TimeSpan? idleTimeout = null, CancellationToken cancellationToken = default) =>
        _reader.ReadAsync(Input, idleTimeout, cancellationToken);

    /// <summary>
    /// Upgrades to TLS after the engine accepted STARTTLS/STLS and advanced <see cref="Input"/> past
    /// that command line. See <see cref="StartTlsUpgrader.UpgradeAsync"/>.
    /// </summary>
    public Task<StartTlsResult> StartTlsAsync(ReadOnlyMemory<byte> readyReply, CancellationToken cancellationToken = default) =>
        _startTls.UpgradeAsync(this, readyReply, cancellationToken);

    /// <summary>Writes and flushes one reply.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> reply, CancellationToken cancellationToken = default) =>
        await Output.WriteAsync(reply, cancellationToken).ConfigureAwait(false);

    /// <summary>Sends the protocol's goodbye for an interrupted read (idle timeout or shutdown) and logs it.</summary>
    public async ValueTask SayGoodbyeAsync(ReadInterruption interruption)
    {
        byte[] reply;
        if (interruption == ReadInterruption.IdleTimeout)
        {
            Logger.IdleTimeout(IdleTimeout);
            reply = MailReplies.IdleTimeout(Protocol, Hostname);
        }
        else
        {
            Logger.ClosingForShutdown();
            reply = MailReplies.ShuttingDown(Protocol, Hostname);
        }
        try
        {
            await WriteAsync(reply).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or OperationCanceledException)
        {
            // The client is gone already; there is nobody left to say goodbye to.
        }
    }

    /// <summary>Disposed when the connection ends, in reverse order (the STARTTLS pipes and stream).</summary>
    internal void RegisterForDispose(IAsyncDisposable disposable) => _disposables.Add(disposable);

    public static MailConnection From(ConnectionContext context) =>
        context.Features.Get<MailConnection>()
        ?? throw new InvalidOperationException("No MailConnection: the endpoint was not set up with UseMailEndpoint().");

    public async ValueTask DisposeAsync()
    {
        for (int i = _disposables.Count - 1; i >= 0; i--)
        {
            try
            {
                await _disposables[i].DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Closing a connection the peer already dropped; nothing to report.
            }
        }
        _disposables.Clear();
        _stopping.Dispose();
    }
}
