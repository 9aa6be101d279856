using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Listeners;

/// <summary>
/// Knows how many mail sessions are open and tells them when the server stops. On
/// ApplicationStopping every session's <see cref="MailConnection.Stopping"/> fires: the engine says
/// goodbye (421 / * BYE / -ERR) and returns; Kestrel then waits for the handlers up to the host's
/// shutdown timeout (<see cref="ListenerLimitsOptions.ShutdownTimeout"/>) before aborting the rest.
/// </summary>
internal sealed class MailSessionTracker
{
    private readonly Lock _lock = new();
    private int _active;
    private TaskCompletionSource? _drained;

    public MailSessionTracker(IHostApplicationLifetime lifetime, ILogger<MailSessionTracker> logger)
    {
        Stopping = lifetime.ApplicationStopping;
        Stopping.Register(() => logger.Draining(ActiveCount));
    }

    /// <summary>Fires when the server begins to stop.</summary>
    public CancellationToken Stopping { get; }

    public int ActiveCount
    {
        get
        {
            lock (_lock)
                return _active;
        }
    }

    /// <summary>Counts the session until the returned handle is disposed.</summary>
    public IDisposable Track()
    {
        lock (_lock)
            _active++;
        return new Registration(this);
    }

    /// <summary>Completes when no session is open (at once when none is).</summary>
    public Task WaitForDrainAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_active == 0)
                return Task.CompletedTask;
            _drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task.WaitAsync(cancellationToken);
        }
    }

    private void Release()
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (--_active == 0)
            {
                drained = _drained;
                _drained = null;
            }
        }
        drained?.TrySetResult();
    }

    private sealed class Registration(MailSessionTracker owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                owner.Release();
        }
    }
}
