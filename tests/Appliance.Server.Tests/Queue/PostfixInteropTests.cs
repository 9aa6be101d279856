using System.Text;
using Appliance.Mime;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;

namespace Appliance.Server.Tests.Queue;

/// <summary>
/// The worker and our SMTP client against a real Postfix (Debian) as the remote MX on a loopback
/// high port, with the fake resolver pointing dest.test there: the message arrives over STARTTLS,
/// a 451 is deferred, a 550 comes back as a DSN.
/// </summary>
public sealed class PostfixInteropTests : IAsyncLifetime
{
    private PostfixServer _postfix = null!;
    private QueueTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _postfix = await PostfixServer.StartAsync();
        _host = await QueueTestHost.StartAsync(o => o.Queue.RemotePortOverride = _postfix.Port);
        _host.RouteToLoopback(PostfixServer.Domain);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _postfix.DisposeAsync();
    }

    [Fact]
    public async Task Delivers_over_starttls_defers_a_451_and_bounces_a_550()
    {
        string marker = Guid.NewGuid().ToString("N");
        byte[] message = Encoding.ASCII.GetBytes(
            $"From: Alice <alice@local.test>\r\nTo: bob@dest.test\r\nSubject: Interop {marker}\r\nMessage-ID: <{marker}@local.test>\r\n\r\n"
            + ".a line that starts with a dot\r\n..and one with two\r\nThe end.\r\n");
        string id = await _host.Queue.EnqueueAsync(new OutboundEnvelope("alice@local.test",
            [new OutboundRecipient("bob@dest.test"), new OutboundRecipient("defer@dest.test"), new OutboundRecipient("unknown@dest.test")],
            Origin: "test"), new MemoryStream(message));

        string arrived = await _postfix.WaitForMessageAsync(marker);
        // Postfix's own Received header: our EHLO name, TLS, and ESMTPS.
        Assert.Contains("from mail.local.test (localhost [127.0.0.1])", arrived);
        Assert.Contains("with ESMTPS", arrived);
        // Dot-stuffing undone by the receiver: the body arrives exactly as queued.
        Assert.EndsWith("\n.a line that starts with a dot\n..and one with two\nThe end.\n", arrived.Replace("\r\n", "\n"));

        var attempts = await _host.Log.WaitForAsync(a => a.QueueId == id, count: 3);
        var bob = Assert.Single(attempts, a => a.Recipient == "bob@dest.test");
        Assert.Equal(DeliveryAttemptOutcome.Delivered, bob.Outcome);
        Assert.Equal("mx.dest.test", bob.RemoteHost);
        Assert.NotNull(bob.Tls);
        Assert.StartsWith("TLSv1.3", bob.Tls);
        Assert.EndsWith("(unverified)", bob.Tls);

        var deferred = Assert.Single(attempts, a => a.Recipient == "defer@dest.test");
        Assert.Equal(DeliveryAttemptOutcome.Deferred, deferred.Outcome);
        Assert.Equal(451, deferred.ReplyCode);
        Assert.Contains("4.7.1", deferred.ReplyText);

        var failed = Assert.Single(attempts, a => a.Recipient == "unknown@dest.test");
        Assert.Equal(DeliveryAttemptOutcome.Failed, failed.Outcome);
        Assert.Equal(550, failed.ReplyCode);

        var dsn = await _host.Local.NextAsync();
        Assert.Equal("", dsn.ReversePath);
        Assert.Equal(["alice@local.test"], dsn.Recipients);
        var root = MimeParser.Parse(dsn.Message);
        Assert.Equal("report", root.MediaSubtype);
        var statusPart = root.Children[1];
        string status = Encoding.UTF8.GetString(dsn.Message, (int)statusPart.BodyStart, (int)statusPart.BodySize);
        Assert.Contains("Final-Recipient: rfc822; unknown@dest.test\r\n", status);
        Assert.Contains("Status: 5.1.1\r\n", status);
        Assert.Contains("Remote-MTA: dns; mx.dest.test\r\n", status);
        Assert.Contains("Diagnostic-Code: smtp; 550 5.1.1 <unknown@dest.test>: Recipient address rejected: no such user\r\n", status);
        Assert.DoesNotContain("defer@dest.test", status);

        // The deferred recipient alone stays queued, with Postfix's reply.
        await _host.WaitForRunsAsync(id);
        var row = Assert.Single(_host.Store.GetRecipients(id));
        Assert.Equal("defer@dest.test", row.Address);
        Assert.Equal(1, row.Attempts);
        Assert.Contains("451 4.7.1", row.LastReply);
    }

    [Fact]
    public async Task Smtputf8_mail_reaches_postfix_with_utf8_addresses()
    {
        string marker = Guid.NewGuid().ToString("N");
        byte[] message = Encoding.UTF8.GetBytes(
            $"From: Ålice <ålice@local.test>\r\nTo: bøb@dest.test\r\nSubject: Grüße {marker}\r\n\r\nNon-ASCII: ä ö ü.\r\n");
        string id = await _host.Queue.EnqueueAsync(new OutboundEnvelope("ålice@local.test", [new OutboundRecipient("bøb@dest.test")],
            RequiresSmtpUtf8: true, EightBitMime: true, Origin: "test"), new MemoryStream(message));

        string arrived = await _postfix.WaitForMessageAsync(marker);
        Assert.Contains("Subject: Grüße " + marker, arrived);
        Assert.Contains("Non-ASCII: ä ö ü.", arrived);
        Assert.Contains("with UTF8SMTPS", arrived); // RFC 6531 4.3: the Received "with" for SMTPUTF8 over TLS
        var attempt = Assert.Single(await _host.Log.WaitForAsync(a => a.QueueId == id));
        Assert.Equal(DeliveryAttemptOutcome.Delivered, attempt.Outcome);
    }
}
