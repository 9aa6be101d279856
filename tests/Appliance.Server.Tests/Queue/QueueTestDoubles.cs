using Appliance.Server.Delivery;

namespace Appliance.Server.Tests.Queue;

/// <summary>An in-memory IDeliveryLog whose attempts a test can await.</summary>
internal sealed class RecordingDeliveryLog : IDeliveryLog
{
    private readonly List<DeliveryAttemptRecord> _attempts = [];
    private readonly List<(Func<IReadOnlyList<DeliveryAttemptRecord>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    public IReadOnlyList<DeliveryAttemptRecord> Attempts
    {
        get { lock (_attempts) return [.. _attempts]; }
    }

    public void Record(DeliveryAttemptRecord attempt)
    {
        lock (_attempts)
        {
            _attempts.Add(attempt);
            foreach (var waiter in _waiters.Where(w => w.Condition(_attempts)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }

    /// <summary>Waits (guard: 20 s) until <paramref name="count"/> recorded attempts match.</summary>
    public async Task<IReadOnlyList<DeliveryAttemptRecord>> WaitForAsync(Func<DeliveryAttemptRecord, bool> match, int count = 1)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_attempts)
        {
            bool Condition(IReadOnlyList<DeliveryAttemptRecord> all) => all.Count(match) >= count;
            if (Condition(_attempts))
                return _attempts.Where(match).ToList();
            _waiters.Add((Condition, done));
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        lock (_attempts)
            return _attempts.Where(match).ToList();
    }

    public void Record(SmtpTransactionRecord transaction)
    {
    }

    public Task<IReadOnlyList<SmtpTransactionRecord>> QueryTransactionsAsync(DeliveryLogQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SmtpTransactionRecord>>([]);

    public Task<IReadOnlyList<DeliveryAttemptRecord>> QueryAttemptsAsync(DeliveryLogQuery query, string? queueId = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeliveryAttemptRecord>>(Attempts.Where(a => queueId is null || a.QueueId == queueId).ToList());

    public Task<IReadOnlyDictionary<DeliveryAttemptOutcome, int>> CountAttemptsAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<DeliveryAttemptOutcome, int>>(Attempts.Where(a => a.Time >= since).GroupBy(a => a.Outcome).ToDictionary(g => g.Key, g => g.Count()));
}

/// <summary>One local delivery as the fake saw it.</summary>
internal sealed record LocalDelivered(string ReversePath, IReadOnlyList<string> Recipients, byte[] Message);

/// <summary>An ILocalDelivery that keeps what it is given and answers with <see cref="Status"/>.</summary>
internal sealed class FakeLocalDelivery : ILocalDelivery
{
    private readonly System.Threading.Channels.Channel<LocalDelivered> _deliveries = System.Threading.Channels.Channel.CreateUnbounded<LocalDelivered>();

    public Func<string, LocalDeliveryStatus> Status { get; set; } = _ => LocalDeliveryStatus.Delivered;

    public async Task<IReadOnlyList<LocalDeliveryResult>> DeliverAsync(
        string reversePath, IReadOnlyList<string> recipients, Stream message, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await message.CopyToAsync(buffer, cancellationToken);
        var results = recipients.Select(r => new LocalDeliveryResult(r, Status(r), $"fake local delivery: {Status(r)}")).ToList();
        if (results.Any(r => r.Status == LocalDeliveryStatus.Delivered))
            _deliveries.Writer.TryWrite(new LocalDelivered(reversePath, recipients, buffer.ToArray()));
        return results;
    }

    /// <summary>The next delivery that had at least one recipient delivered (guard: 20 s).</summary>
    public async Task<LocalDelivered> NextAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await _deliveries.Reader.ReadAsync(cts.Token);
    }

    public bool TryTake(out LocalDelivered? delivered) => _deliveries.Reader.TryRead(out delivered);
}
