using System.Net;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Queue;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Delivery.Outbound;

// RFC 5321 5.1 (locating the target host: MX in preference order, random among equals, implicit
// MX, loops back to ourselves), 4.5.4.1 (retry strategy, give-up time), RFC 7505 (null MX),
// RFC 3461 / RFC 3464 (which failures are reported, and how).

/// <summary>
/// Takes due recipients from the queue, groups them by message and destination (one local
/// delivery, or one SMTP transaction per destination domain), delivers within the per-domain and
/// total concurrency limits, and records every outcome: delivered rows go, 4xx and connection
/// failures are retried with exponential backoff, 5xx and expiry bounce with a DSN.
/// </summary>
internal sealed class DeliveryWorker : BackgroundService
{
    /// <summary>Destination key of recipients in our own domains.</summary>
    private const string LocalDestination = "(local)";

    /// <summary>Destination key of everything remote when a smarthost relays all outbound mail.</summary>
    private const string SmarthostDestination = "(smarthost)";

    /// <summary>Spool files without rows are removed when older than this: far longer than any enqueue takes.</summary>
    private static readonly TimeSpan OrphanAge = TimeSpan.FromHours(1);

    private readonly QueueStore _store;
    private readonly QueueSignal _signal;
    private readonly IOutboundQueue _queue;
    private readonly SmtpDeliveryClient _client;
    private readonly IDnsResolver _dns;
    private readonly ILocalDelivery _local;
    private readonly RecipientResolver _resolver;
    private readonly IDeliveryLog _log;
    private readonly ApplianceOptions _options;
    private readonly QueueOptions _queueOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<DeliveryWorker> _logger;

    private readonly object _gate = new();
    private readonly HashSet<long> _inFlight = [];
    private readonly Dictionary<string, int> _perDestination = new(StringComparer.Ordinal);
    private readonly List<Task> _running = [];
    private int _active;

    /// <summary>
    /// Raised with the queue id after one delivery run of a message to one destination has
    /// recorded all its outcomes (rows updated or removed, DSN queued). Tests await it.
    /// </summary>
    internal event Action<string>? RunFinished;

    public DeliveryWorker(
        QueueStore store, QueueSignal signal, IOutboundQueue queue, SmtpDeliveryClient client, IDnsResolver dns,
        ILocalDelivery local, RecipientResolver resolver, IDeliveryLog log, ApplianceOptions options, TimeProvider time,
        ILogger<DeliveryWorker> logger)
    {
        _store = store;
        _signal = signal;
        _queue = queue;
        _client = client;
        _dns = dns;
        _local = local;
        _resolver = resolver;
        _log = log;
        _options = options;
        _queueOptions = options.Queue;
        _queueOptions.Validate();
        _time = time;
        _logger = logger;
    }

