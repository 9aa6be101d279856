namespace Appliance.Server.Tests.Smtp;

/// <summary>Aliases that forward outside our domains, SRS, and the bounces that come back.</summary>
public sealed class ForwardingTests
{
    [Fact]
    public async Task External_alias_destinations_are_queued_with_an_srs_sender_and_bounces_find_their_way_back()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await server.Accounts.AddAliasAsync("fwd@example.org", ["me@gmail.example", "alice@example.org"], "test");
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<friend@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<fwd@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("From: <friend@elsewhere.example>\r\nSubject: fwd\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());

        Assert.Single(await server.MessagesAsync("alice@example.org"));
        var (_, envelope, message) = Assert.Single(server.Queue.Entries);
        Assert.Matches(@"^SRS0=[A-Z2-7]{8}=[A-Z2-7]{2}=elsewhere\.example=friend@example\.org$", envelope.ReversePath);
        Assert.Equal("me@gmail.example", Assert.Single(envelope.Recipients).Address);
        Assert.StartsWith("Authentication-Results: mail.test;", message);

        // The remote side bounces to the SRS address: we accept it and send it to the original sender.
        await client.ExpectCodeAsync("MAIL FROM:<>", "250");
        await client.ExpectAsync($"RCPT TO:<{envelope.ReversePath}>", "250 2.1.5 Recipient ok");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("From: MAILER-DAEMON@gmail.example\r\nSubject: Undelivered\r\n\r\nsorry\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        var bounce = server.Queue.Entries[1];
        Assert.Equal("", bounce.Envelope.ReversePath);
        Assert.Equal("friend@elsewhere.example", Assert.Single(bounce.Envelope.Recipients).Address);
    }

    [Theory]
    [InlineData("SRS0=AAAAAAAA=AA=victim.example=user@example.org")]
    [InlineData("SRS0=garbage@example.org")]
    public async Task Forged_srs_addresses_are_refused(string address)
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<>", "250");
        await client.ExpectAsync($"RCPT TO:<{address}>", $"550 5.1.1 <{address}>: Invalid or expired SRS address");
        Assert.Empty(server.Queue.Entries);
    }
}
