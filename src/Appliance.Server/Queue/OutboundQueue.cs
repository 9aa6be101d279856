using Appliance.Server.Delivery.Outbound;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Queue;

/// <summary>
/// The durable outbound spool (issue 5, "Outbound queue"). <see cref="EnqueueAsync"/> returns
/// only when the message file is fsynced and renamed into place, its directory fsynced, and the
/// rows committed with synchronous=FULL: after that a crash loses nothing, so the caller may
/// answer 250 (RFC 5321 6.1: "the receiver-SMTP MUST NOT lose the message").
/// </summary>
internal sealed class OutboundQueue : IOutboundQueue
{
    private readonly QueueStore _store;
    private readonly QueueSignal _signal;
    private readonly TimeProvider _time;
    private readonly ILogger<OutboundQueue> _logger;

    public OutboundQueue(QueueStore store, QueueSignal signal, TimeProvider time, ILogger<OutboundQueue> logger)
    {
        _store = store;
        _signal = signal;
        _time = time;
        _logger = logger;
    }

    internal QueueStore Store => _store;

    public async Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(envelope.ReversePath);
        if (envelope.Recipients.Count == 0)
            throw new ArgumentException("A message needs at least one recipient.", nameof(envelope));
        if (envelope.Recipients.Any(r => string.IsNullOrWhiteSpace(r.Address) || !r.Address.Contains('@')))
            throw new ArgumentException("Every recipient needs an address with a domain.", nameof(envelope));

        _store.EnsureCreated();
        string id = QueueStore.NewId();
        long size = await _store.WriteMessageFileAsync(id, message, cancellationToken);
        var now = _time.GetUtcNow();
        var row = new QueuedMessage(id, envelope.ReversePath, envelope.EnvelopeId, envelope.Return,
            envelope.RequiresSmtpUtf8, envelope.EightBitMime, envelope.Origin, size, now);
        try
        {
            // Not cancellable past this point: the file is in place and must get its rows.
            await Task.Run(() => _store.Insert(row, envelope.Recipients, now), CancellationToken.None);
        }
        catch
        {
            try { File.Delete(_store.MessagePath(id)); } catch (IOException) { }
            throw;
        }
        _logger.Enqueued(id, envelope.ReversePath, envelope.Recipients.Count, size, envelope.Origin);
        _signal.Wake();
        // A worker in another process (the server, when this is `appliance sendmail`) wakes too.
        _store.TouchWake();
        return id;
    }
}