    private FileSystemWatcher? WatchWakeFile()
    {
        try
        {
            Directory.CreateDirectory(_store.Root);
            var watcher = new FileSystemWatcher(_store.Root, Path.GetFileName(_store.WakePath))
            {
                NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size,
            };
            watcher.Changed += (_, _) => _signal.Wake();
            watcher.Created += (_, _) => _signal.Wake();
            watcher.EnableRaisingEvents = true;
            return watcher;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException or ArgumentException)
        {
            // No watcher (e.g. out of inotify instances): the periodic poll still delivers.
            _logger.ScanFailed(e);
            return null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // `appliance sendmail` and `appliance queue retry` run in other processes: they touch the
        // wake file, and this watcher turns that into a wake-up instead of waiting for the poll.
        using var wake = WatchWakeFile();
        try
        {
            _store.EnsureCreated();
            int orphans = _store.RemoveOrphanFiles(_time.GetUtcNow() - OrphanAge);
            if (orphans > 0)
                _logger.OrphansRemoved(orphans);
        }
        catch (Exception e) when (e is IOException or Microsoft.Data.Sqlite.SqliteException or UnauthorizedAccessException)
        {
            _logger.ScanFailed(e);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait = _queueOptions.PollInterval;
            try
            {
                await DispatchAsync(stoppingToken);
                // Sleep until the next retry falls due, at most a poll interval. Rows due now but
                // not started (in flight, or over a limit) wait for the wake-up a finished delivery gives.
                var now = _time.GetUtcNow();
                if (_store.GetNextAttempt() is { } next && next > now && next - now < wait)
                    wait = next - now;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                _logger.ScanFailed(e);
            }
            try
            {
                await _signal.WaitAsync(wait, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Task[] running;
        lock (_gate)
            running = [.. _running];
        try
        {
            await Task.WhenAll(running);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task DispatchAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var due = _store.GetDue(now, _queueOptions.ScanBatchSize);
        List<QueuedRecipient> fresh;
        lock (_gate)
            fresh = due.Where(r => !_inFlight.Contains(r.RowId)).ToList();
        if (fresh.Count == 0)
            return;

        var groups = new Dictionary<(string MessageId, string Destination), List<QueuedRecipient>>();
        foreach (var row in fresh)
        {
            string destination = await DestinationOfAsync(row.Address, ct);
            var key = (row.MessageId, destination);
            if (!groups.TryGetValue(key, out var list))
                groups[key] = list = [];
            list.Add(row);
        }

        // RFC 5321 4.5.3.1.8: a server need take only 100 recipients per transaction; larger groups go in several.
        var batches = groups.SelectMany(g => g.Value.Chunk(_queueOptions.MaxRecipientsPerTransaction)
            .Select(chunk => (g.Key.MessageId, g.Key.Destination, Rows: chunk.ToList())));
        foreach (var (messageId, destination, rows) in batches)
        {
            lock (_gate)
            {
                int perDestination = _perDestination.GetValueOrDefault(destination);
                if (_active >= _queueOptions.MaxConnections || perDestination >= _queueOptions.MaxConnectionsPerDomain)
                    continue;
                _active++;
                _perDestination[destination] = perDestination + 1;
                foreach (var row in rows)
                    _inFlight.Add(row.RowId);
            }
            var task = Task.Run(() => RunGroupAsync(messageId, destination, rows, ct), CancellationToken.None);
            lock (_gate)
            {
                _running.Add(task);
                _running.RemoveAll(t => t.IsCompleted);
            }
        }
    }

    /// <summary>Ours (any status but NotLocal, as the resolver says), the smarthost, or the recipient's domain.</summary>
    private async Task<string> DestinationOfAsync(string address, CancellationToken ct)
    {
        var resolution = await _resolver.ResolveAsync(address, ct);
        if (resolution.Status != RecipientStatus.NotLocal)
            return LocalDestination;
        if (_queueOptions.Smarthost is not null)
            return SmarthostDestination;
        return DomainOf(address).ToLowerInvariant();
    }

    private static string DomainOf(string address)
    {
        int at = address.LastIndexOf('@');
        return at < 0 ? "" : address[(at + 1)..];
    }

    private async Task RunGroupAsync(string messageId, string destination, List<QueuedRecipient> rows, CancellationToken ct)
    {
        try
        {
            await DeliverGroupAsync(messageId, destination, rows, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: the rows stay as they were and are tried again after the restart.
        }
        catch (Exception e)
        {
            _logger.DeliveryCrashed(messageId, destination, e);
            try
            {
                // Defer, so that a bug does not turn into a hot loop on the same rows.
                var now = _time.GetUtcNow();
                foreach (var row in rows)
                    _store.Defer(row.RowId, now, now + Backoff(row.Attempts + 1), "451 4.3.0 internal error: " + e.Message, null);
            }
            catch (Exception inner)
            {
                _logger.ScanFailed(inner);
            }
        }
        finally
        {
            lock (_gate)
            {
                _active--;
                _perDestination[destination]--;
                if (_perDestination[destination] == 0)
                    _perDestination.Remove(destination);
                foreach (var row in rows)
                    _inFlight.Remove(row.RowId);
            }
            RunFinished?.Invoke(messageId);
            _signal.Wake();
        }
    }

    /// <summary>What happened to one recipient in one attempt.</summary>
    private sealed record Outcome(QueuedRecipient Row, SmtpRecipientStatus Status, SmtpReply Reply, string? RemoteHost, string? RemoteAddress, string? Tls);

    private async Task DeliverGroupAsync(string messageId, string destination, List<QueuedRecipient> rows, CancellationToken ct)
    {
        var message = _store.GetMessage(messageId);
        string path = _store.MessagePath(messageId);
        if (message is null || !File.Exists(path))
        {
            _logger.MessageFileMissing(messageId, rows.Count);
            _store.Complete(rows.Select(r => r.RowId).ToList());
            return;
        }

        IReadOnlyList<Outcome> outcomes = destination == LocalDestination
            ? await DeliverLocalAsync(message, path, rows, ct)
            : await DeliverRemoteAsync(message, path, destination, rows, ct);
        await ApplyAsync(message, path, outcomes, ct);
    }

    private async Task<IReadOnlyList<Outcome>> DeliverLocalAsync(QueuedMessage message, string path, List<QueuedRecipient> rows, CancellationToken ct)
    {
        IReadOnlyList<LocalDeliveryResult> results;
        await using (var content = File.OpenRead(path))
            results = await _local.DeliverAsync(message.ReversePath, rows.Select(r => r.Address).ToList(), content, ct);
        var outcomes = new List<Outcome>();
        for (int i = 0; i < rows.Count; i++)
        {
            var result = i < results.Count ? results[i] : new LocalDeliveryResult(rows[i].Address, LocalDeliveryStatus.TemporaryFailure, "no result");
            var (status, reply) = result.Status switch
            {
                LocalDeliveryStatus.Delivered => (SmtpRecipientStatus.Delivered, SmtpReply.Local(250, "2.0.0", result.Detail)),
                LocalDeliveryStatus.UnknownRecipient => (SmtpRecipientStatus.Failed, SmtpReply.Local(550, "5.1.1", result.Detail)),
                LocalDeliveryStatus.Disabled => (SmtpRecipientStatus.Failed, SmtpReply.Local(550, "5.2.1", result.Detail)),
                LocalDeliveryStatus.OverQuota => (SmtpRecipientStatus.Deferred, SmtpReply.Local(452, "4.2.2", result.Detail)),
                _ => (SmtpRecipientStatus.Deferred, SmtpReply.Local(451, "4.3.0", result.Detail)),
            };
            outcomes.Add(new Outcome(rows[i], status, reply, null, null, null));
        }
        return outcomes;
    }

    private async Task<IReadOnlyList<Outcome>> DeliverRemoteAsync(
        QueuedMessage message, string path, string destination, List<QueuedRecipient> rows, CancellationToken ct)
    {
        var route = destination == SmarthostDestination ? await ResolveSmarthostAsync(ct) : await ResolveMxAsync(destination, ct);
        if (route.Failure is not null)
        {
            var status = route.Failure.IsPermanent ? SmtpRecipientStatus.Failed : SmtpRecipientStatus.Deferred;
            return rows.Select(r => new Outcome(r, status, route.Failure, null, null, null)).ToList();
        }

        var recipients = rows.Select(r => new OutboundRecipient(r.Address, r.Notify, r.OriginalRecipient)).ToList();
        var smtpMessage = new SmtpMessage(message.ReversePath, recipients, message.EnvelopeId, message.Return,
            message.RequiresSmtpUtf8, message.EightBitMime, message.Size, () => File.OpenRead(path));
        SmtpDeliveryResult? result = null;
        SmtpTarget? used = null;
        // RFC 5321 5.1: try the hosts in order until one takes responsibility (or refuses for good).
        foreach (var target in route.Targets.Take(_queueOptions.MaxHostsPerAttempt))
        {
            used = target;
            result = await _client.SendAsync(target, smtpMessage, ct);
            if (!result.TryNextHost)
                break;
        }
        if (result is null || used is null)
        {
            var none = SmtpReply.Local(451, "4.4.4", $"no host to deliver to for {destination}");
            return rows.Select(r => new Outcome(r, SmtpRecipientStatus.Deferred, none, null, null, null)).ToList();
        }
        var outcomes = new List<Outcome>();
        for (int i = 0; i < rows.Count; i++)
        {
            var r = result.Recipients[i];
            outcomes.Add(new Outcome(rows[i], r.Status, r.Reply, used.HostName, used.Address.ToString(), result.Tls));
        }
        return outcomes;
    }

    private sealed record Route(IReadOnlyList<SmtpTarget> Targets, SmtpReply? Failure);

    private int RemotePort => _queueOptions.RemotePortOverride ?? 25;

    private async Task<Route> ResolveSmarthostAsync(CancellationToken ct)
    {
        var smarthost = _queueOptions.Smarthost!;
        var credentials = smarthost.Username is null ? null : new SmtpCredentials(smarthost.Username, smarthost.Password ?? "");
        var (addresses, temporary) = await AddressesAsync(smarthost.Host, ct);
        if (addresses.Count == 0)
            return new Route([], SmtpReply.Local(451, "4.4.3", $"the smarthost {smarthost.Host} has no address{(temporary ? " (DNS failure)" : "")}"));
        // RFC 8314 3.3: port 465 is TLS from the first byte.
        return new Route(addresses.Select(a => new SmtpTarget(smarthost.Host, a, smarthost.Port, smarthost.Port == 465, credentials, smarthost.RequireTls)).ToList(), null);
    }

    private async Task<Route> ResolveMxAsync(string domain, CancellationToken ct)
    {
        // RFC 5321 4.1.3: a domain literal names the host itself.
        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            string literal = domain[1..^1];
            if (literal.StartsWith("IPv6:", StringComparison.OrdinalIgnoreCase))
                literal = literal[5..];
            return IPAddress.TryParse(literal, out var ip)
                ? new Route([new SmtpTarget(domain, ip, RemotePort)], null)
                : new Route([], SmtpReply.Local(550, "5.1.2", $"bad address literal {domain}"));
        }

        var mx = await _dns.QueryAsync(domain, DnsRecordType.MX, ct);
        if (mx.Status.IsTemporaryFailure())
            return new Route([], SmtpReply.Local(451, "4.4.3", $"DNS lookup of the MX of {domain} failed: {mx.Status}"));
        if (mx.Status == DnsResponseStatus.NxDomain)
            return new Route([], SmtpReply.Local(550, "5.1.2", $"the domain {domain} does not exist"));

        List<(ushort Preference, string Host)> hosts;
        bool implicitMx = false;
        if (mx.Status == DnsResponseStatus.Success)
        {
            var records = mx.Records<MxRecord>().ToList();
            // RFC 7505 3: a single MX "0 ." says the domain accepts no mail; fail at once (RFC 7505 4.1: 556 5.1.10 at RCPT).
            if (records.Any(r => r.Exchange is "" or "."))
                return new Route([], SmtpReply.Local(556, "5.1.10", $"the domain {domain} accepts no mail (null MX)"));
            // RFC 5321 5.1: lowest preference first; among equals, random order to spread the load.
            hosts = records.OrderBy(r => r.Preference).ThenBy(_ => Random.Shared.Next())
                .Select(r => (r.Preference, r.Exchange.TrimEnd('.').ToLowerInvariant())).ToList();
            // RFC 5321 5.1: if we are one of the MX hosts, only the more preferred ones may be used.
            string self = _options.Hostname.TrimEnd('.').ToLowerInvariant();
            var mine = hosts.Where(h => h.Host == self).ToList();
            if (mine.Count > 0)
            {
                ushort ours = mine.Min(h => h.Preference);
                hosts = hosts.Where(h => h.Preference < ours).ToList();
                if (hosts.Count == 0)
                    return new Route([], SmtpReply.Local(554, "5.4.6", $"mail for {domain} loops back to myself"));
            }
        }
        else
        {
            // RFC 5321 5.1: no MX records: the domain itself is the implicit MX, preference 0.
            hosts = [(0, domain.ToLowerInvariant())];
            implicitMx = true;
        }

        var targets = new List<SmtpTarget>();
        bool anyTemporary = false;
        foreach (var (_, host) in hosts)
        {
            var (addresses, temporary) = await AddressesAsync(host, ct);
            anyTemporary |= temporary;
            targets.AddRange(addresses.Select(a => new SmtpTarget(host, a, RemotePort)));
        }
        if (targets.Count > 0)
            return new Route(targets, null);
        if (anyTemporary)
            return new Route([], SmtpReply.Local(451, "4.4.3", $"DNS lookup of the mail hosts of {domain} failed"));
        return implicitMx
            ? new Route([], SmtpReply.Local(550, "5.1.2", $"the domain {domain} has no MX and no address"))
            : new Route([], SmtpReply.Local(451, "4.4.4", $"no MX host of {domain} has an address"));
    }

    /// <summary>IPv6 then IPv4 addresses of a host (RFC 5321 5.2); an IP literal is itself.</summary>
    private async Task<(List<IPAddress> Addresses, bool Temporary)> AddressesAsync(string host, CancellationToken ct)
    {
        if (IPAddress.TryParse(host, out var literal))
            return ([literal], false);
        var aaaa = await _dns.QueryAsync(host, DnsRecordType.AAAA, ct);
        var a = await _dns.QueryAsync(host, DnsRecordType.A, ct);
        var addresses = aaaa.Records<AaaaRecord>().Select(r => r.Address).Concat(a.Records<ARecord>().Select(r => r.Address)).ToList();
        return (addresses, aaaa.Status.IsTemporaryFailure() || a.Status.IsTemporaryFailure());
    }

    /// <summary>RFC 5321 4.5.4.1: MinimumBackoff after the first failure, doubling, at most MaximumBackoff.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        double factor = Math.Pow(2, Math.Clamp(attempts - 1, 0, 30));
        var delay = TimeSpan.FromTicks((long)Math.Min(_queueOptions.MinimumBackoff.Ticks * factor, _queueOptions.MaximumBackoff.Ticks));
        return delay;
    }

    private async Task ApplyAsync(QueuedMessage message, string path, IReadOnlyList<Outcome> outcomes, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var finished = new List<long>();
        var bounced = new List<(Outcome Outcome, string Status)>();
        foreach (var outcome in outcomes)
        {
            var status = outcome.Status;
            string dsnStatus = outcome.Reply.Status;
            // RFC 5321 4.5.4.1: give up after the lifetime; RFC 3463 4.4.7 "delivery time expired".
            if (status == SmtpRecipientStatus.Deferred && now - message.Created >= _queueOptions.MaximumLifetime)
            {
                status = SmtpRecipientStatus.Failed;
                dsnStatus = "4.4.7";
            }

            var logged = status switch
            {
                SmtpRecipientStatus.Delivered => DeliveryAttemptOutcome.Delivered,
                SmtpRecipientStatus.Failed => DeliveryAttemptOutcome.Failed,
                _ => DeliveryAttemptOutcome.Deferred,
            };
            _log.Record(new DeliveryAttemptRecord(now, message.Id, outcome.Row.Address, outcome.RemoteHost, outcome.RemoteAddress,
                outcome.Tls, outcome.Reply.FromPeer ? outcome.Reply.Code : null, outcome.Reply.ToString(), logged));
            _logger.Attempt(message.Id, outcome.Row.Address, logged, outcome.RemoteHost ?? "-", outcome.Reply.ToString());

            switch (status)
            {
                case SmtpRecipientStatus.Delivered:
                    finished.Add(outcome.Row.RowId);
                    break;
                case SmtpRecipientStatus.Failed:
                    finished.Add(outcome.Row.RowId);
                    bounced.Add((outcome, dsnStatus));
                    break;
                default:
                    _store.Defer(outcome.Row.RowId, now, now + Backoff(outcome.Row.Attempts + 1), outcome.Reply.ToString(), outcome.RemoteHost);
                    break;
            }
        }

        // RFC 3461 4.1 / 5.2.2: a failure DSN unless NOTIFY says otherwise; never to the null sender (RFC 5321 4.5.5).
        var report = bounced.Where(b => message.ReversePath.Length > 0
            && !b.Outcome.Row.Notify.HasFlag(DsnNotify.Never)
            && (b.Outcome.Row.Notify == DsnNotify.Default || b.Outcome.Row.Notify.HasFlag(DsnNotify.Failure))).ToList();
        if (report.Count > 0)
        {
            var recipients = report.Select(b => new DsnRecipient(
                b.Outcome.Row.Address, b.Outcome.Row.OriginalRecipient, b.Status,
                b.Outcome.Reply.FromPeer ? b.Outcome.RemoteHost : null,
                b.Outcome.Reply.FromPeer ? b.Outcome.Reply.ToString() : null,
                now, b.Outcome.Reply.ToString())).ToList();
            DsnMessage dsn;
            await using (var original = File.OpenRead(path))
                dsn = DsnBuilder.BuildFailure(_options.Hostname, message, recipients, original, _queueOptions.MaxReturnedMessageSize, now);
            // RFC 3461 6.2 / RFC 5321 4.5.5: sent with the null reverse path, like any queued message.
            string dsnId = await _queue.EnqueueAsync(
                new OutboundEnvelope("", [new OutboundRecipient(message.ReversePath, DsnNotify.Never)],
                    RequiresSmtpUtf8: dsn.RequiresSmtpUtf8, EightBitMime: dsn.EightBit, Origin: "dsn " + message.Id),
                new MemoryStream(dsn.Content), ct);
            _logger.DsnQueued(message.Id, dsnId, message.ReversePath, report.Count);
        }

        _store.Complete(finished);
    }
}
