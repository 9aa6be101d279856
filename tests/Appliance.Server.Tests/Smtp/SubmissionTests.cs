using System.Text;
using Appliance.Server.Listeners;
using Appliance.Server.Queue;

namespace Appliance.Server.Tests.Smtp;

/// <summary>Ports 587 (STARTTLS) and 465 (implicit TLS): authentication, sender rules, queueing.</summary>
public sealed class SubmissionTests
{
    private static string Plain(string user, string password = SmtpTestServer.Password) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));

    [Fact]
    public async Task No_auth_before_tls_and_no_mail_before_auth()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Submission);
        using var client = await server.ConnectAsync();
        string? ehlo = await client.CommandAsync("EHLO client.test");
        Assert.Contains("250-STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo);
        await client.ExpectAsync($"AUTH PLAIN {Plain("alice@example.org")}", "538 5.7.11 Encryption required for requested authentication mechanism: send STARTTLS first");
        await client.ExpectAsync("MAIL FROM:<alice@example.org>", "530 5.7.0 Authentication required");
        await client.StartTlsAsync();
        ehlo = await client.CommandAsync("EHLO client.test");
        Assert.Contains("250-AUTH PLAIN LOGIN", ehlo);
        Assert.DoesNotContain("STARTTLS", ehlo);
        await client.ExpectAsync("MAIL FROM:<alice@example.org>", "530 5.7.0 Authentication required");
        await client.ExpectAsync($"AUTH PLAIN {Plain("alice@example.org", "wrong")}", "535 5.7.8 Authentication credentials invalid");
        await client.ExpectAsync($"AUTH PLAIN {Plain("nobody@example.org")}", "535 5.7.8 Authentication credentials invalid");
        await client.ExpectAsync($"AUTH PLAIN {Plain("alice@example.org")}", "235 2.7.0 Authentication successful");
        await client.ExpectAsync($"AUTH PLAIN {Plain("alice@example.org")}", "503 5.5.1 Already authenticated");
        await client.ExpectAsync("MAIL FROM:<alice@example.org>", "250 2.1.0 Sender ok");
    }

    [Fact]
    public async Task Auth_login_and_plain_with_continuations()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Smtps);
        using var client = await server.ConnectAsync();
        Assert.Contains("250-AUTH PLAIN LOGIN", await client.CommandAsync("EHLO client.test"));
        await client.ExpectAsync("AUTH LOGIN", "334 VXNlcm5hbWU6");
        await client.ExpectAsync(Convert.ToBase64String("bob@example.org"u8), "334 UGFzc3dvcmQ6");
        await client.ExpectAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(SmtpTestServer.Password)), "235 2.7.0 Authentication successful");

        using var second = await server.ConnectAsync();
        await second.ExpectCodeAsync("EHLO client.test", "250");
        await second.ExpectAsync("AUTH PLAIN", "334 ");
        await second.ExpectAsync("*", "501 5.7.0 Authentication cancelled");
        await second.ExpectAsync("AUTH PLAIN", "334 ");
        await second.ExpectAsync("not base64!", "501 5.5.2 Cannot decode the response (base64 of UTF-8 expected)");
        await second.ExpectAsync("AUTH CRAM-MD5", "504 5.5.4 Unrecognized authentication mechanism; use PLAIN or LOGIN");
        await second.ExpectAsync($"AUTH PLAIN {Convert.ToBase64String(Encoding.UTF8.GetBytes($"bob@example.org\0alice@example.org\0{SmtpTestServer.Password}"))}",
            "535 5.7.8 Authorization identity must be empty or the same as the user");
        await second.ExpectAsync("AUTH PLAIN", "334 ");
        await second.ExpectAsync(Plain("alice@example.org"), "235 2.7.0 Authentication successful");
    }

    [Fact]
    public async Task Repeated_auth_failures_end_the_session()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Smtps, o => o.MaxAuthFailures = 2);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectAsync($"AUTH PLAIN {Plain("alice@example.org", "guess1")}", "535 5.7.8 Authentication credentials invalid");
        await client.ExpectAsync($"AUTH PLAIN {Plain("alice@example.org", "guess2")}", "421 4.7.0 mail.test Too many failed authentications, closing connection");
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Users_send_only_as_addresses_they_own()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Smtps);
        await server.Accounts.AddAliasAsync("sales@example.org", ["alice@example.org"], "test");
        using var client = await server.ConnectAsync();
        await client.LoginAsync("alice@example.org");
        await client.ExpectAsync("MAIL FROM:<>", "553 5.7.1 The null sender <> is not allowed for authenticated users");
        await client.ExpectAsync("MAIL FROM:<bob@example.org>", "553 5.7.1 Sender address <bob@example.org> is not owned by alice@example.org");
        await client.ExpectAsync("MAIL FROM:<ceo@foreign.example>", "553 5.7.1 Sender address <ceo@foreign.example> is not owned by alice@example.org");
        await client.ExpectAsync("MAIL FROM:<sales@example.org>", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RSET", "250 2.0.0 Ok");
        await client.ExpectAsync("MAIL FROM:<Alice+lists@example.org>", "250 2.1.0 Sender ok");
        await client.ExpectCodeAsync("RCPT TO:<friend@foreign.example>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("From: The Boss <bob@example.org>\r\nSubject: spoof\r\n\r\nx\r\n.\r\n");
        Assert.Equal("553 5.7.1 From: address <bob@example.org> is not owned by alice@example.org", await client.ReadReplyAsync());
        await client.ExpectCodeAsync("MAIL FROM:<alice@example.org>", "250");
        await client.ExpectCodeAsync("RCPT TO:<friend@foreign.example>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: no from\r\n\r\nx\r\n.\r\n");
        Assert.Equal("550 5.6.0 Message has no From: header", await client.ReadReplyAsync());
        Assert.Empty(server.Queue.Entries);
    }

    [Fact]
    public async Task Remote_recipients_are_queued_signed_and_local_ones_delivered()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Submission);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.StartTlsAsync();
        await client.LoginAsync("alice@example.org");
        await client.ExpectCodeAsync("MAIL FROM:<alice@example.org> RET=HDRS ENVID=abc+2Bdef", "250");
        await client.ExpectCodeAsync("RCPT TO:<friend@foreign.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;friend@foreign.example", "250");
        await client.ExpectCodeAsync("RCPT TO:<bob@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("From: Alice <alice@example.org>\r\nTo: friend@foreign.example, bob@example.org\r\nSubject: hello\r\n\r\nHi!\r\n.\r\n");
        string? reply = await client.ReadReplyAsync();
        Assert.Equal("250 2.0.0 Ok: queued as Q1", reply);

        var (_, envelope, queued) = Assert.Single(server.Queue.Entries);
        Assert.Equal("alice@example.org", envelope.ReversePath);
        Assert.Equal([new OutboundRecipient("friend@foreign.example", DsnNotify.Failure | DsnNotify.Delay, "rfc822;friend@foreign.example")], envelope.Recipients);
        Assert.Equal(("abc+def", DsnReturn.Headers), (envelope.EnvelopeId, envelope.Return));
        // Private by default: no client address or HELO in the Received header.
        Assert.Matches(@"^Received: by mail\.test \(Appliance\) with ESMTPSA id [0-9a-f]+\r\n\t\(TLSv1\.[23] with cipher \w+\);\r\n\t[^\r]+\r\nDKIM-Signature: v=1; test=fake\r\nDate: [^\r]+\r\nMessage-ID: <[0-9a-f]+@mail\.test>\r\nFrom: Alice", queued);
        Assert.DoesNotContain("127.0.0.1", queued);
        Assert.DoesNotContain("client.test", queued);
        // The signer saw the added Date and Message-ID, and not the Received field.
        Assert.StartsWith("Date: ", Assert.Single(server.Signer.Signed));

        string local = Assert.Single(await server.MessagesAsync("bob@example.org"));
        Assert.StartsWith("Return-Path: <alice@example.org>\r\nDelivered-To: bob@example.org\r\nReceived: by mail.test", local);
        Assert.Contains("DKIM-Signature: v=1; test=fake\r\n", local);
        var logged = Assert.Single(server.Log.Transactions);
        Assert.Equal(("submission", "alice@example.org", "Q1"), (logged.Listener, logged.AuthenticatedUser, logged.QueueId));
    }

    [Fact]
    public async Task Received_can_name_the_submitter_when_configured()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Smtps, o => o.HideSubmitterInReceived = false);
        using var client = await server.ConnectAsync();
        await client.LoginAsync("alice@example.org");
        await client.ExpectCodeAsync("MAIL FROM:<alice@example.org>", "250");
        await client.ExpectCodeAsync("RCPT TO:<bob@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("From: alice@example.org\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <given@example.org>\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        string local = Assert.Single(await server.MessagesAsync("bob@example.org"));
        Assert.Contains("Received: from client.test ([127.0.0.1])\r\n\tby mail.test (Appliance) with ESMTPSA id ", local);
        // The client's own Date and Message-ID are kept, not doubled.
        Assert.Equal(2, local.Split("\r\nMessage-ID: ").Length);
        Assert.Equal(2, local.Split("\r\nDate: ").Length);
        Assert.Contains("\r\nMessage-ID: <given@example.org>\r\n", local);
    }

    /// <summary>AUTH continuations and BDAT chunks arriving one byte at a time are read exactly as whole ones.</summary>
    [Fact]
    public async Task Auth_and_bdat_split_into_single_bytes()
    {
        await using var server = await SmtpTestServer.StartAsync(ListenerKind.Smtps);
        using var client = await server.ConnectAsync();
        async Task<string?> Slowly(string text)
        {
            foreach (byte b in Encoding.UTF8.GetBytes(text))
                await client.Raw.Stream.WriteAsync(new[] { b });
            return await client.ReadReplyAsync();
        }
        Assert.StartsWith("250-mail.test", await Slowly("EHLO client.test\r\n"));
        Assert.Equal("334 ", await Slowly("AUTH PLAIN\r\n"));
        Assert.Equal("235 2.7.0 Authentication successful", await Slowly(Plain("alice@example.org") + "\r\n"));
        Assert.Equal("250 2.1.0 Sender ok", await Slowly("MAIL FROM:<alice@example.org>\r\n"));
        Assert.Equal("250 2.1.5 Recipient ok", await Slowly("RCPT TO:<bob@example.org>\r\n"));
        string first = "From: alice@example.org\r\nSubject: bytes\r";
        string second = "\n\r\n.body\r\n";
        Assert.Equal($"250 2.0.0 {first.Length} octets received", await Slowly($"BDAT {first.Length}\r\n{first}"));
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await Slowly($"BDAT {second.Length} LAST\r\n{second}"));
        // The CR at the end of the first chunk and the LF at the start of the second are one CRLF.
        Assert.EndsWith("From: alice@example.org\r\nSubject: bytes\r\n\r\n.body\r\n", Assert.Single(await server.MessagesAsync("bob@example.org")));
    }
}
