using System.Threading.Channels;
using Appliance.Server.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Delivery;

/// <summary>
/// The bounded, queryable log of SMTP transactions and delivery attempts (issue 5), read by the
/// admin's Logs page and queue view (issue 7).
/// </summary>
/// <remarks>
/// <see cref="Record(SmtpTransactionRecord)"/> only puts the record into a bounded channel: it never
/// waits for the disk and never throws. When the channel is full the record is dropped and counted
/// (<see cref="DroppedCount"/>), with at most one warning per <see cref="DeliveryLogOptions.DropWarningInterval"/>.
/// One background writer takes what has arrived (up to <see cref="DeliveryLogOptions.BatchSize"/>),
/// writes it to {DataPath}/log/delivery.db in one transaction and prunes by age and count in the same
/// transaction. The host flushes it at stop; <see cref="CompleteAsync"/> (called by Dispose) stops
/// taking records and lets the writer finish everything recorded before.
/// </remarks>
internal sealed class DeliveryLog : IDeliveryLog, IAsyncDisposable, IDisposable
{
    private readonly DeliveryLogStore store;
    private readonly DeliveryLogOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly Channel<object> channel;
    private readonly Lazy<Task> schema;
    private readonly object startLock = new();
    private Task? writer;
    private long dropped;
    private long lastDropWarningTicks = long.MinValue;

    public DeliveryLog(ApplianceOptions appliance, IOptions<DeliveryLogOptions> options, TimeProvider time, ILogger<DeliveryLog>? logger = null)
        : this(appliance, options, time, logger, startWriter: true)
    {
    }

    /// <param name="startWriter">False for tests that need the channel to fill up; they call <see cref="StartWriter"/>.</param>
    internal DeliveryLog(ApplianceOptions appliance, IOptions<DeliveryLogOptions> options, TimeProvider time, ILogger<DeliveryLog>? logger, bool startWriter)
    {
        this.options = options.Value;
        this.time = time;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
        store = new DeliveryLogStore(appliance.DataPath);
        channel = Channel.CreateBounded<object>(new BoundedChannelOptions(Math.Max(1, this.options.QueueCapacity))
        {
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: refused (and counted) rather than silently dropped
            SingleReader = true,
            SingleWriter = false,
        });
        schema = new Lazy<Task>(() => Task.Run(store.EnsureSchema));
        if (startWriter)
        {
            StartWriter();
        }
    }

    /// <summary>Records refused because the channel was full (or the log had stopped) since start.</summary>
    public long DroppedCount => Interlocked.Read(ref dropped);

    internal string DatabasePath => store.FilePath;

    public void Record(SmtpTransactionRecord transaction) => Enqueue(transaction);

    public void Record(DeliveryAttemptRecord attempt) => Enqueue(attempt);

    public async Task<IReadOnlyList<SmtpTransactionRecord>> QueryTransactionsAsync(DeliveryLogQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await schema.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        int limit = Limit(query);
        return await Task.Run(() => store.QueryTransactions(query, limit), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<DeliveryAttemptRecord>> QueryAttemptsAsync(DeliveryLogQuery query, string? queueId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await schema.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        int limit = Limit(query);
        return await Task.Run(() => store.QueryAttempts(query, queueId, limit), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyDictionary<DeliveryAttemptOutcome, int>> CountAttemptsAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await schema.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await Task.Run(() => store.CountAttempts(since), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until everything recorded before this call is written (or dropped because the writer failed).</summary>
    internal async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var marker = new FlushMarker();
        try
        {
            // A marker waits for room, unlike a record: the caller asked to wait.
            await channel.Writer.WriteAsync(marker, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            await (writer ?? Task.CompletedTask).ConfigureAwait(false);
            return;
        }
        await marker.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops accepting records and waits until the writer has written all it holds.</summary>
    public async Task CompleteAsync()
    {
        channel.Writer.TryComplete();
        Task? running;
        lock (startLock)
        {
            running = writer;
        }
        if (running is not null)
        {
            await running.ConfigureAwait(false);
        }
    }

    internal void StartWriter()
    {
        lock (startLock)
        {
            writer ??= Task.Run(RunWriterAsync);
        }
    }

    public ValueTask DisposeAsync() => new(CompleteAsync());

    public void Dispose() => CompleteAsync().GetAwaiter().GetResult();

    private int Limit(DeliveryLogQuery query) => Math.Clamp(query.Limit, 1, Math.Max(1, options.MaxQueryLimit));

    private void Enqueue(object? record)
    {
        if (record is null)
        {
            return;
        }
        if (channel.Writer.TryWrite(record))
        {
            return;
        }
        long count = Interlocked.Increment(ref dropped);
        try
        {
            long now = time.GetUtcNow().UtcTicks;
            long last = Interlocked.Read(ref lastDropWarningTicks);
            if ((last == long.MinValue || now - last >= options.DropWarningInterval.Ticks)
                && Interlocked.CompareExchange(ref lastDropWarningTicks, now, last) == last)
            {
                DeliveryLogEvents.Dropped(logger, count, options.QueueCapacity);
            }
        }
        catch (Exception)
        {
            // A logging provider that throws must not fail an SMTP session.
        }
    }

    private async Task RunWriterAsync()
    {
        SqliteConnection? connection = null;
        try
        {
            await schema.Value.ConfigureAwait(false);
            connection = store.Open();
        }
        catch (Exception e)
        {
            DeliveryLogEvents.OpenFailed(logger, e, store.FilePath);
        }
        try
        {
            List<object> batch = new(options.BatchSize);
            List<FlushMarker> markers = [];
            ChannelReader<object> reader = channel.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (batch.Count < options.BatchSize && reader.TryRead(out object? item))
                {
                    if (item is FlushMarker marker)
                    {
                        markers.Add(marker);
                        break; // write what came before the marker, then release its waiter
                    }
                    batch.Add(item);
                }
                Write(connection, batch);
                batch.Clear();
                foreach (FlushMarker marker in markers)
                {
                    marker.Done.TrySetResult();
                }
                markers.Clear();
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private void Write(SqliteConnection? connection, List<object> batch)
    {
        if (batch.Count == 0)
        {
            return;
        }
        if (connection is null)
        {
            Interlocked.Add(ref dropped, batch.Count);
            return;
        }
        try
        {
            var (transactions, attempts) = store.WriteBatch(connection, batch, time.GetUtcNow(), options);
            if (transactions + attempts > 0)
            {
                DeliveryLogEvents.Pruned(logger, transactions, attempts);
            }
        }
        catch (Exception e)
        {
            Interlocked.Add(ref dropped, batch.Count);
            DeliveryLogEvents.WriteFailed(logger, e, batch.Count);
        }
    }

    private sealed class FlushMarker
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
