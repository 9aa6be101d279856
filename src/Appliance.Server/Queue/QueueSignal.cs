using System.Threading.Channels;

namespace Appliance.Server.Queue;

/// <summary>
/// Wakes the delivery worker: set when mail is enqueued or a delivery finishes, so fresh mail goes
/// out without waiting for the next poll. Wake-ups coalesce (at most one is pending).
/// </summary>
internal sealed class QueueSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    public void Wake() => _channel.Writer.TryWrite(true);

    /// <summary>Returns when woken, or after <paramref name="timeout"/> on <paramref name="time"/>'s clock.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken ct)
    {
        if (_channel.Reader.TryRead(out _))
            return;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var read = _channel.Reader.WaitToReadAsync(cts.Token).AsTask();
        var delay = Task.Delay(timeout, time, cts.Token);
        await Task.WhenAny(read, delay);
        cts.Cancel();
        ct.ThrowIfCancellationRequested();
        _channel.Reader.TryRead(out _);
    }
}
