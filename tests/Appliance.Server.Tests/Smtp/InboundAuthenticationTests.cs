using System.Text;
using Appliance.Dns;
using Appliance.MailAuth.Dkim;

namespace Appliance.Server.Tests.Smtp;

/// <summary>SPF, DKIM and DMARC on port 25, with the DNS served by the fake resolver.</summary>
public sealed class InboundAuthenticationTests
{
    private static async Task<string?> SendAsync(SmtpTestServer server, string from, string message, string rcpt = "alice@example.org")
    {
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync($"MAIL FROM:<{from}>", "250");
        await client.ExpectCodeAsync($"RCPT TO:<{rcpt}>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync(message + ".\r\n");
        return await client.ReadReplyAsync();
    }

    [Fact]
    public async Task Dmarc_reject_is_refused_at_the_end_of_data()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.bank.example", "v=DMARC1; p=reject");
        await using var server = await SmtpTestServer.StartAsync(dns: dns);
        string? reply = await SendAsync(server, "phisher@evil.example", "From: Bank <service@bank.example>\r\nSubject: verify\r\n\r\nclick\r\n");
        Assert.Equal("550 5.7.1 Message rejected: it fails the DMARC policy of bank.example", reply);
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
        Assert.Equal(550, Assert.Single(server.Log.Transactions).ReplyCode);
    }

    [Fact]
    public async Task Dmarc_quarantine_goes_to_junk()
    {
        var dns = new FakeDnsResolver().AddTxt("_dmarc.shop.example", "v=DMARC1; p=quarantine");
        await using var server = await SmtpTestServer.StartAsync(dns: dns);
        Assert.StartsWith("250 ", await SendAsync(server, "x@evil.example", "From: <deals@shop.example>\r\nSubject: deal\r\n\r\nbuy\r\n"));
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
        string junk = Assert.Single(await server.MessagesAsync("alice@example.org", "Junk"));
        Assert.Contains("dmarc=fail header.from=shop.example", junk);
    }

    [Fact]
    public async Task Spf_and_dkim_pass_give_dmarc_pass()
    {
        using var key = DkimSigningKey.GenerateRsa();
        var dns = new FakeDnsResolver()
            .AddTxt("sender.example", "v=spf1 ip4:127.0.0.1 -all")
            .AddTxt("sel._domainkey.sender.example", key.DnsRecordValue)
            .AddTxt("_dmarc.sender.example", "v=DMARC1; p=reject");
        await using var server = await SmtpTestServer.StartAsync(dns: dns);
        string body = "From: News <news@sender.example>\r\nTo: alice@example.org\r\nSubject: signed\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nHello\r\n";
        string signature = new DkimSigner(key, "sender.example", "sel").Sign(Encoding.UTF8.GetBytes(body));
        Assert.StartsWith("250 ", await SendAsync(server, "bounces@sender.example", signature + body));
        string message = Assert.Single(await server.MessagesAsync("alice@example.org"));
        Assert.Contains("\tspf=pass smtp.mailfrom=sender.example", message);
        Assert.Contains("\tdkim=pass header.d=sender.example header.s=sel", message);
        Assert.Contains("\tdmarc=pass header.from=sender.example", message);
    }

    [Fact]
    public async Task Spf_fail_is_recorded()
    {
        var dns = new FakeDnsResolver().AddTxt("strict.example", "v=spf1 ip4:192.0.2.1 -all");
        await using var server = await SmtpTestServer.StartAsync(dns: dns);
        Assert.StartsWith("250 ", await SendAsync(server, "user@strict.example", "From: <user@strict.example>\r\nSubject: x\r\n\r\nx\r\n"));
        Assert.Contains("\tspf=fail smtp.mailfrom=strict.example", Assert.Single(await server.MessagesAsync("alice@example.org")));
    }

    /// <summary>RFC 8601 5: a sender's own "Authentication-Results: mail.test; dkim=pass" must not survive.</summary>
    [Fact]
    public async Task Forged_results_with_our_authserv_id_are_removed()
    {
        await using var server = await SmtpTestServer.StartAsync();
        string message = "Authentication-Results: mail.test;\r\n\tdkim=pass header.d=bank.example\r\n" +
            "Authentication-Results: other.example; spf=pass\r\n" +
            "authentication-results: \"MAIL.TEST\" (forged); dmarc=pass\r\n" +
            "From: <x@elsewhere.example>\r\nSubject: trust me\r\n\r\nbody\r\n";
        Assert.StartsWith("250 ", await SendAsync(server, "x@elsewhere.example", message));
        string delivered = Assert.Single(await server.MessagesAsync("alice@example.org"));
        Assert.DoesNotContain("header.d=bank.example", delivered);
        Assert.DoesNotContain("dmarc=pass", delivered);
        Assert.Contains("Authentication-Results: other.example; spf=pass\r\nFrom: <x@elsewhere.example>\r\nSubject: trust me\r\n\r\nbody\r\n", delivered);
        Assert.Single(delivered.Split("Authentication-Results: mail.test;").Skip(1)); // only ours
    }
}
