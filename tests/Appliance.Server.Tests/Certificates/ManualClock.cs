namespace Appliance.Server.Tests.Certificates;

/// <summary>
/// A clock and timers the test moves by hand (Microsoft.Extensions.TimeProvider.Testing is not on
/// the package mirror). Timers fire only inside <see cref="AdvanceTo"/>, so code that waits with
/// Task.Delay(..., timeProvider) is driven without real sleeping; <see cref="WhenTimerArmedAsync"/>
/// tells the test when that code has gone back to waiting, and until when.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _armed = [];
    private readonly List<TaskCompletionSource<DateTimeOffset>> _waiters = [];
    private DateTimeOffset _now;

    public ManualClock(DateTimeOffset start) => _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
            return _now;
    }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>The earliest due time of an armed timer, as soon as one is armed.</summary>
    public Task<DateTimeOffset> WhenTimerArmedAsync()
    {
        lock (_lock)
        {
            if (_armed.Count > 0)
                return Task.FromResult(_armed.Min(timer => timer.DueAt));
            var waiter = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add(waiter);
            return waiter.Task;
        }
    }

    /// <summary>Moves the clock to <paramref name="when"/>, firing every timer due by then in due order.</summary>
    public void AdvanceTo(DateTimeOffset when)
    {
        while (true)
        {
            ManualTimer? next;
            lock (_lock)
            {
                next = _armed.Where(timer => timer.DueAt <= when).MinBy(timer => timer.DueAt);
                if (next is null)
                {
                    if (when > _now)
                        _now = when;
                    return;
                }
                if (next.DueAt > _now)
                    _now = next.DueAt;
                _armed.Remove(next);
                if (next.Period is { } period)
                    Arm(next, _now + period);
            }
            next.Fire();
        }
    }

    public void Advance(TimeSpan by) => AdvanceTo(GetUtcNow() + by);

    private void Arm(ManualTimer timer, DateTimeOffset dueAt)
    {
        timer.DueAt = dueAt;
        _armed.Add(timer);
        foreach (var waiter in _waiters)
            waiter.TrySetResult(_armed.Min(armed => armed.DueAt));
        _waiters.Clear();
    }

    private sealed class ManualTimer(ManualClock clock, TimerCallback callback, object? state) : ITimer
    {
        public DateTimeOffset DueAt { get; set; }

        public TimeSpan? Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._lock)
            {
                clock._armed.Remove(this);
                Period = period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero ? null : period;
                if (dueTime != Timeout.InfiniteTimeSpan)
                    clock.Arm(this, clock._now + dueTime);
            }
            return true;
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._lock)
                clock._armed.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
