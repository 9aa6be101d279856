namespace Appliance.Acme.Tests;

/// <summary>
/// A clock whose timers fire at once and remember how long they were asked to wait, so tests of
/// Retry-After see the client's waits without waiting. <see cref="Now"/> is fixed.
/// </summary>
internal sealed class RecordingTimeProvider(DateTimeOffset now) : TimeProvider
{
    private readonly List<TimeSpan> _waits = [];

    public DateTimeOffset Now { get; } = now;

    public IReadOnlyList<TimeSpan> Waits
    {
        get { lock (_waits) return _waits.ToList(); }
    }

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ImmediateTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class ImmediateTimer(RecordingTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime == Timeout.InfiniteTimeSpan)
                return true;
            lock (owner._waits)
                owner._waits.Add(dueTime);
            ThreadPool.QueueUserWorkItem(_ => callback(state));
            return true;
        }

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
