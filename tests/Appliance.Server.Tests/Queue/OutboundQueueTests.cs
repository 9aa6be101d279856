using System.Text;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;

namespace Appliance.Server.Tests.Queue;

/// <summary>The spool: what is on disk when EnqueueAsync returns, and what a restart sees.</summary>
public sealed class OutboundQueueTests
{
    private static readonly byte[] Message = Encoding.ASCII.GetBytes("Subject: durable\r\n\r\nKeep me.\r\n");

    [Fact]
    public async Task Enqueue_returns_only_when_the_file_and_the_rows_are_in_place()
    {
        await using var host = await QueueTestHost.StartAsync(startWorker: false);
        var envelope = new OutboundEnvelope("alice@local.test",
            [new OutboundRecipient("bob@dest.test", DsnNotify.Failure, "rfc822;bob@dest.test"), new OutboundRecipient("carol@dest.test")],
            EnvelopeId: "env-1", Return: DsnReturn.Full, EightBitMime: true, Origin: "submission alice@local.test");
        string id = await host.Queue.EnqueueAsync(envelope, new MemoryStream(Message));

        Assert.True(QueueStore.IsValidId(id));
        Assert.Equal(Message, await File.ReadAllBytesAsync(host.Store.MessagePath(id)));
        Assert.Empty(Directory.EnumerateFiles(host.Store.TempPath));
        // A second store on the same files (another process: the CLI) sees the committed rows.
        var other = new QueueStore(host.Options.DataPath);
        var message = other.GetMessage(id);
        Assert.NotNull(message);
        Assert.Equal("alice@local.test", message.ReversePath);
        Assert.Equal("env-1", message.EnvelopeId);
        Assert.Equal(DsnReturn.Full, message.Return);
        Assert.True(message.EightBitMime);
        Assert.Equal(Message.Length, message.Size);
        Assert.Equal("submission alice@local.test", message.Origin);
        var rows = other.GetRecipients(id);
        Assert.Equal(["bob@dest.test", "carol@dest.test"], rows.Select(r => r.Address));
        Assert.Equal(DsnNotify.Failure, rows[0].Notify);
        Assert.Equal("rfc822;bob@dest.test", rows[0].OriginalRecipient);
        Assert.All(rows, r => Assert.Equal(0, r.Attempts));
    }

