using Appliance.Server.Imap;
using Appliance.Server.Listeners;

namespace Appliance.Server.Tests.Listeners;

public sealed class SessionLifetimeTests
{
    [Fact]
    public async Task Idle_SMTP_session_is_told_421_and_closed()
    {
        await using var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(
            ListenerKind.Smtp, options => options.Listeners.Limits.SmtpIdleTimeout = TimeSpan.FromMilliseconds(300));
        using var client = await server.ConnectAsync();
        Assert.Equal("554 5.3.2 mail.test SMTP service not available yet", await client.ReadLineAsync());

        // The client says nothing; the next thing it hears is the server giving up on it.
        Assert.Equal("421 4.4.2 mail.test Idle timeout, closing connection", await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Activity_restarts_the_idle_timer_per_read()
    {
        await using var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(
            ListenerKind.Smtp, options => options.Listeners.Limits.SmtpIdleTimeout = TimeSpan.FromSeconds(2));
        using var client = await server.ConnectAsync();
        Assert.StartsWith("554 ", await client.ReadLineAsync());
        for (int i = 0; i < 3; i++)
        {
            await client.SendAsync("NOOP\r\n");
            Assert.StartsWith("503 5.5.1 ", await client.ReadLineAsync());
        }
        await client.SendAsync("QUIT\r\n");
        Assert.Equal("221 2.0.0 mail.test closing connection", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Shutdown_drains_sessions_each_hears_its_goodbye_and_the_count_reaches_zero()
    {
        var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(ListenerKind.Smtp);
        await using (server)
        {
            using var first = await server.ConnectAsync();
            using var second = await server.ConnectAsync();
            Assert.StartsWith("554 ", await first.ReadLineAsync());
            Assert.StartsWith("554 ", await second.ReadLineAsync());
            // Each session is counted before its greeting is written.
            Assert.Equal(2, server.Tracker.ActiveCount);

            var stopping = server.StopAsync();
            Assert.Equal("421 4.3.2 mail.test Service shutting down, closing connection", await first.ReadLineAsync());
            Assert.Equal("421 4.3.2 mail.test Service shutting down, closing connection", await second.ReadLineAsync());
            Assert.True(await first.IsClosedByServerAsync());
            Assert.True(await second.IsClosedByServerAsync());

            await server.Tracker.WaitForDrainAsync().WaitAsync(TestMailServer.Guard);
            await stopping.WaitAsync(TestMailServer.Guard);
            Assert.Equal(0, server.Tracker.ActiveCount);
        }
    }

    [Fact]
    public async Task Placeholder_SMTP_answers_503_then_hangs_up_after_too_many_commands()
    {
        await using var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(ListenerKind.Submission);
        using var client = await server.ConnectAsync();
        Assert.StartsWith("554 5.3.2 ", await client.ReadLineAsync());
        for (int i = 1; i < UnavailableSmtpHandler.MaxCommands; i++)
        {
            await client.SendAsync("EHLO client.test\r\n");
            Assert.StartsWith("503 5.5.1 ", await client.ReadLineAsync());
        }
        await client.SendAsync("EHLO client.test\r\n");
        Assert.Equal("421 4.7.0 mail.test Too many commands, closing connection", await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task POP3_placeholder_says_so_and_closes()
    {
        await using var server = await TestMailServer.StartAsync<UnavailablePop3Handler>(ListenerKind.Pop3);
        using var client = await server.ConnectAsync();
        Assert.Equal("-ERR POP3 service not available yet", await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task IMAP_endpoint_greets_with_the_engine_and_logout_closes_releasing_the_session()
    {
        await using var server = await TestMailServer.StartAsync<ImapHandler>(ListenerKind.Imap, services: services => services.AddImapServer());
        using var client = await server.ConnectAsync();
        // RFC 9051 7.1.1: OK with the capabilities; on the cleartext port STARTTLS and LOGINDISABLED among them.
        string? greeting = await client.ReadLineAsync();
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev2 ", greeting);
        Assert.Contains(" STARTTLS ", greeting);
        Assert.Contains(" LOGINDISABLED ", greeting);
        Assert.EndsWith("] Appliance IMAP server ready", greeting);
        await client.SendAsync("a LOGOUT\r\n");
        Assert.StartsWith("* BYE ", await client.ReadLineAsync());
        Assert.Equal("a OK LOGOUT completed", await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
        await server.Tracker.WaitForDrainAsync().WaitAsync(TestMailServer.Guard);
    }

    [Fact]
    public async Task Tracker_drain_completes_at_once_when_idle_and_after_the_last_session_otherwise()
    {
        var lifetime = new TestLifetime();
        var tracker = new MailSessionTracker(lifetime, Microsoft.Extensions.Logging.Abstractions.NullLogger<MailSessionTracker>.Instance);
        Assert.True(tracker.WaitForDrainAsync().IsCompletedSuccessfully);

        var a = tracker.Track();
        var b = tracker.Track();
        var drained = tracker.WaitForDrainAsync();
        a.Dispose();
        a.Dispose(); // idempotent: a double dispose must not release someone else's count
        Assert.False(drained.IsCompleted);
        Assert.Equal(1, tracker.ActiveCount);
        b.Dispose();
        await drained.WaitAsync(TestMailServer.Guard);
        Assert.Equal(0, tracker.ActiveCount);
    }

    private sealed class TestLifetime : Microsoft.Extensions.Hosting.IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => CancellationToken.None;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() { }
    }
}
