using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Tests.Dkim;
using Appliance.Server.Tests.Listeners;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Appliance.Server.Tests.Delivery;

public sealed class DeliveryLogTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private readonly string data = Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N"));
    private readonly ManualTime time = new(T0);
    private readonly CapturedLogs logs = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
    }

    private DeliveryLog Create(Action<DeliveryLogOptions>? configure = null, bool startWriter = true)
    {
        var options = new DeliveryLogOptions();
        configure?.Invoke(options);
        var logger = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace)).CreateLogger<DeliveryLog>();
        return new DeliveryLog(new ApplianceOptions { DataDirectory = data }, Options.Create(options), time, logger, startWriter);
    }

    private static SmtpTransactionRecord Transaction(DateTimeOffset at, string client = "192.0.2.1", string helo = "mx.sender.example",
        string? user = null, string? sender = "alice@sender.example", string[]? recipients = null, int code = 250,
        string text = "2.0.0 OK queued", string? queueId = null) =>
        new(at, user is null ? "smtp" : "submission", client, helo, "TLSv1.3 with TLS_AES_256_GCM_SHA384", user, sender,
            recipients ?? ["bob@example.com"], 1234, code, text, queueId);

    private static DeliveryAttemptRecord Attempt(DateTimeOffset at, string queueId, string recipient = "carol@remote.example",
        DeliveryAttemptOutcome outcome = DeliveryAttemptOutcome.Delivered, string text = "250 2.0.0 Ok: queued as 4A1B") =>
        new(at, queueId, recipient, "mx.remote.example", "198.51.100.7", "TLSv1.3 (verified)", outcome == DeliveryAttemptOutcome.Deferred ? 451 : 250, text, outcome);

    private static void AssertSame(SmtpTransactionRecord expected, SmtpTransactionRecord actual)
    {
        Assert.Equal(expected with { Recipients = [] }, actual with { Recipients = [] });
        Assert.Equal(expected.Recipients, actual.Recipients);
    }

    [Fact]
    public async Task Attempts_are_counted_by_outcome_since_a_moment_without_the_row_limit()
    {
        await using var log = Create();
        for (int i = 0; i < 1_200; i++)
            log.Record(Attempt(T0.AddSeconds(i), "Q" + (i % 7)));
        log.Record(new DeliveryAttemptRecord(T0.AddSeconds(5), "Q1", "x@remote.example", null, null, null, 451, "4.7.1 later", DeliveryAttemptOutcome.Deferred));
        log.Record(new DeliveryAttemptRecord(T0.AddSeconds(-60), "Q2", "y@remote.example", null, null, null, 550, "5.1.1 no", DeliveryAttemptOutcome.Failed));
        await log.FlushAsync();

        var counts = await log.CountAttemptsAsync(T0);
        Assert.Equal(1_200, counts[DeliveryAttemptOutcome.Delivered]);
        Assert.Equal(1, counts[DeliveryAttemptOutcome.Deferred]);
        Assert.Equal(0, counts[DeliveryAttemptOutcome.Failed]); // before the moment
        Assert.Equal(1, (await log.CountAttemptsAsync(T0.AddSeconds(-61)))[DeliveryAttemptOutcome.Failed]);
    }

    [Fact]
    public async Task Records_appear_after_a_flush_newest_first_with_every_field()
    {
        await using var log = Create();
        var first = Transaction(T0, recipients: ["bob@example.com", "ann@example.com"], queueId: "Q1");
        var refused = new SmtpTransactionRecord(T0.AddSeconds(1), "smtp", "2001:db8::1", null, null, null, null, [], 0, 554, "5.5.0 Too many errors", null);
        var attempt = Attempt(T0.AddSeconds(2), "Q1");
        var deferred = new DeliveryAttemptRecord(T0.AddSeconds(3), "Q1", "dave@remote.example", null, null, null, null, "connection refused", DeliveryAttemptOutcome.Deferred);
        log.Record(first);
        log.Record(attempt);
        log.Record(refused);
        log.Record(deferred);
        await log.FlushAsync();

        var transactions = await log.QueryTransactionsAsync(new DeliveryLogQuery());
        Assert.Equal(2, transactions.Count);
        AssertSame(refused, transactions[0]);
        AssertSame(first, transactions[1]);
        Assert.Equal([deferred, attempt], await log.QueryAttemptsAsync(new DeliveryLogQuery()));
        Assert.Equal(TimeSpan.Zero, transactions[0].Time.Offset);

        Assert.Equal(Path.Combine(Path.GetFullPath(data), "log", "delivery.db"), log.DatabasePath);
        await using var connection = new SqliteConnection($"Data Source={log.DatabasePath}");
        await connection.OpenAsync();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Queries_filter_by_text_time_and_limit()
    {
        await using var log = Create();
        log.Record(Transaction(T0, client: "203.0.113.9", helo: "spammer.example", sender: "x@spam.example", code: 550, text: "5.1.1 No such user"));
        log.Record(Transaction(T0.AddMinutes(1), user: "Alice@Example.com", recipients: ["friend@far.example"], queueId: "QA7F"));
        log.Record(Transaction(T0.AddMinutes(2), sender: "", text: "2.0.0 100% delivered"));
        log.Record(Attempt(T0.AddMinutes(3), "QA7F", "friend@far.example"));
        log.Record(Attempt(T0.AddMinutes(4), "QB00", "other@far.example", DeliveryAttemptOutcome.Deferred, "451 4.7.1 Greylisted"));
        await log.FlushAsync();

        async Task<IEnumerable<DateTimeOffset>> Find(string? text, DateTimeOffset? since = null, DateTimeOffset? until = null, int limit = 100) =>
            (await log.QueryTransactionsAsync(new DeliveryLogQuery(text, since, until, limit))).Select(t => t.Time);

        Assert.Equal([T0], await Find("203.0.113"));                    // client address
        Assert.Equal([T0], await Find("SPAMMER"));                       // HELO, any case
        Assert.Equal([T0.AddMinutes(1)], await Find("alice@"));          // authenticated user
        Assert.Equal([T0], await Find("x@spam"));                        // sender
        Assert.Equal([T0.AddMinutes(1)], await Find("friend@far"));      // a recipient
        Assert.Equal([T0], await Find("no such user"));                  // reply text
        Assert.Equal([T0.AddMinutes(1)], await Find("qa7f"));            // queue id
        Assert.Equal([T0.AddMinutes(2)], await Find("100%"));            // % is a plain character
        Assert.Empty(await Find("_"));
        Assert.Empty(await Find("nothing like this"));
        Assert.Equal([T0.AddMinutes(2), T0.AddMinutes(1), T0], await Find(null));
        Assert.Equal([T0.AddMinutes(2), T0.AddMinutes(1)], await Find(null, since: T0.AddMinutes(1)));
        Assert.Equal([T0.AddMinutes(1), T0], await Find(null, until: T0.AddMinutes(1)));
        Assert.Equal([T0.AddMinutes(1)], await Find("example", since: T0.AddSeconds(30), until: T0.AddSeconds(90)));
        Assert.Equal([T0.AddMinutes(2)], await Find(null, limit: 1));
        Assert.Single(await Find(null, limit: 0)); // at least one row is asked for

        Assert.Equal(["QB00", "QA7F"], (await log.QueryAttemptsAsync(new DeliveryLogQuery())).Select(a => a.QueueId));
        Assert.Equal(["QA7F"], (await log.QueryAttemptsAsync(new DeliveryLogQuery(), queueId: "QA7F")).Select(a => a.QueueId));
        Assert.Equal(["QB00"], (await log.QueryAttemptsAsync(new DeliveryLogQuery("greylisted"))).Select(a => a.QueueId));
        Assert.Empty(await log.QueryAttemptsAsync(new DeliveryLogQuery("greylisted"), queueId: "QA7F"));
    }

    [Fact]
    public async Task The_writer_keeps_at_most_the_newest_rows_per_table()
    {
        await using var log = Create(o => o.MaxRowsPerTable = 5);
        for (int i = 0; i < 12; i++)
        {
            log.Record(Transaction(T0.AddSeconds(i)));
            log.Record(Attempt(T0.AddSeconds(i), $"Q{i}"));
            if (i % 4 == 3)
            {
                await log.FlushAsync();
            }
        }
        await log.FlushAsync();
        Assert.Equal(Enumerable.Range(7, 5).Reverse().Select(i => T0.AddSeconds(i)), (await log.QueryTransactionsAsync(new DeliveryLogQuery())).Select(t => t.Time));
        Assert.Equal(Enumerable.Range(7, 5).Reverse().Select(i => $"Q{i}"), (await log.QueryAttemptsAsync(new DeliveryLogQuery())).Select(a => a.QueueId));
    }

    [Fact]
    public async Task The_writer_prunes_rows_older_than_the_maximum_age()
    {
        await using var log = Create(o => o.MaxAge = TimeSpan.FromDays(30));
        log.Record(Transaction(T0 - TimeSpan.FromDays(31), queueId: "OLD"));
        log.Record(Transaction(T0 - TimeSpan.FromDays(29), queueId: "RECENT"));
        log.Record(Attempt(T0 - TimeSpan.FromDays(31), "OLD"));
        await log.FlushAsync();
        Assert.Equal(["RECENT"], (await log.QueryTransactionsAsync(new DeliveryLogQuery())).Select(t => t.QueueId));
        Assert.Empty(await log.QueryAttemptsAsync(new DeliveryLogQuery()));

        time.Advance(TimeSpan.FromDays(2));
        log.Record(Transaction(T0 + TimeSpan.FromDays(2), queueId: "NEW"));
        await log.FlushAsync();
        Assert.Equal(["NEW"], (await log.QueryTransactionsAsync(new DeliveryLogQuery())).Select(t => t.QueueId));
    }

    [Fact]
    public async Task Records_survive_a_restart_and_dispose_writes_what_was_not_flushed()
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddApplianceServices(new ApplianceOptions { DataDirectory = data });
        services.AddDeliveryLog();

        await using (var provider = services.BuildServiceProvider())
        {
            var log = provider.GetRequiredService<IDeliveryLog>();
            Assert.Same(log, provider.GetRequiredService<DeliveryLog>());
            log.Record(Transaction(T0, queueId: "BEFORE-STOP"));
            // The host's stop flushes.
            foreach (var hosted in provider.GetServices<IHostedService>())
            {
                await hosted.StopAsync(CancellationToken.None);
            }
            Assert.Single(await log.QueryTransactionsAsync(new DeliveryLogQuery("before-stop")));
            // Recorded after the stop (a session still draining): written when the container is disposed.
            for (int i = 0; i < 50; i++)
            {
                log.Record(Transaction(T0.AddSeconds(i + 1), queueId: $"LATE{i}"));
            }
        }

        await using (var provider = services.BuildServiceProvider())
        {
            var log = provider.GetRequiredService<IDeliveryLog>();
            var all = await log.QueryTransactionsAsync(new DeliveryLogQuery());
            Assert.Equal(51, all.Count);
            Assert.Equal("LATE49", all[0].QueueId);
            Assert.Equal("BEFORE-STOP", all[^1].QueueId);
        }
    }

    [Fact]
    public async Task Record_on_a_full_queue_drops_and_counts_without_blocking_or_throwing()
    {
        await using var log = Create(o => o.QueueCapacity = 3, startWriter: false);

        // Synchronous and bounded: a blocked Record would not finish here.
        var recording = Task.Run(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                log.Record(Transaction(T0.AddSeconds(i), queueId: $"Q{i}"));
            }
            log.Record(Attempt(T0, "Q0"));
        });
        await recording.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(8, log.DroppedCount);
        Assert.Single(logs.Entries, e => e.EventId.Id == 1700);

        // One warning per interval, with the running count.
        time.Advance(TimeSpan.FromSeconds(59));
        log.Record(Transaction(T0, queueId: "X"));
        Assert.Single(logs.Entries, e => e.EventId.Id == 1700);
        time.Advance(TimeSpan.FromSeconds(1));
        log.Record(Transaction(T0, queueId: "Y"));
        var warnings = logs.Entries.Where(e => e.EventId.Id == 1700).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("10 record(s) dropped", warnings[1].Message);

        // What fit is written once the writer runs.
        log.StartWriter();
        await log.FlushAsync();
        Assert.Equal(["Q2", "Q1", "Q0"], (await log.QueryTransactionsAsync(new DeliveryLogQuery())).Select(t => t.QueueId));

        // After the log completed, recording is still harmless.
        await log.CompleteAsync();
        log.Record(Transaction(T0, queueId: "AFTER"));
        Assert.Equal(11, log.DroppedCount);
    }

    [Fact]
    public async Task Many_concurrent_recorders_lose_nothing_when_the_queue_has_room()
    {
        await using var log = Create();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                log.Record(Transaction(T0.AddMilliseconds(w * 1000 + i), queueId: $"W{w}-{i}"));
            }
        })));
        await log.FlushAsync();
        Assert.Equal(0, log.DroppedCount);
        Assert.Equal(1000, (await log.QueryTransactionsAsync(new DeliveryLogQuery(Limit: 5000))).Count); // MaxQueryLimit
        Assert.Single(await log.QueryTransactionsAsync(new DeliveryLogQuery("w3-999")));
    }
}