    [Fact]
    public async Task The_database_runs_in_wal_mode()
    {
        await using var host = await QueueTestHost.StartAsync(startWorker: false);
        await host.Queue.EnqueueAsync(new OutboundEnvelope("a@local.test", [new OutboundRecipient("b@dest.test")]), new MemoryStream(Message));
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={host.Store.DatabasePath}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task After_a_restart_the_queue_is_still_there_and_gets_delivered()
    {
        string data = Path.Combine(Path.GetTempPath(), "appliance-queue-tests", Guid.NewGuid().ToString("N"));
        await using var server = new FakeSmtpServer();
        try
        {
            string id;
            await using (var first = await QueueTestHost.StartAsync(startWorker: false, dataDirectory: data))
                id = await first.Queue.EnqueueAsync(new OutboundEnvelope("alice@local.test", [new OutboundRecipient("bob@dest.test")]), new MemoryStream(Message));

            await using var second = await QueueTestHost.StartAsync(o => o.Queue.RemotePortOverride = server.Port, startWorker: false, dataDirectory: data);
            Assert.Equal([id], second.Store.ListMessages().Select(m => m.Id));
            second.RouteToLoopback("dest.test");
            await second.StartWorkerAsync();
            var attempt = Assert.Single(await second.Log.WaitForAsync(a => a.QueueId == id));
            Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
            Assert.Equal(Message, Assert.Single(server.Messages));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_file_left_without_rows_by_a_crash_is_removed_only_when_old()
    {
        await using var host = await QueueTestHost.StartAsync(startWorker: false);
        string id = await host.Queue.EnqueueAsync(new OutboundEnvelope("a@local.test", [new OutboundRecipient("b@dest.test")]), new MemoryStream(Message));
        string orphan = host.Store.MessagePath(QueueStore.NewId());
        await File.WriteAllBytesAsync(orphan, Message);
        Assert.Equal(0, host.Store.RemoveOrphanFiles(DateTimeOffset.UtcNow.AddHours(-1)));
        File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow.AddHours(-2));
        Assert.Equal(1, host.Store.RemoveOrphanFiles(DateTimeOffset.UtcNow.AddHours(-1)));
        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(host.Store.MessagePath(id)));
    }

    [Fact]
    public async Task Retry_and_delete_work_by_id_and_report_unknown_ids()
    {
        await using var host = await QueueTestHost.StartAsync(startWorker: false);
        string id = await host.Queue.EnqueueAsync(new OutboundEnvelope("a@local.test", [new OutboundRecipient("b@dest.test"), new OutboundRecipient("c@dest.test")]), new MemoryStream(Message));
        var rows = host.Store.GetRecipients(id);
        var later = DateTimeOffset.UtcNow.AddHours(1);
        host.Store.Defer(rows[0].RowId, DateTimeOffset.UtcNow, later, "451 4.3.0 later", "mx.dest.test");
        Assert.Equal(later.ToUnixTimeMilliseconds(), host.Store.GetRecipients(id)[0].NextAttempt.ToUnixTimeMilliseconds());

        var now = DateTimeOffset.UtcNow;
        Assert.True(host.Store.RetryNow(id, now));
        Assert.All(host.Store.GetRecipients(id), r => Assert.Equal(now.ToUnixTimeMilliseconds(), r.NextAttempt.ToUnixTimeMilliseconds()));
        Assert.False(host.Store.RetryNow("zzzzzzzzzzzz", now));

        // Completing one recipient keeps the message; the last one takes the file with it.
        Assert.Empty(host.Store.Complete([rows[0].RowId]));
        Assert.True(File.Exists(host.Store.MessagePath(id)));
        Assert.True(host.Store.Delete(id));
        Assert.False(File.Exists(host.Store.MessagePath(id)));
        Assert.Null(host.Store.GetMessage(id));
        Assert.False(host.Store.Delete(id));
    }

    [Fact]
    public void Ids_are_short_url_safe_and_unique()
    {
        var ids = Enumerable.Range(0, 20000).Select(_ => QueueStore.NewId()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.Equal(12, id.Length);
            Assert.Matches("^[0-9a-hjkmnp-tv-z]{12}$", id);
            Assert.True(QueueStore.IsValidId(id));
        });
        Assert.False(QueueStore.IsValidId("../etc/passw"));
        Assert.False(QueueStore.IsValidId("ABCDEFGHJKMN"));
    }

    [Fact]
    public async Task Enqueue_refuses_an_envelope_without_recipients()
    {
        await using var host = await QueueTestHost.StartAsync(startWorker: false);
        await Assert.ThrowsAsync<ArgumentException>(() => host.Queue.EnqueueAsync(new OutboundEnvelope("a@local.test", []), new MemoryStream(Message)));
        Assert.Empty(host.Store.ListMessages());
    }

    [Fact]
    public void Bad_queue_settings_fail_with_the_settings_name()
    {
        var options = new QueueOptions { MaxConnectionsPerDomain = 0, MinimumBackoff = TimeSpan.FromHours(5), Smarthost = new SmarthostOptions() };
        options.Client.RcptTimeout = TimeSpan.Zero;
        var e = Assert.Throws<Appliance.Server.Configuration.ApplianceConfigurationException>(options.Validate);
        Assert.Contains("Appliance:Queue:MaxConnectionsPerDomain must be 1 or more (it is 0).", e.Message);
        Assert.Contains("Appliance:Queue:Client:RcptTimeout must be a positive time span", e.Message);
        Assert.Contains("Appliance:Queue:MaximumBackoff (04:00:00) must not be less than MinimumBackoff (05:00:00).", e.Message);
        Assert.Contains("Appliance:Queue:Smarthost needs a Host", e.Message);
        new QueueOptions().Validate(); // the defaults are valid
    }
}
