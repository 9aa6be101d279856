using Appliance.Server.Listeners;

namespace Appliance.Server.Tests.Smtp;

/// <summary>What attackers try against an MX and a submission port, and what they get.</summary>
public sealed class SmtpAttackTests
{
    /// <summary>
    /// SMTP smuggling: a fake end of data followed by a second transaction inside the first
    /// message. The whole message is refused after the real end and nothing is delivered: neither
    /// the outer message nor the smuggled one.
    /// </summary>
    [Theory]
    [InlineData("\n.\n")]
    [InlineData("\n.\r\n")]
    [InlineData("\r\n.\n")]
    [InlineData("\r.\r\n")]
    [InlineData("\r\n.\r")]
    [InlineData("\r.\r")]
    [InlineData("\n.\r")]
    [InlineData("\r.\n")]
    [InlineData("\r\n\x00.\r\n")]
    public async Task Smuggled_messages_are_refused_whole(string fakeEnd)
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: outer\r\n\r\nhello" + fakeEnd +
            "MAIL FROM:<ceo@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\nSubject: smuggled\r\n\r\npay now\r\n.\r\n");
        string? reply = await client.ReadReplyAsync();
        if (fakeEnd.Contains('\0'))
        {
            // A NUL is not a line ending: this one is just an odd but well-formed message.
            Assert.StartsWith("250 ", reply);
            Assert.Empty(await server.MessagesAsync("bob@example.org"));
            return;
        }
        Assert.Equal("550 5.6.0 Message refused: bare CR or LF found; every line must end with CRLF (RFC 5321 2.3.8)", reply);
        await client.ExpectAsync("NOOP", "250 2.0.0 Ok");
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
        Assert.Empty(await server.MessagesAsync("bob@example.org"));
    }

    [Fact]
    public async Task A_client_that_talks_before_the_greeting_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.GreetPause = TestMailServerGuard);
        using var client = await server.ConnectAsync(expectGreeting: false);
        await client.SendAsync("EHLO eager.example\r\n");
        Assert.Equal("554 5.5.0 mail.test Protocol error: you spoke before my greeting", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    /// <summary>Long enough never to end before the client's early bytes arrive; the test ends on them.</summary>
    private static readonly TimeSpan TestMailServerGuard = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("EHLO client.test\r\nMAIL FROM:<a@elsewhere.example>\r\n", "EHLO")]
    [InlineData("HELO client.test\r\nMAIL FROM:<a@elsewhere.example>\r\n", "HELO")]
    public async Task Improper_pipelining_is_refused(string burst, string after)
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.SendAsync(burst);
        Assert.Equal($"554 5.5.0 mail.test Improper command pipelining after {after}", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Data_content_before_the_354_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.SendAsync("MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: early\r\n\r\nx\r\n.\r\n");
        Assert.Equal("250 2.1.0 Sender ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Recipient ok", await client.ReadReplyAsync());
        Assert.Equal("554 5.5.0 mail.test Improper command pipelining after DATA", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
    }

    /// <summary>CVE-2011-0411: commands pipelined after STARTTLS in cleartext must never run inside TLS.</summary>
    [Fact]
    public async Task Starttls_command_injection_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.SendAsync("STARTTLS\r\nRSET\r\n");
        Assert.Equal("554 5.5.0 mail.test Improper command pipelining after STARTTLS", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Header_injection_through_helo_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("EHLO evil\rX-Injected: yes", "501 5.5.4 Syntax: EHLO hostname (one domain or address literal)");
    }

    [Fact]
    public async Task Invalid_utf8_in_a_command_is_refused()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.Raw.Stream.WriteAsync(new byte[] { (byte)'E', (byte)'H', (byte)'L', (byte)'O', (byte)' ', 0xC3, 0x28, (byte)'\r', (byte)'\n' });
        Assert.Equal("500 5.5.2 Command is not valid UTF-8", await client.ReadReplyAsync());
    }

    /// <summary>Kestrel sends the 421 idle reply through the listener plumbing; here the session's own read path is exercised.</summary>
    [Fact]
    public async Task An_idle_client_is_told_and_disconnected()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Smtp, configureListener: l => l.SmtpIdleTimeout = TimeSpan.FromMilliseconds(300));
        using var client = await server.ConnectAsync();
        Assert.Equal("421 4.4.2 mail.test Idle timeout, closing connection", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    /// <summary>A slow-loris client trickling a message is cut off once its average rate falls below the minimum.</summary>
    [Fact]
    public async Task A_message_that_trickles_in_is_cut_off()
    {
        var time = new SkippableTime();
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MinimumDataRate = 500, time: time);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: slow\r\n\r\n");
        // Two minutes pass (past the one-minute grace) with 21 octets received: far below 500 octets/s.
        time.Skip(TimeSpan.FromMinutes(2));
        await client.SendAsync("x\r\n");
        Assert.Equal("421 4.4.2 mail.test Data arriving too slowly, closing connection", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
    }
}
