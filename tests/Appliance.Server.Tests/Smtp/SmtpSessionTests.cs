using Appliance.Server.Listeners;

namespace Appliance.Server.Tests.Smtp;

/// <summary>Transcripts of port 25 (MX) sessions over a real socket, with exact replies.</summary>
public sealed class SmtpSessionTests
{
    private const string Ehlo25 =
        "250-mail.test Hello client.test [127.0.0.1]\n250-PIPELINING\n250-SIZE 52428800\n250-8BITMIME\n250-SMTPUTF8\n" +
        "250-ENHANCEDSTATUSCODES\n250-CHUNKING\n250-DSN\n250-STARTTLS\n250 HELP";

    [Fact]
    public async Task Ehlo_on_port_25_offers_starttls_and_no_auth()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("EHLO client.test", Ehlo25);
        await client.ExpectAsync("HELO client.test", "250 mail.test Hello client.test [127.0.0.1]");
        await client.ExpectAsync("NOOP", "250 2.0.0 Ok");
        await client.ExpectAsync("VRFY alice@example.org", "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
        await client.ExpectAsync("EXPN staff", "502 5.5.1 EXPN is not available");
        await client.ExpectAsync("AUTH PLAIN AGFsaWNlAHg=", "502 5.5.1 AUTH is not available on port 25; submit mail on port 587 or 465");
        await client.ExpectAsync("QUIT", "221 2.0.0 mail.test Bye");
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task A_message_is_delivered_with_trace_fields_and_unstuffed()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("EHLO client.test", Ehlo25);
        await client.ExpectAsync("MAIL FROM:<sender@elsewhere.example>", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("DATA", "354 End data with <CR><LF>.<CR><LF>");
        await client.SendAsync("From: Sender <sender@elsewhere.example>\r\nTo: alice@example.org\r\nSubject: hi\r\n\r\n..a line with a leading dot\r\nbody\r\n.\r\n");
        string? reply = await client.ReadReplyAsync();
        Assert.Matches(@"^250 2\.0\.0 Ok: queued as [0-9a-f]{16}$", reply);
        await client.ExpectAsync("QUIT", "221 2.0.0 mail.test Bye");

        var message = Assert.Single(await server.MessagesAsync("alice@example.org"));
        Assert.StartsWith("Return-Path: <sender@elsewhere.example>\r\nDelivered-To: alice@example.org\r\nAuthentication-Results: mail.test;\r\n\tspf=none", message);
        Assert.Contains("\r\n\tdkim=none;\r\n\tdmarc=none header.from=elsewhere.example\r\n", message);
        Assert.Matches(@"\r\nReceived: from client\.test \(\[127\.0\.0\.1\]\)\r\n\tby mail\.test \(Appliance\) with ESMTP id [0-9a-f]{16}\r\n\tfor <alice@example\.org>;\r\n\t\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\nFrom: Sender", message);
        Assert.EndsWith("\r\n\r\n.a line with a leading dot\r\nbody\r\n", message);

        var logged = Assert.Single(server.Log.Transactions);
        Assert.Equal(("smtp", "sender@elsewhere.example", 250), (logged.Listener, logged.ReversePath, logged.ReplyCode));
        Assert.Equal(["alice@example.org"], logged.Recipients);
    }

    [Fact]
    public async Task Recipients_are_checked_at_rcpt_time()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await server.Accounts.AddAliasAsync("team@example.org", ["alice@example.org", "bob@example.org"], "test");
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("EHLO client.test", Ehlo25);
        await client.ExpectAsync("MAIL FROM:<>", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RCPT TO:<nobody@example.org>", "550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown");
        await client.ExpectAsync("RCPT TO:<friend@foreign.example>", "554 5.7.1 <friend@foreign.example>: Relay access denied");
        await client.ExpectAsync("RCPT TO:<friend@[192.0.2.1]>", "554 5.7.1 <friend@[192.0.2.1]>: Relay access denied");
        await client.ExpectAsync("RCPT TO:<ALICE+news@Example.ORG>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("RCPT TO:<team@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("DATA", "354 End data with <CR><LF>.<CR><LF>");
        await client.SendAsync("From: <list@elsewhere.example>\r\nSubject: once\r\n\r\nhello\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok", await client.ReadReplyAsync());

        // alice is reached twice (directly and through the alias) but gets one copy.
        Assert.Single(await server.MessagesAsync("alice@example.org"));
        Assert.Single(await server.MessagesAsync("bob@example.org"));
        Assert.Contains("Return-Path: <>\r\n", (await server.MessagesAsync("bob@example.org"))[0]);
    }

    [Fact]
    public async Task A_catch_all_accepts_unknown_local_parts_but_real_mailboxes_and_aliases_win()
    {
        await using var server = await SmtpTestServer.StartAsync();
        await server.Accounts.AddAliasAsync("@example.org", ["bob@example.org"], "test");
        await server.Accounts.AddAliasAsync("sales@example.org", ["alice@example.org"], "test");
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("EHLO client.test", Ehlo25);
        await client.ExpectAsync("MAIL FROM:<sender@elsewhere.example>", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RCPT TO:<anything-at-all@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("RCPT TO:<sales@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "250 2.1.5 Recipient ok");
        // The catch-all covers its own domain only: still no relay.
        await client.ExpectAsync("RCPT TO:<anything@foreign.example>", "554 5.7.1 <anything@foreign.example>: Relay access denied");
        await client.ExpectAsync("DATA", "354 End data with <CR><LF>.<CR><LF>");
        await client.SendAsync("From: <sender@elsewhere.example>\r\nSubject: catch\r\n\r\nhello\r\n.\r\n");
        Assert.StartsWith("250 2.0.0 Ok", await client.ReadReplyAsync());

        // The unknown address went to the catch-all's mailbox; the alias and the mailbox were not caught.
        Assert.Contains("Delivered-To: bob@example.org", Assert.Single(await server.MessagesAsync("bob@example.org")));
        Assert.Single(await server.MessagesAsync("alice@example.org")); // sales and alice: one copy
    }

    /// <summary>No open relay whatever the address looks like (RFC 5321 3.6.2, 7.9).</summary>
    [Theory]
    [InlineData("<user@foreign.example>", "554 5.7.1 <user@foreign.example>: Relay access denied")]
    [InlineData("<user%foreign.example@example.org>", "550 5.1.1 <user%foreign.example@example.org>: Recipient address rejected: User unknown")]
    [InlineData("<foreign.example!user@example.org>", "550 5.1.1 <foreign.example!user@example.org>: Recipient address rejected: User unknown")]
    [InlineData("<@example.org:user@foreign.example>", "554 5.7.1 <user@foreign.example>: Relay access denied")]
    [InlineData("<\"user@foreign.example\"@example.org>", "550 5.1.1 <\"user@foreign.example\"@example.org>: Recipient address rejected: User unknown")]
    [InlineData("<user@foreign.example@example.org>", "501 5.5.4 Syntax error in local part (use quotes for special characters)")]
    [InlineData("<user@example.org.foreign.example>", "554 5.7.1 <user@example.org.foreign.example>: Relay access denied")]
    [InlineData("<\"user%foreign.example\"@example.org>", "550 5.1.1 <user%foreign.example@example.org>: Recipient address rejected: User unknown")]
    public async Task Open_relay_matrix(string path, string reply)
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("EHLO client.test", Ehlo25);
        await client.ExpectAsync("MAIL FROM:<sender@elsewhere.example>", "250 2.1.0 Sender ok");
        await client.ExpectAsync($"RCPT TO:{path}", reply);
        await client.ExpectAsync("DATA", "554 5.5.1 No valid recipients");
        // The quoted form of a plain local part is the same mailbox (RFC 5321 4.1.2).
        await client.ExpectAsync("RCPT TO:<\"alice\"@example.org>", "250 2.1.5 Recipient ok");
        Assert.Empty(server.Queue.Entries);
    }

    [Fact]
    public async Task Commands_out_of_order_get_503_and_unknown_ones_500()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example>", "503 5.5.1 Send EHLO first");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "503 5.5.1 Need MAIL before RCPT");
        await client.ExpectAsync("DATA", "503 5.5.1 Need MAIL and RCPT before DATA");
        await client.ExpectAsync("FROB", "500 5.5.2 Command not recognized");
        await client.ExpectAsync("EHLO", "501 5.5.4 Syntax: EHLO hostname");
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "503 5.5.1 Need MAIL before RCPT");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example>", "250 2.1.0 Sender ok");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example>", "503 5.5.1 Nested MAIL command: one transaction at a time (RSET first)");
        await client.ExpectAsync("STARTTLS", "503 5.5.1 STARTTLS is not allowed inside a mail transaction");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example> FROB=1", "503 5.5.1 Nested MAIL command: one transaction at a time (RSET first)");
        await client.ExpectAsync("RSET", "250 2.0.0 Ok");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example> FROB=1", "555 5.5.4 MAIL parameter FROB is not supported");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example> BODY=BINARYMIME", "501 5.5.4 Bad value for MAIL parameter BODY");
        await client.ExpectAsync("MAIL FROM:a@elsewhere.example", "501 5.5.4 Syntax error in address: it must be in angle brackets, like <user@example.org>");
        await client.ExpectAsync("MAIL TO:<a@elsewhere.example>", "501 5.5.4 Syntax: MAIL FROM:<address>");
    }

    [Fact]
    public async Task Helo_sessions_take_no_parameters()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("HELO client.test", "250");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example> SIZE=10", "555 5.5.4 MAIL parameters need EHLO");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example>", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("DATA", "354 End data with <CR><LF>.<CR><LF>");
        await client.SendAsync("Subject: plain SMTP\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        Assert.Contains(" with SMTP id ", (await server.MessagesAsync("alice@example.org"))[0]);
    }

    [Fact]
    public async Task Size_limits_are_enforced_at_mail_and_after_data()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxMessageSize = 1000);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example> SIZE=1001", "552 5.3.4 Message size exceeds the maximum of 1000 octets");
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example> SIZE=1000", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectAsync("DATA", "354 End data with <CR><LF>.<CR><LF>");
        await client.SendAsync("Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat(new string('x', 100) + "\r\n", 20)) + ".\r\n");
        Assert.Equal("552 5.3.4 Message size exceeds the maximum of 1000 octets", await client.ReadReplyAsync());
        await client.ExpectAsync("NOOP", "250 2.0.0 Ok");
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
    }

    [Fact]
    public async Task A_text_line_over_the_limit_refuses_the_message_after_its_end()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxTextLineLength = 1000);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: wide\r\n\r\n" + new string('x', 1200) + "\r\n.\r\n");
        Assert.Equal("550 5.6.0 Message refused: a line is longer than 1000 octets", await client.ReadReplyAsync());
        await client.ExpectAsync("NOOP", "250 2.0.0 Ok");
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
    }

    [Fact]
    public async Task Too_many_recipients_get_452_and_the_rest_is_delivered()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxRecipients = 2);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        await client.ExpectCodeAsync("RCPT TO:<bob@example.org>", "250");
        await client.ExpectAsync("RCPT TO:<carol@example.org>", "452 4.5.3 Too many recipients (at most 2 per message)");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: two\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        Assert.Single(await server.MessagesAsync("alice@example.org"));
        Assert.Single(await server.MessagesAsync("bob@example.org"));
        Assert.Empty(await server.MessagesAsync("carol@example.org"));
    }

    [Fact]
    public async Task A_full_mailbox_gets_452_at_rcpt()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example> SIZE=2000", "250");
        await client.ExpectAsync("RCPT TO:<carol@example.org>", "452 4.2.2 <carol@example.org>: Mailbox full, try again later");
        await client.ExpectAsync("RSET", "250 2.0.0 Ok");
        // Without SIZE the message is taken even though it passes the quota once...
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<carol@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: fills it\r\n\r\n" + new string('x', 1500) + "\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        // ...and the next one is refused.
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectAsync("RCPT TO:<carol@example.org>", "452 4.2.2 <carol@example.org>: Mailbox full, try again later");
    }

    [Fact]
    public async Task Unknown_recipient_probing_is_cut_off()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxUnknownRecipients = 3);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        for (int i = 0; i < 3; i++)
            await client.ExpectCodeAsync($"RCPT TO:<guess{i}@example.org>", "550");
        await client.ExpectAsync("RCPT TO:<guess3@example.org>", "421 4.7.0 mail.test Too many unknown recipients, closing connection");
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Too_many_errors_end_the_session()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxErrors = 3);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("FROB", "500");
        await client.ExpectCodeAsync("FROB", "500");
        await client.ExpectAsync("FROB", "500 5.5.2 Command not recognized");
        Assert.Equal("421 4.7.0 mail.test Too many errors, closing connection", await client.ReadReplyAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Overlong_command_lines_are_refused_without_buffering_them()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxCommandLineLength = 512);
        using var client = await server.ConnectAsync();
        await client.ExpectAsync("NOOP " + new string('x', 600), "500 5.5.2 Line too long (the limit is 512 octets)");
        await client.ExpectAsync("NOOP", "250 2.0.0 Ok");
        await client.ExpectAsync("NOOP " + new string('x', 505), "250 2.0.0 Ok"); // 512 with CRLF
    }

    [Fact]
    public async Task Bdat_chunks_are_delivered()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example> BODY=8BITMIME", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        string part1 = "Subject: chunks\r\n\r\n";
        string part2 = ".not stuffed\r\nQUIT\r\n";
        await client.SendAsync($"BDAT {part1.Length}\r\n{part1}");
        Assert.Equal($"250 2.0.0 {part1.Length} octets received", await client.ReadReplyAsync());
        await client.ExpectAsync("DATA", "503 5.5.1 Only BDAT, RSET, NOOP or QUIT may follow a BDAT without LAST");
        await client.SendAsync($"BDAT {part2.Length} LAST\r\n{part2}");
        Assert.StartsWith("250 2.0.0 Ok: queued as ", await client.ReadReplyAsync());
        await client.ExpectAsync("BDAT 0 LAST", "503 5.5.1 Need MAIL and RCPT before BDAT");
        await client.ExpectAsync("QUIT", "221 2.0.0 mail.test Bye");
        Assert.EndsWith("Subject: chunks\r\n\r\n.not stuffed\r\nQUIT\r\n", Assert.Single(await server.MessagesAsync("alice@example.org")));
    }

    [Fact]
    public async Task Bdat_bytes_are_never_taken_as_commands()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        // Out of sequence: the 30 bytes are still read as the chunk, not run as RSET/MAIL.
        string chunk = "MAIL FROM:<x@y.example>\r\nRSET\r\n"[..30];
        await client.SendAsync($"BDAT 30 LAST\r\n{chunk}");
        Assert.Equal("503 5.5.1 Need MAIL and RCPT before BDAT", await client.ReadReplyAsync());
        await client.ExpectAsync("NOOP", "250 2.0.0 Ok");
    }

    [Fact]
    public async Task Bdat_over_the_size_limit_is_refused_and_the_chunks_still_consumed()
    {
        await using var server = await SmtpTestServer.StartAsync(configure: o => o.MaxMessageSize = 100);
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        string big = new string('x', 148) + "\r\n";
        await client.SendAsync($"BDAT 150\r\n{big}BDAT 4 LAST\r\nNOOP");
        Assert.Equal("552 5.3.4 Message size exceeds the maximum of 100 octets", await client.ReadReplyAsync());
        Assert.Equal("503 5.5.1 The message was already refused; send RSET", await client.ReadReplyAsync());
        await client.ExpectAsync("RSET", "250 2.0.0 Ok");
        Assert.Empty(await server.MessagesAsync("alice@example.org"));
    }

    [Fact]
    public async Task Smtputf8_addresses_need_the_parameter()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.ExpectAsync("MAIL FROM:<jörg@bücher.example>", "553 5.6.7 Non-ASCII address requires the SMTPUTF8 parameter");
        await client.ExpectAsync("MAIL FROM:<jörg@bücher.example> SMTPUTF8", "250 2.1.0 Sender ok");
        await client.ExpectAsync("RCPT TO:<alice@example.org>", "250 2.1.5 Recipient ok");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("From: Jörg <jörg@bücher.example>\r\nSubject: Grüße\r\n\r\nHallo\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        string message = Assert.Single(await server.MessagesAsync("alice@example.org"));
        Assert.Contains("Return-Path: <jörg@bücher.example>", message);
        Assert.Contains(" with UTF8SMTP id ", message);
    }

    [Fact]
    public async Task Pipelined_commands_get_their_replies_in_order()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.SendAsync("MAIL FROM:<a@elsewhere.example>\r\nRCPT TO:<alice@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n");
        Assert.Equal("250 2.1.0 Sender ok", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Recipient ok", await client.ReadReplyAsync());
        Assert.Equal("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown", await client.ReadReplyAsync());
        Assert.Equal("250 2.1.5 Recipient ok", await client.ReadReplyAsync());
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await client.ReadReplyAsync());
        await client.SendAsync("Subject: pipelined\r\n\r\nx\r\n.\r\nRSET\r\nQUIT\r\n");
        Assert.StartsWith("250 2.0.0 Ok: queued as", await client.ReadReplyAsync());
        Assert.Equal("250 2.0.0 Ok", await client.ReadReplyAsync());
        Assert.Equal("221 2.0.0 mail.test Bye", await client.ReadReplyAsync());
        Assert.Single(await server.MessagesAsync("bob@example.org"));
    }

    /// <summary>Kestrel's parser tests send one byte at a time to find consumption bugs; so do we, for a whole session.</summary>
    [Fact]
    public async Task A_session_sent_one_byte_at_a_time_gets_the_same_replies()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        async Task<string?> Slowly(string text)
        {
            foreach (char c in text)
                await client.SendAsync(c.ToString());
            return await client.ReadReplyAsync();
        }
        Assert.StartsWith("250-mail.test", await Slowly("EHLO client.test\r\n"));
        Assert.Equal("250 2.1.0 Sender ok", await Slowly("MAIL FROM:<a@elsewhere.example>\r\n"));
        Assert.Equal("250 2.1.5 Recipient ok", await Slowly("RCPT TO:<alice@example.org>\r\n"));
        Assert.Equal("354 End data with <CR><LF>.<CR><LF>", await Slowly("DATA\r\n"));
        Assert.StartsWith("250 2.0.0 Ok", await Slowly("Subject: slow\r\n\r\n..dot\r\nend\r\n.\r\n"));
        Assert.Equal("221 2.0.0 mail.test Bye", await Slowly("QUIT\r\n"));
        Assert.EndsWith("Subject: slow\r\n\r\n.dot\r\nend\r\n", Assert.Single(await server.MessagesAsync("alice@example.org")));
    }

    [Fact]
    public async Task Starttls_resets_the_session_and_the_received_header_records_tls()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using var client = await server.ConnectAsync();
        await client.ExpectCodeAsync("EHLO client.test", "250");
        await client.StartTlsAsync();
        await client.ExpectAsync("MAIL FROM:<a@elsewhere.example>", "503 5.5.1 Send EHLO first");
        string? ehlo = await client.CommandAsync("EHLO client.test");
        Assert.DoesNotContain("STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo); // never on port 25
        await client.ExpectAsync("STARTTLS", "503 5.5.1 TLS is already active");
        await client.ExpectCodeAsync("MAIL FROM:<a@elsewhere.example>", "250");
        await client.ExpectCodeAsync("RCPT TO:<alice@example.org>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        await client.SendAsync("Subject: secret\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 ", await client.ReadReplyAsync());
        Assert.Matches(@"with ESMTPS id [0-9a-f]+\r\n\t\(TLSv1\.[23] with cipher TLS_\w+\)", Assert.Single(await server.MessagesAsync("alice@example.org")));
    }

    [Fact]
    public async Task Refused_transactions_are_in_the_delivery_log_too()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using (var client = await server.ConnectAsync())
        {
            await client.ExpectCodeAsync("EHLO relay.test", "250");
            await client.ExpectCodeAsync("MAIL FROM:<spammer@elsewhere.example>", "250");
            await client.ExpectCodeAsync("RCPT TO:<victim@foreign.example>", "554");
            await client.ExpectCodeAsync("RCPT TO:<nobody@example.org>", "550");
            await client.ExpectAsync("RSET", "250 2.0.0 Ok");
            await client.ExpectCodeAsync("MAIL FROM:<quiet@elsewhere.example>", "250");
            await client.ExpectAsync("QUIT", "221 2.0.0 mail.test Bye"); // nothing refused: nothing to log
        }
        var record = Assert.Single(server.Log.Transactions);
        Assert.Equal(("spammer@elsewhere.example", 550, "relay.test"), (record.ReversePath, record.ReplyCode, record.Helo));
        Assert.Equal(["victim@foreign.example", "nobody@example.org"], record.Recipients);
        Assert.Equal("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown", record.ReplyText);
    }

    [Fact]
    public async Task Postmaster_without_a_domain_is_this_hosts_postmaster()
    {
        await using var server = await SmtpTestServer.StartAsync();
        using (var client = await server.ConnectAsync())
        {
            await client.ExpectCodeAsync("EHLO client.test", "250");
            await client.ExpectCodeAsync("MAIL FROM:<>", "250");
            await client.ExpectAsync("RCPT TO:<Postmaster>", "550 5.1.1 <Postmaster>: no postmaster is set up here (add an alias postmaster@ a hosted domain)");
        }
        // RFC 5321 4.1.1.3: once the host's domain has a postmaster, "<Postmaster>" reaches it.
        await server.Accounts.AddDomainAsync("mail.test", "test");
        await server.Accounts.AddAliasAsync("postmaster@mail.test", ["alice@example.org"], "test");
        using var again = await server.ConnectAsync();
        await again.ExpectCodeAsync("EHLO client.test", "250");
        await again.ExpectCodeAsync("MAIL FROM:<>", "250");
        await again.ExpectAsync("RCPT TO:<Postmaster>", "250 2.1.5 Recipient ok");
        await again.ExpectCodeAsync("DATA", "354");
        await again.SendAsync("Subject: abuse report\r\n\r\nx\r\n.\r\n");
        Assert.StartsWith("250 ", await again.ReadReplyAsync());
        Assert.Contains("Delivered-To: alice@example.org", Assert.Single(await server.MessagesAsync("alice@example.org")));
    }
}
