using System.Net;
using System.Text;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery.Outbound;
using Appliance.Server.Queue;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Tests.Queue;

/// <summary>Our SMTP client against the scripted server: the exact commands and octets on the wire, and each outcome.</summary>
public sealed class SmtpDeliveryClientTests : IAsyncLifetime
{
    private readonly FakeSmtpServer _server = new();
    private readonly ApplianceOptions _options = new() { Hostname = "mail.local.test" };

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private SmtpDeliveryClient Client => new(_options, NullLogger<SmtpDeliveryClient>.Instance);

    private SmtpTarget Target(SmtpCredentials? credentials = null, bool implicitTls = false, bool requireTls = false) =>
        new("mx.dest.test", IPAddress.Loopback, _server.Port, implicitTls, credentials, requireTls);

    private static SmtpMessage Message(byte[] content, params string[] recipients) => Message(content, recipients.Select(r => new OutboundRecipient(r)).ToArray());

    private static SmtpMessage Message(byte[] content, OutboundRecipient[] recipients, bool utf8 = false, bool eightBit = false,
        string? envid = null, DsnReturn ret = DsnReturn.Default, string sender = "alice@local.test") =>
        new(sender, recipients, envid, ret, utf8, eightBit, content.Length, () => new MemoryStream(content));

    private static readonly byte[] Simple = "Subject: hi\r\n\r\nHello.\r\n"u8.ToArray();

    [Fact]
    public async Task Delivers_with_the_exact_command_transcript()
    {
        _server.Extensions.AddRange(["SIZE 10000", "8BITMIME"]);
        var result = await Client.SendAsync(Target(), Message(Simple, [new OutboundRecipient("bob@dest.test")], eightBit: true), default);

        Assert.False(result.TryNextHost);
        var r = Assert.Single(result.Recipients);
        Assert.Equal(SmtpRecipientStatus.Delivered, r.Status);
        Assert.Equal(250, r.Reply.Code);
        Assert.Equal("2.0.0", r.Reply.EnhancedStatus);
        Assert.Null(result.Tls);
        await _server.WaitForSessionEndAsync();
        Assert.Equal(
            ["EHLO mail.local.test", $"MAIL FROM:<alice@local.test> SIZE={Simple.Length} BODY=8BITMIME", "RCPT TO:<bob@dest.test>", "DATA", "QUIT"],
            _server.Commands);
        Assert.Equal(Simple, Assert.Single(_server.Messages));
    }

    [Fact]
    public async Task Dot_stuffs_and_sends_only_crlf()
    {
        byte[] content = Encoding.ASCII.GetBytes("Subject: dots\r\n\r\n.leading dot\r\n..two\r\nbare lf\nbare cr\rend.\r\n.\r\nlast line without break");
        var result = await Client.SendAsync(Target(), Message(content, "bob@dest.test"), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, Assert.Single(result.Recipients).Status);

        string wire = Encoding.ASCII.GetString(Assert.Single(_server.Messages));
        Assert.Equal("Subject: dots\r\n\r\n..leading dot\r\n...two\r\nbare lf\r\nbare cr\r\nend.\r\n..\r\nlast line without break\r\n", wire);
        // Every LF is preceded by CR and every CR followed by LF.
        for (int i = 0; i < wire.Length; i++)
        {
            if (wire[i] == '\n') Assert.Equal('\r', wire[i - 1]);
            if (wire[i] == '\r') Assert.Equal('\n', wire[i + 1]);
        }
    }

    [Fact]
    public void Dot_stuffing_is_the_same_when_input_arrives_one_octet_at_a_time()
    {
        byte[] content = Encoding.ASCII.GetBytes(".a\r\nb\r\r\n.\n\r.c");
        var whole = new DotStuffingWriter();
        var output = new byte[DotStuffingWriter.MaxOutput(content.Length)];
        int n = whole.Transform(content, output);
        n += whole.Finish(output.AsSpan(n));
        string expected = Encoding.ASCII.GetString(output, 0, n);

        var split = new DotStuffingWriter();
        var sb = new StringBuilder();
        var one = new byte[16];
        foreach (byte b in content)
            sb.Append(Encoding.ASCII.GetString(one, 0, split.Transform([b], one)));
        sb.Append(Encoding.ASCII.GetString(one, 0, split.Finish(one)));
        Assert.Equal(expected, sb.ToString());
        Assert.Equal("..a\r\nb\r\n\r\n..\r\n\r\n..c\r\n.\r\n", expected);
    }

