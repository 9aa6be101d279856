using System.Text;
using Appliance.Dns;
using Appliance.Mime;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Queue;

/// <summary>The worker end to end: queue, DNS (fake), our client, the scripted server, DSNs back through local delivery (fake).</summary>
public sealed class DeliveryWorkerTests : IAsyncLifetime
{
    private readonly FakeSmtpServer _server = new();
    private QueueTestHost _host = null!;

    private const string Sender = "alice@" + QueueTestHost.LocalDomain;

    private static readonly byte[] Original = Encoding.ASCII.GetBytes(
        "From: Alice <alice@local.test>\r\nTo: bob@dest.test\r\nSubject: The quarterly report\r\nMessage-ID: <q1@local.test>\r\n\r\nBody text.\r\n");

    public async Task InitializeAsync()
    {
        _host = await QueueTestHost.StartAsync(o => o.Queue.RemotePortOverride = _server.Port);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.DisposeAsync();
    }

    private Task<string> Enqueue(params OutboundRecipient[] recipients) => Enqueue(new OutboundEnvelope(Sender, recipients, Origin: "test"));

    private Task<string> Enqueue(OutboundEnvelope envelope) => _host.Queue.EnqueueAsync(envelope, new MemoryStream(Original));

    /// <summary>Parses a DSN and returns (root, delivery-status text, third part text).</summary>
    private static (MimeEntity Root, string Status, string Returned) ParseDsn(byte[] dsn)
    {
        var root = MimeParser.Parse(dsn);
        Assert.Equal("multipart", root.MediaType);
        Assert.Equal("report", root.MediaSubtype);
        Assert.Equal("delivery-status", root.GetContentTypeParameter("report-type"));
        Assert.Equal(3, root.Children.Count);
        Assert.Equal("text/plain", $"{root.Children[0].MediaType}/{root.Children[0].MediaSubtype}");
        Assert.Equal("message/delivery-status", $"{root.Children[1].MediaType}/{root.Children[1].MediaSubtype}");
        string status = Encoding.UTF8.GetString(dsn, (int)root.Children[1].BodyStart, (int)(root.Children[1].BodyEnd - root.Children[1].BodyStart));
        string returned = Encoding.UTF8.GetString(dsn, (int)root.Children[2].BodyStart, (int)(root.Children[2].BodyEnd - root.Children[2].BodyStart));
        var header = root.Header;
        Assert.Equal("Mail Delivery System <MAILER-DAEMON@mail.local.test>", header.Get("From")?.Value);
        Assert.Equal("<" + Sender + ">", header.Get("To")?.Value);
        Assert.Equal("auto-replied", header.Get("Auto-Submitted")?.Value);
        return (root, status, returned);
    }

    [Fact]
    public async Task Mx_delivery_sends_the_message_and_empties_the_queue()
    {
        _host.RouteToLoopback("dest.test");
        string id = await Enqueue(new OutboundRecipient("bob@dest.test"));

        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
        Assert.Equal("mx.dest.test", attempt.RemoteHost);
        Assert.Equal("127.0.0.1", attempt.RemoteAddress);
        Assert.Equal(250, attempt.ReplyCode);
        Assert.Equal(Original, Assert.Single(_server.Messages));
        Assert.Contains("MAIL FROM:<alice@local.test>", _server.Commands);

        await _host.WaitForRunsAsync(id);
        Assert.Null(_host.Store.GetMessage(id));
        Assert.False(File.Exists(_host.Store.MessagePath(id)));
    }

    [Fact]
    public async Task One_connection_carries_every_recipient_of_a_message_for_a_domain()
    {
        _host.RouteToLoopback("dest.test");
        string id = await Enqueue(new OutboundRecipient("bob@dest.test"), new OutboundRecipient("carol@dest.test"));
        await _host.Log.WaitForAsync(a => a.QueueId == id, count: 2);
        Assert.Equal(1, _server.Connections);
        Assert.Contains("RCPT TO:<bob@dest.test>", _server.Commands);
        Assert.Contains("RCPT TO:<carol@dest.test>", _server.Commands);
        Assert.Single(_server.Messages);
    }

    [Fact]
    public async Task A_4xx_is_retried_later_with_backoff()
    {
        _host.RouteToLoopback("dest.test");
        int rcpts = 0;
        _server.Reply = line => line.StartsWith("RCPT", StringComparison.Ordinal) && Interlocked.Increment(ref rcpts) == 1
            ? "451 4.7.1 Greylisted, try again later" : null;
        string id = await Enqueue(new OutboundRecipient("bob@dest.test"));

        var deferred = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Deferred, deferred.Outcome);
        Assert.Equal(451, deferred.ReplyCode);
        await _host.WaitForRunsAsync(id);
        var row = Assert.Single(_host.Store.GetRecipients(id));
        Assert.Equal(1, row.Attempts);
        Assert.Equal("451 4.7.1 Greylisted, try again later", row.LastReply);
        var delay = row.NextAttempt - row.LastAttempt!.Value;
        Assert.Equal(_host.Options.Queue.MinimumBackoff, delay);
        Assert.Empty(_server.Messages);

