using System.IO.Pipelines;

namespace Appliance.Server.Listeners;

/// <summary>Why a timed read returned without data.</summary>
internal enum ReadInterruption
{
    /// <summary>The read completed normally: look at <see cref="TimedReadResult.Result"/>.</summary>
    None,
    /// <summary>Nothing arrived within the idle timeout: send the protocol's goodbye and end the session.</summary>
    IdleTimeout,
    /// <summary>The server is stopping: send the protocol's goodbye and end the session.</summary>
    ShuttingDown,
}

internal readonly record struct TimedReadResult(ReadResult Result, ReadInterruption Interruption)
{
    public bool IsInterrupted => Interruption != ReadInterruption.None;
}

/// <summary>
/// Reads from a connection with an idle deadline and the shutdown signal, so that no engine has
/// to hand-roll timers: every read either returns data, or says why it stopped.
/// </summary>
internal sealed class IdleTimeoutReader
{
    private readonly TimeSpan _idleTimeout;
    private readonly CancellationToken _stopping;
    private readonly TimeProvider _time;

    public IdleTimeoutReader(TimeSpan idleTimeout, CancellationToken stopping, TimeProvider time)
    {
        _idleTimeout = idleTimeout;
        _stopping = stopping;
        _time = time;
    }

    public TimeSpan IdleTimeout => _idleTimeout;

    /// <summary>
    /// One <see cref="PipeReader.ReadAsync"/> bounded by the idle timeout (the protocol's, unless
    /// <paramref name="idleTimeout"/> overrides it for this read) and the shutdown signal. The caller
    /// advances the reader as usual when data came back. A cancelled <paramref name="cancellationToken"/>
    /// (the caller's own) still throws.
    /// </summary>
    public async ValueTask<TimedReadResult> ReadAsync(PipeReader reader, TimeSpan? idleTimeout = null, CancellationToken cancellationToken = default)
    {
        if (_stopping.IsCancellationRequested)
            return new TimedReadResult(default, ReadInterruption.ShuttingDown);

        // A fresh source per read: cheap next to a network read, and it cannot leak a pending
        // timer into the next command the way a reused, half-reset source can.
        using var deadline = new CancellationTokenSource(idleTimeout ?? _idleTimeout, _time);
        using var stoppingRegistration = _stopping.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        using var callerRegistration = cancellationToken.UnsafeRegister(static state => ((CancellationTokenSource)state!).Cancel(), deadline);
        try
        {
            var result = await reader.ReadAsync(deadline.Token).ConfigureAwait(false);
            return new TimedReadResult(result, ReadInterruption.None);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new TimedReadResult(default, _stopping.IsCancellationRequested ? ReadInterruption.ShuttingDown : ReadInterruption.IdleTimeout);
        }
    }
}
