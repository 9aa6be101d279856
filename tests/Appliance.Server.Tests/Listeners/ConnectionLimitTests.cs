using Appliance.Server.Listeners;

namespace Appliance.Server.Tests.Listeners;

public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task SMTP_connection_over_the_per_address_limit_gets_421_and_is_closed_and_the_slot_comes_back()
    {
        await using var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(
            ListenerKind.Smtp, options => options.Listeners.Limits.SmtpConnectionsPerAddress = 2);

        using var first = await server.ConnectAsync();
        using var second = await server.ConnectAsync();
        Assert.StartsWith("554 ", await first.ReadLineAsync());
        Assert.StartsWith("554 ", await second.ReadLineAsync());

        using (var third = await server.ConnectAsync())
        {
            Assert.Equal("421 4.7.0 mail.test Too many connections from your address, try again later", await third.ReadLineAsync());
            Assert.True(await third.IsClosedByServerAsync());
        }

        // When a session ends its slot is released before the socket closes, so a new client fits.
        await first.SendAsync("QUIT\r\n");
        Assert.StartsWith("221 ", await first.ReadLineAsync());
        Assert.True(await first.IsClosedByServerAsync());
        using var fourth = await server.ConnectAsync();
        Assert.StartsWith("554 ", await fourth.ReadLineAsync());
    }

    [Theory]
    [InlineData(ListenerKind.Imap, "* BYE [UNAVAILABLE] Too many connections from your address, try again later")]
    [InlineData(ListenerKind.Pop3, "-ERR [SYS/TEMP] Too many connections from your address, try again later")]
    [InlineData(ListenerKind.Submission, "421 4.7.0 mail.test Too many connections from your address, try again later")]
    public async Task Refusal_speaks_the_endpoints_protocol(ListenerKind kind, string expected)
    {
        // A limit of zero refuses the first connection: the refusal text is all there is to see.
        await using var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(kind, options =>
        {
            options.Listeners.Limits.SmtpConnectionsPerAddress = 0;
            options.Listeners.Limits.ImapConnectionsPerAddress = 0;
            options.Listeners.Limits.Pop3ConnectionsPerAddress = 0;
        });
        using var client = await server.ConnectAsync();
        Assert.Equal(expected, await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
        Assert.Equal(0, server.Tracker.ActiveCount);
    }

    [Fact]
    public async Task Plumbing_and_engine_log_lines_carry_the_connection_scope_and_stable_event_ids()
    {
        var logs = new CapturedLogs();
        await using var server = await TestMailServer.StartAsync<UnavailableSmtpHandler>(
            ListenerKind.Submission, options => options.Listeners.Limits.SmtpConnectionsPerAddress = 1, logs: logs);
        using var admitted = await server.ConnectAsync();
        Assert.StartsWith("554 ", await admitted.ReadLineAsync());
        using var refused = await server.ConnectAsync();
        Assert.StartsWith("421 4.7.0 ", await refused.ReadLineAsync());
        Assert.True(await refused.IsClosedByServerAsync());

        var refusal = Assert.Single(logs.Entries, entry => entry.EventId.Id == 1102);
        Assert.Equal(nameof(ListenerKind.Submission), refusal.Scope["Listener"]?.ToString());
        Assert.Equal(refused.LocalEndPoint.ToString(), refusal.Scope["RemoteEndPoint"]);
        Assert.False(string.IsNullOrEmpty(refusal.Scope["ConnectionId"] as string));
        Assert.Contains("limit 1", refusal.Message);

        var opened = Assert.Single(logs.Entries, entry => entry.EventId.Id == 1100);
        Assert.Equal(admitted.LocalEndPoint.ToString(), opened.Scope["RemoteEndPoint"]);
        Assert.NotEqual(opened.Scope["ConnectionId"], refusal.Scope["ConnectionId"]);
    }

    [Fact]
    public void Invalid_limits_fail_with_the_setting_name()
    {
        var limits = new ListenerLimitsOptions { ImapConnectionsPerAddress = -1, Pop3IdleTimeout = TimeSpan.Zero };
        var error = Assert.Throws<Appliance.Server.Configuration.ApplianceConfigurationException>(limits.Validate);
        Assert.Contains("Appliance:Listeners:Limits:ImapConnectionsPerAddress", error.Message);
        Assert.Contains("Appliance:Listeners:Limits:Pop3IdleTimeout", error.Message);
        new ListenerLimitsOptions().Validate();
    }

    [Fact]
    public void Limiter_counts_per_protocol_family_and_maps_IPv4_in_IPv6_to_IPv4()
    {
        var options = new Appliance.Server.Configuration.ApplianceOptions();
        options.Listeners.Limits.SmtpConnectionsPerAddress = 1;
        var limiter = new PerIpConnectionLimiter(options);
        var v4 = System.Net.IPAddress.Parse("192.0.2.7");

        Assert.True(limiter.TryAcquire(MailProtocol.Smtp, v4, out var lease, out _));
        Assert.False(limiter.TryAcquire(MailProtocol.Smtp, v4.MapToIPv6(), out _, out int current));
        Assert.Equal(1, current);
        Assert.True(limiter.TryAcquire(MailProtocol.Imap, v4, out var imapLease, out _));
        lease.Dispose();
        Assert.Equal(0, limiter.CountFor(MailProtocol.Smtp, v4));
        Assert.True(limiter.TryAcquire(MailProtocol.Smtp, v4.MapToIPv6(), out var again, out _));
        again.Dispose();
        imapLease.Dispose();
    }
}