        // What the CLI's retry does: due now, and wake the worker.
        Assert.True(_host.Store.RetryNow(id, DateTimeOffset.UtcNow));
        _host.Signal.Wake();
        var delivered = await _host.Log.WaitForAsync(a => a.QueueId == id && a.Outcome == DeliveryAttemptOutcome.Delivered);
        Assert.Single(delivered);
        Assert.Single(_server.Messages);
        await _host.WaitForRunsAsync(id, count: 2);
        Assert.Null(_host.Store.GetMessage(id));
        Assert.False(_host.Local.TryTake(out _)); // no DSN
    }

    [Fact]
    public void Backoff_doubles_from_the_minimum_to_the_maximum()
    {
        var options = new QueueOptions();
        var expected = new[] { 5, 10, 20, 40, 80, 160, 240, 240 }.Select(m => TimeSpan.FromMinutes(m));
        var worker = _host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Appliance.Server.Delivery.Outbound.DeliveryWorker>().Single();
        Assert.Equal(expected, Enumerable.Range(1, 8).Select(worker.Backoff));
        Assert.Equal(options.MinimumBackoff, worker.Backoff(1));
    }

    [Fact]
    public async Task A_5xx_bounces_with_a_dsn_to_the_sender()
    {
        _host.RouteToLoopback("dest.test");
        _server.Extensions.Add("DSN");
        _server.Reply = line => line.StartsWith("RCPT TO:<nobody@", StringComparison.Ordinal) ? "550 5.1.1 <nobody@dest.test>: Recipient address rejected: User unknown" : null;
        string id = await Enqueue(new OutboundEnvelope(Sender,
            [new OutboundRecipient("nobody@dest.test", OriginalRecipient: "rfc822;nobody@dest.test"), new OutboundRecipient("bob@dest.test")],
            EnvelopeId: "env-42", Origin: "test"));

        var dsn = await _host.Local.NextAsync();
        Assert.Equal("", dsn.ReversePath); // RFC 3461 6.2: sent with the null reverse path
        Assert.Equal([Sender], dsn.Recipients);
        var (_, status, returned) = ParseDsn(dsn.Message);
        Assert.Contains("Reporting-MTA: dns; mail.local.test\r\n", status);
        Assert.Contains("Original-Envelope-Id: env-42\r\n", status);
        Assert.Contains("Arrival-Date: ", status);
        Assert.Contains("Original-Recipient: rfc822;nobody@dest.test\r\n", status);
        Assert.Contains("Final-Recipient: rfc822; nobody@dest.test\r\n", status);
        Assert.Contains("Action: failed\r\n", status);
        Assert.Contains("Status: 5.1.1\r\n", status);
        Assert.Contains("Remote-MTA: dns; mx.dest.test\r\n", status);
        Assert.Contains("Diagnostic-Code: smtp; 550 5.1.1 <nobody@dest.test>: Recipient address rejected: User unknown\r\n", status);
        Assert.Contains("Last-Attempt-Date: ", status);
        Assert.DoesNotContain("bob@dest.test", status); // delivered: not in the report
        Assert.Contains("Subject: The quarterly report", returned);
        Assert.DoesNotContain("Body text.", returned); // headers only by default

        var attempts = await _host.Log.WaitForAsync(a => a.QueueId == id, count: 2);
        Assert.Contains(attempts, a => a.Recipient == "nobody@dest.test" && a.Outcome == DeliveryAttemptOutcome.Failed && a.ReplyCode == 550);
        Assert.Contains(attempts, a => a.Recipient == "bob@dest.test" && a.Outcome == DeliveryAttemptOutcome.Delivered);
    }

    [Fact]
    public async Task Ret_full_returns_the_whole_message()
    {
        _host.RouteToLoopback("dest.test");
        _server.Reply = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 unknown" : null;
        await Enqueue(new OutboundEnvelope(Sender, [new OutboundRecipient("nobody@dest.test")], Return: DsnReturn.Full, Origin: "test"));
        var dsn = await _host.Local.NextAsync();
        var (root, _, returned) = ParseDsn(dsn.Message);
        Assert.Equal("message/rfc822", $"{root.Children[2].MediaType}/{root.Children[2].MediaSubtype}");
        Assert.Contains("Body text.", returned);
    }

    [Fact]
    public async Task Null_mx_fails_at_once_without_a_connection()
    {
        _host.Dns.AddMx("nomail.test", 0, ".");
        string id = await Enqueue(new OutboundRecipient("bob@nomail.test"));
        var dsn = await _host.Local.NextAsync();
        var (_, status, _) = ParseDsn(dsn.Message);
        Assert.Contains("Status: 5.1.10\r\n", status);
        Assert.DoesNotContain("Remote-MTA", status);
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Failed, attempt.Outcome);
        Assert.Null(attempt.ReplyCode); // no server said it
        Assert.Equal(0, _server.Connections);
        Assert.DoesNotContain(_host.Dns.Queries, q => q.Type is DnsRecordType.A or DnsRecordType.AAAA);
    }

    [Fact]
    public async Task Without_mx_the_domains_own_address_is_used()
    {
        _host.Dns.AddAddress("plain.test", "127.0.0.1");
        string id = await Enqueue(new OutboundRecipient("bob@plain.test"));
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
        Assert.Equal("plain.test", attempt.RemoteHost);
        Assert.Single(_server.Messages);
    }

    [Fact]
    public async Task A_domain_without_mx_or_address_bounces()
    {
        _host.Dns.AddTxt("nohost.test", "v=spf1 -all"); // the name exists, with no MX, A or AAAA
        await Enqueue(new OutboundRecipient("bob@nohost.test"));
        var (_, status, _) = ParseDsn((await _host.Local.NextAsync()).Message);
        Assert.Contains("Status: 5.1.2\r\n", status);
    }

    [Fact]
    public async Task A_dns_temporary_failure_defers_without_a_dsn()
    {
        _host.Dns.Fail("flaky.test", DnsResponseStatus.ServerFailure, DnsRecordType.MX);
        string id = await Enqueue(new OutboundRecipient("bob@flaky.test"));
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Deferred, attempt.Outcome);
        Assert.Contains("4.4.3", attempt.ReplyText);
        await _host.WaitForRunsAsync(id);
        var row = Assert.Single(_host.Store.GetRecipients(id));
        Assert.Equal(1, row.Attempts);
        Assert.True(row.NextAttempt > DateTimeOffset.UtcNow.AddMinutes(4));
        Assert.False(_host.Local.TryTake(out _));
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task Mx_hosts_are_tried_in_preference_order_until_one_answers()
    {
        _host.Dns.AddMx("two.test", 20, "backup.two.test");
        _host.Dns.AddMx("two.test", 10, "primary.two.test");
        _host.Dns.AddAddress("primary.two.test", "127.0.0.2"); // nothing listens there: refused
        _host.Dns.AddAddress("backup.two.test", "127.0.0.1");
        string id = await Enqueue(new OutboundRecipient("bob@two.test"));
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
        Assert.Equal("backup.two.test", attempt.RemoteHost);
        var asked = _host.Dns.Queries.Where(q => q.Type == DnsRecordType.A).Select(q => q.Name).ToList();
        Assert.Equal(["primary.two.test", "backup.two.test"], asked);
    }

    [Fact]
    public async Task A_message_needing_smtputf8_bounces_when_the_peer_lacks_it()
    {
        _host.RouteToLoopback("dest.test");
        await Enqueue(new OutboundEnvelope(Sender, [new OutboundRecipient("bøb@dest.test")], RequiresSmtpUtf8: true, Origin: "test"));
        var dsn = await _host.Local.NextAsync();
        var root = MimeParser.Parse(dsn.Message);
        Assert.Equal("report", root.MediaSubtype);
        // RFC 6533: a non-ASCII recipient makes it an internationalized report.
        Assert.Equal("message/global-delivery-status", $"{root.Children[1].MediaType}/{root.Children[1].MediaSubtype}");
        string status = Encoding.UTF8.GetString(dsn.Message, (int)root.Children[1].BodyStart, (int)(root.Children[1].BodyEnd - root.Children[1].BodyStart));
        Assert.Contains("Final-Recipient: utf-8; bøb@dest.test\r\n", status);
        Assert.Contains("Status: 5.6.7\r\n", status);
        Assert.DoesNotContain(_server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task No_dsn_for_notify_never_nor_to_the_null_sender()
    {
        _host.RouteToLoopback("dest.test");
        _server.Reply = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "550 5.1.1 unknown" : null;
        string quiet = await Enqueue(new OutboundRecipient("a@dest.test", DsnNotify.Never));
        string fromNull = await _host.Queue.EnqueueAsync(new OutboundEnvelope("", [new OutboundRecipient("b@dest.test")], Origin: "dsn"), new MemoryStream(Original));
        string success = await Enqueue(new OutboundRecipient("c@dest.test", DsnNotify.Success));
        await _host.WaitForRunsAsync(quiet);
        await _host.WaitForRunsAsync(fromNull);
        await _host.WaitForRunsAsync(success);
        Assert.Equal(3, _host.Log.Attempts.Count(a => a.Outcome == DeliveryAttemptOutcome.Failed));
        Assert.False(_host.Local.TryTake(out _));
        Assert.Empty(_host.Store.ListMessages());
    }

    [Fact]
    public async Task Past_the_lifetime_a_deferral_becomes_a_failure_with_4_4_7()
    {
        await _host.DisposeAsync();
        _host = await QueueTestHost.StartAsync(o =>
        {
            o.Queue.RemotePortOverride = _server.Port;
            o.Queue.MaximumLifetime = TimeSpan.Zero;
        });
        _host.RouteToLoopback("dest.test");
        _server.Reply = line => line.StartsWith("RCPT", StringComparison.Ordinal) ? "452 4.2.2 Mailbox full" : null;
        await Enqueue(new OutboundRecipient("bob@dest.test"));
        var (_, status, _) = ParseDsn((await _host.Local.NextAsync()).Message);
        Assert.Contains("Status: 4.4.7\r\n", status);
        Assert.Contains("Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\r\n", status);
    }

    [Fact]
    public async Task Recipients_in_our_domains_go_through_local_delivery()
    {
        string id = await _host.Queue.EnqueueAsync(
            new OutboundEnvelope("someone@far.test", [new OutboundRecipient("bob@" + QueueTestHost.LocalDomain)], Origin: "forward"),
            new MemoryStream(Original));
        var delivered = await _host.Local.NextAsync();
        Assert.Equal("someone@far.test", delivered.ReversePath);
        Assert.Equal(["bob@local.test"], delivered.Recipients);
        Assert.Equal(Original, delivered.Message);
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
        Assert.Equal(0, _server.Connections);
    }

    [Fact]
    public async Task A_local_over_quota_defers_and_an_unknown_local_recipient_fails()
    {
        _host.Local.Status = address => address.StartsWith("full", StringComparison.Ordinal) ? LocalDeliveryStatus.OverQuota : LocalDeliveryStatus.UnknownRecipient;
        string id = await _host.Queue.EnqueueAsync(
            new OutboundEnvelope("someone@far.test", [new OutboundRecipient("full@local.test"), new OutboundRecipient("ghost@local.test")], Origin: "forward"),
            new MemoryStream(Original));
        var attempts = await _host.Log.WaitForAsync(a => a.QueueId == id, count: 2);
        Assert.Contains(attempts, a => a.Recipient == "full@local.test" && a.Outcome == DeliveryAttemptOutcome.Deferred && a.ReplyText.Contains("4.2.2"));
        Assert.Contains(attempts, a => a.Recipient == "ghost@local.test" && a.Outcome == DeliveryAttemptOutcome.Failed && a.ReplyText.Contains("5.1.1"));
    }

    [Fact]
    public async Task Connections_per_domain_stay_within_the_limit()
    {
        await _host.DisposeAsync();
        _host = await QueueTestHost.StartAsync(o =>
        {
            o.Queue.RemotePortOverride = _server.Port;
            o.Queue.MaxConnectionsPerDomain = 2;
        });
        _host.RouteToLoopback("dest.test");
        // Each session holds its MAIL reply until two sessions are open at once (guard: 10 s).
        using var twoOpen = new CountdownEvent(2);
        _server.Reply = line =>
        {
            if (line.StartsWith("MAIL", StringComparison.Ordinal))
            {
                lock (twoOpen)
                {
                    if (!twoOpen.IsSet)
                        twoOpen.Signal();
                }
                twoOpen.Wait(TimeSpan.FromSeconds(10));
            }
            return null;
        };
        var ids = new List<string>();
        for (int i = 0; i < 4; i++)
            ids.Add(await Enqueue(new OutboundRecipient($"user{i}@dest.test")));

        var attempts = await _host.Log.WaitForAsync(a => ids.Contains(a.QueueId), count: 4);
        Assert.All(attempts, a => Assert.Equal(DeliveryAttemptOutcome.Delivered, a.Outcome));
        Assert.True(twoOpen.IsSet);
        Assert.Equal(2, _server.MaxConcurrentSessions);
        Assert.Equal(4, _server.Connections);
    }

    [Fact]
    public async Task A_smarthost_takes_all_remote_mail_with_auth_after_starttls()
    {
        await _host.DisposeAsync();
        _host = await QueueTestHost.StartAsync(o => o.Queue.Smarthost = new SmarthostOptions
        {
            Host = "127.0.0.1",
            Port = _server.Port,
            Username = "relay@local.test",
            Password = "relay secret",
            RequireTls = false, // the fake's certificate is self-signed
        });
        _server.OfferStartTls = true;
        _server.Extensions.Add("AUTH PLAIN LOGIN");
        string id = await Enqueue(new OutboundRecipient("bob@anywhere.example"), new OutboundRecipient("carol@elsewhere.example"));

        var attempts = await _host.Log.WaitForAsync(a => a.QueueId == id, count: 2);
        Assert.All(attempts, a =>
        {
            Assert.Equal(DeliveryAttemptOutcome.Delivered, a.Outcome);
            Assert.Equal("127.0.0.1", a.RemoteHost);
            Assert.EndsWith("(unverified)", a.Tls);
        });
        Assert.Equal("\0relay@local.test\0relay secret", _server.AuthPlainCredentials);
        Assert.Empty(_host.Dns.Queries); // no MX lookups: everything goes to the smarthost
        Assert.Single(_server.Messages); // the smarthost is one destination: one transaction for both domains
    }

    [Fact]
    public async Task A_smarthost_that_must_verify_tls_but_does_not_defers()
    {
        await _host.DisposeAsync();
        _host = await QueueTestHost.StartAsync(o => o.Queue.Smarthost = new SmarthostOptions { Host = "127.0.0.1", Port = _server.Port });
        _server.OfferStartTls = true;
        string id = await Enqueue(new OutboundRecipient("bob@anywhere.example"));
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Deferred, attempt.Outcome);
        Assert.Contains("4.7.5", attempt.ReplyText);
        Assert.Empty(_server.Messages);
    }

    [Fact]
    public async Task A_dsn_to_a_remote_sender_goes_out_by_smtp_with_the_null_reverse_path()
    {
        _host.RouteToLoopback("dest.test");
        _host.RouteToLoopback("far.test");
        _server.Reply = line => line.StartsWith("RCPT TO:<nobody@", StringComparison.Ordinal) ? "550 5.1.1 unknown" : null;
        string id = await Enqueue(new OutboundEnvelope("carol@far.test", [new OutboundRecipient("nobody@dest.test")], Origin: "forward"));

        var dsnAttempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId != id && a.Recipient == "carol@far.test"));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, dsnAttempt.Outcome);
        await _server.WaitForSessionEndAsync();
        await _server.WaitForSessionEndAsync();
        Assert.Contains("MAIL FROM:<>", _server.Commands);
        Assert.Contains("RCPT TO:<carol@far.test>", _server.Commands);
        var dsn = Assert.Single(_server.Messages);
        var root = MimeParser.Parse(dsn);
        Assert.Equal("report", root.MediaSubtype);
        Assert.Equal("<carol@far.test>", root.Header.Get("To")?.Value);
    }

    [Fact]
    public async Task Ipv6_and_ipv4_addresses_are_both_tried()
    {
        _host.Dns.AddMx("dual.test", 10, "mx.dual.test");
        _host.Dns.AddAddress("mx.dual.test", "::1", "127.0.0.1"); // nothing listens on [::1]: refused, then IPv4
        string id = await Enqueue(new OutboundRecipient("bob@dual.test"));
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
        Assert.Equal("127.0.0.1", attempt.RemoteAddress);
        Assert.Contains(("mx.dual.test", DnsRecordType.AAAA), _host.Dns.Queries);
        Assert.Contains(("mx.dual.test", DnsRecordType.A), _host.Dns.Queries);
    }

    [Fact]
    public async Task Many_recipients_are_split_into_transactions_of_the_configured_size()
    {
        await _host.DisposeAsync();
        _host = await QueueTestHost.StartAsync(o =>
        {
            o.Queue.RemotePortOverride = _server.Port;
            o.Queue.MaxRecipientsPerTransaction = 2;
        });
        _host.RouteToLoopback("dest.test");
        string id = await Enqueue(Enumerable.Range(1, 5).Select(i => new OutboundRecipient($"user{i}@dest.test")).ToArray());
        var attempts = await _host.Log.WaitForAsync(a => a.QueueId == id, count: 5);
        Assert.All(attempts, a => Assert.Equal(DeliveryAttemptOutcome.Delivered, a.Outcome));
        Assert.Equal(3, _server.Messages.Count);
        Assert.Equal(5, _server.Commands.Count(c => c.StartsWith("RCPT", StringComparison.Ordinal)));
    }
}