    [Fact]
    public async Task Pipelines_mail_and_rcpts_in_one_write_and_keeps_each_answer()
    {
        _server.Extensions.Add("PIPELINING");
        _server.HoldMailReplyForRcpts = 3;
        _server.Reply = line => line switch
        {
            "RCPT TO:<unknown@dest.test>" => "550 5.1.1 <unknown@dest.test>: Recipient address rejected",
            "RCPT TO:<busy@dest.test>" => "450 4.2.1 Mailbox busy",
            _ => null,
        };
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test", "unknown@dest.test", "busy@dest.test"), default);

        Assert.Equal(3, _server.RcptsBeforeMailReply);
        Assert.Equal(
            [SmtpRecipientStatus.Delivered, SmtpRecipientStatus.Failed, SmtpRecipientStatus.Deferred],
            result.Recipients.Select(r => r.Status));
        Assert.Equal("5.1.1", result.Recipients[1].Reply.EnhancedStatus);
        Assert.Equal("550 5.1.1 <unknown@dest.test>: Recipient address rejected", result.Recipients[1].Reply.ToString());
        Assert.Equal(450, result.Recipients[2].Reply.Code);
        Assert.Single(_server.Messages);
    }

    [Fact]
    public async Task Starttls_upgrades_discards_injected_plaintext_and_says_hello_again()
    {
        _server.OfferStartTls = true;
        _server.Extensions.Add("8BITMIME");
        // A reply smuggled ahead of the handshake: if the client read it after TLS, MAIL would see it.
        _server.InjectAfterStartTls = "250 2.0.0 injected\r\n";
        _server.Reply = line => line.StartsWith("MAIL", StringComparison.Ordinal) && !_server.CommandsUnderTls.Contains(line)
            ? "530 5.7.0 Must issue a STARTTLS command first" : null;

        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test"), default);

        Assert.Equal(SmtpRecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        Assert.NotNull(result.Tls);
        Assert.StartsWith("TLSv1.", result.Tls);
        Assert.EndsWith("(unverified)", result.Tls); // self-signed: delivered anyway, but recorded as such
        await _server.WaitForSessionEndAsync();
        Assert.Equal(["EHLO mail.local.test", "STARTTLS", "EHLO mail.local.test", "MAIL FROM:<alice@local.test>", "RCPT TO:<bob@dest.test>", "DATA", "QUIT"],
            _server.Commands);
        Assert.Equal(["EHLO mail.local.test", "MAIL FROM:<alice@local.test>", "RCPT TO:<bob@dest.test>", "DATA", "QUIT"], _server.CommandsUnderTls);
    }

    [Fact]
    public async Task A_broken_tls_handshake_is_retried_in_cleartext_on_a_new_connection()
    {
        _server.OfferStartTls = true;
        _server.BreakTls = true;
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test"), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        Assert.Null(result.Tls);
        Assert.Equal(2, _server.Connections);
        await _server.WaitForSessionEndAsync();
        await _server.WaitForSessionEndAsync();
        Assert.Equal(["EHLO mail.local.test", "STARTTLS", "EHLO mail.local.test", "MAIL FROM:<alice@local.test>", "RCPT TO:<bob@dest.test>", "DATA", "QUIT"],
            _server.Commands);
    }

    [Fact]
    public async Task Falls_back_to_helo_when_ehlo_is_refused()
    {
        _server.Reply = line => line.StartsWith("EHLO", StringComparison.Ordinal) ? "502 5.5.1 Command not implemented" : null;
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test"), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        await _server.WaitForSessionEndAsync();
        Assert.Equal(["EHLO mail.local.test", "HELO mail.local.test", "MAIL FROM:<alice@local.test>", "RCPT TO:<bob@dest.test>", "DATA", "QUIT"],
            _server.Commands);
    }

    [Fact]
    public async Task Smtputf8_message_to_a_peer_without_it_fails_without_a_transaction()
    {
        _server.Extensions.Add("8BITMIME");
        var result = await Client.SendAsync(Target(), Message(Simple, [new OutboundRecipient("bøb@dest.test")], utf8: true), default);
        var r = Assert.Single(result.Recipients);
        Assert.Equal(SmtpRecipientStatus.Failed, r.Status);
        Assert.Equal("5.6.7", r.Reply.EnhancedStatus);
        Assert.False(r.Reply.FromPeer);
        await _server.WaitForSessionEndAsync();
        Assert.DoesNotContain(_server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_utf8_recipient_bounces_alone_when_the_message_itself_is_ascii()
    {
        var result = await Client.SendAsync(Target(), Message(Simple, [new OutboundRecipient("bob@dest.test"), new OutboundRecipient("bøb@dest.test")]), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, result.Recipients[0].Status);
        Assert.Equal(SmtpRecipientStatus.Failed, result.Recipients[1].Status);
        Assert.Equal("5.6.7", result.Recipients[1].Reply.EnhancedStatus);
        await _server.WaitForSessionEndAsync();
        Assert.Equal(["EHLO mail.local.test", "MAIL FROM:<alice@local.test>", "RCPT TO:<bob@dest.test>", "DATA", "QUIT"], _server.Commands);
    }

    [Fact]
    public async Task Smtputf8_message_to_a_peer_with_it_says_so_on_mail()
    {
        _server.Extensions.Add("SMTPUTF8");
        var result = await Client.SendAsync(Target(), Message(Simple, [new OutboundRecipient("bøb@dest.test")], utf8: true, sender: "ålice@local.test"), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        await _server.WaitForSessionEndAsync();
        Assert.Contains("MAIL FROM:<ålice@local.test> SMTPUTF8", _server.Commands);
        Assert.Contains("RCPT TO:<bøb@dest.test>", _server.Commands);
    }

    [Fact]
    public async Task A_message_over_the_peers_size_limit_fails_without_being_sent()
    {
        _server.Extensions.Add("SIZE 10");
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test"), default);
        var r = Assert.Single(result.Recipients);
        Assert.Equal(SmtpRecipientStatus.Failed, r.Status);
        Assert.Equal("5.3.4", r.Reply.EnhancedStatus);
        await _server.WaitForSessionEndAsync();
        Assert.Equal(["EHLO mail.local.test", "QUIT"], _server.Commands);
    }

    [Fact]
    public async Task Dsn_parameters_go_out_when_the_peer_offers_dsn()
    {
        _server.Extensions.Add("DSN");
        var recipients = new[]
        {
            new OutboundRecipient("bob@dest.test", DsnNotify.Failure | DsnNotify.Delay, "rfc822;bob+x=y@dest.test"),
            new OutboundRecipient("carol@dest.test", DsnNotify.Never),
            new OutboundRecipient("dave@dest.test"),
        };
        await Client.SendAsync(Target(), Message(Simple, recipients, envid: "id 1+2", ret: DsnReturn.Headers), default);
        await _server.WaitForSessionEndAsync();
        Assert.Contains("MAIL FROM:<alice@local.test> RET=HDRS ENVID=id+201+2B2", _server.Commands);
        Assert.Contains("RCPT TO:<bob@dest.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;bob+2Bx+3Dy@dest.test", _server.Commands);
        Assert.Contains("RCPT TO:<carol@dest.test> NOTIFY=NEVER", _server.Commands);
        Assert.Contains("RCPT TO:<dave@dest.test>", _server.Commands);
    }

    [Fact]
    public async Task No_dsn_parameters_when_the_peer_lacks_dsn()
    {
        var recipients = new[] { new OutboundRecipient("bob@dest.test", DsnNotify.Never, "rfc822;bob@dest.test") };
        await Client.SendAsync(Target(), Message(Simple, recipients, envid: "x", ret: DsnReturn.Full), default);
        await _server.WaitForSessionEndAsync();
        Assert.Contains("MAIL FROM:<alice@local.test>", _server.Commands);
        Assert.Contains("RCPT TO:<bob@dest.test>", _server.Commands);
    }

    [Fact]
    public async Task A_refusing_greeting_means_try_the_next_host()
    {
        _server.Greeting = "421 4.3.2 Service not available";
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test"), default);
        Assert.True(result.TryNextHost);
        var r = Assert.Single(result.Recipients);
        Assert.Equal(SmtpRecipientStatus.Deferred, r.Status);
        Assert.Equal(421, r.Reply.Code);
    }

    [Fact]
    public async Task A_closed_port_means_try_the_next_host()
    {
        var closed = new SmtpTarget("mx.dest.test", IPAddress.Parse("127.0.0.2"), _server.Port);
        var result = await Client.SendAsync(closed, Message(Simple, "bob@dest.test"), default);
        Assert.True(result.TryNextHost);
        Assert.Equal(SmtpRecipientStatus.Deferred, Assert.Single(result.Recipients).Status);
        Assert.False(Assert.Single(result.Recipients).Reply.FromPeer);
    }

    [Fact]
    public async Task A_connection_dropped_after_rcpt_defers_and_keeps_earlier_answers()
    {
        _server.Reply = line => line switch
        {
            "RCPT TO:<gone@dest.test>" => "550 5.1.1 no such user",
            "DATA" => "DROP",
            _ => null,
        };
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test", "gone@dest.test"), default);
        Assert.False(result.TryNextHost);
        Assert.Equal(SmtpRecipientStatus.Deferred, result.Recipients[0].Status);
        Assert.Equal("4.4.2", result.Recipients[0].Reply.EnhancedStatus);
        Assert.Equal(SmtpRecipientStatus.Failed, result.Recipients[1].Status);
    }

    [Fact]
    public async Task A_5xx_to_mail_fails_every_recipient_and_a_4xx_defers_them()
    {
        _server.Reply = line => line.StartsWith("MAIL", StringComparison.Ordinal) ? "553 5.7.1 Sender rejected" : null;
        var failed = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test", "carol@dest.test"), default);
        Assert.All(failed.Recipients, r => Assert.Equal(SmtpRecipientStatus.Failed, r.Status));

        _server.Reply = line => line.StartsWith("MAIL", StringComparison.Ordinal) ? "451 4.3.0 Try later" : null;
        var deferred = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test"), default);
        Assert.All(deferred.Recipients, r => Assert.Equal(SmtpRecipientStatus.Deferred, r.Status));
    }

    [Fact]
    public async Task Data_refused_at_the_end_applies_to_all_accepted_recipients()
    {
        _server.DataReply = _ => "554 5.7.1 Message rejected as spam";
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test", "carol@dest.test"), default);
        Assert.All(result.Recipients, r =>
        {
            Assert.Equal(SmtpRecipientStatus.Failed, r.Status);
            Assert.Equal("554 5.7.1 Message rejected as spam", r.Reply.ToString());
        });
    }

    [Fact]
    public async Task Auth_plain_over_implicit_tls_for_a_smarthost()
    {
        _server.ImplicitTls = true;
        _server.Extensions.Add("AUTH LOGIN PLAIN");
        var result = await Client.SendAsync(Target(new SmtpCredentials("relay-user", "s3cret"), implicitTls: true), Message(Simple, "bob@dest.test"), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, Assert.Single(result.Recipients).Status);
        Assert.Equal("\0relay-user\0s3cret", _server.AuthPlainCredentials);
        Assert.NotNull(result.Tls);
    }

    [Fact]
    public async Task Credentials_are_never_sent_without_tls()
    {
        _server.Extensions.Add("AUTH PLAIN");
        var result = await Client.SendAsync(Target(new SmtpCredentials("relay-user", "s3cret")), Message(Simple, "bob@dest.test"), default);
        Assert.True(result.TryNextHost);
        Assert.Equal(SmtpRecipientStatus.Deferred, Assert.Single(result.Recipients).Status);
        await _server.WaitForSessionEndAsync();
        Assert.DoesNotContain(_server.Commands, c => c.StartsWith("AUTH", StringComparison.Ordinal));
        Assert.Null(_server.AuthPlainCredentials);
    }

    [Fact]
    public async Task Required_tls_with_an_unverifiable_certificate_defers()
    {
        _server.OfferStartTls = true;
        var result = await Client.SendAsync(Target(requireTls: true), Message(Simple, "bob@dest.test"), default);
        Assert.True(result.TryNextHost);
        Assert.Equal("4.7.5", Assert.Single(result.Recipients).Reply.EnhancedStatus);
        await _server.WaitForSessionEndAsync();
        Assert.DoesNotContain(_server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Addresses_that_could_inject_commands_are_refused_locally()
    {
        var result = await Client.SendAsync(Target(), Message(Simple, "bob@dest.test", "evil@dest.test>\r\nRSET"), default);
        Assert.Equal(SmtpRecipientStatus.Delivered, result.Recipients[0].Status);
        Assert.Equal(SmtpRecipientStatus.Failed, result.Recipients[1].Status);
        await _server.WaitForSessionEndAsync();
        Assert.DoesNotContain("RSET", _server.Commands);
    }
}
