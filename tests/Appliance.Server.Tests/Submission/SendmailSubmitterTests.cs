using System.Text;
using Appliance.Server.Configuration;
using Appliance.Server.Submission;
using Appliance.Server.Tests.Smtp;

namespace Appliance.Server.Tests.Submission;

public sealed class SendmailSubmitterTests
{
    private readonly RecordingQueue _queue = new();
    private readonly FakeSigner _signer = new();
    private readonly SendmailSubmitter _submitter;

    public SendmailSubmitterTests()
    {
        var options = new ApplianceOptions { Hostname = "mail.example.org" };
        options.Smtp.MaxMessageSize = 10_000;
        _submitter = new SendmailSubmitter(options, _queue, _signer, TimeProvider.System);
    }

    private static SendmailRequest Request(params string[] recipients) => new(null, null, recipients, false, false, "root");

    private async Task<(string Id, Appliance.Server.Queue.OutboundEnvelope Envelope, string Message)> SubmitAsync(SendmailRequest request, string input)
    {
        await _submitter.SubmitAsync(request, new MemoryStream(Encoding.UTF8.GetBytes(input)));
        return Assert.Single(_queue.Entries);
    }

    [Fact]
    public async Task A_bare_message_gets_from_date_message_id_and_a_local_received()
    {
        var (_, envelope, message) = await SubmitAsync(Request("admin@example.org"), "Subject: backup done\n\nall good\n");
        Assert.Equal("root@mail.example.org", envelope.ReversePath);
        Assert.Equal("admin@example.org", Assert.Single(envelope.Recipients).Address);
        Assert.Matches(@"^Received: by mail\.example\.org \(Appliance, from userid root\)\r\n\tid [0-9a-f]+; [^\r]+\r\nDKIM-Signature: v=1; test=fake\r\nFrom: <root@mail\.example\.org>\r\nDate: [^\r]+\r\nMessage-ID: <[0-9a-f]+@mail\.example\.org>\r\nSubject: backup done\r\n\r\nall good\r\n$", message);
        Assert.StartsWith("From: <root@mail.example.org>\r\n", Assert.Single(_signer.Signed));
    }

    [Fact]
    public async Task Dash_t_takes_recipients_from_the_header_and_removes_bcc()
    {
        string input = "From: Ops <ops@example.org>\nTo: Alice <alice@example.org>, bob@example.org\nCc: carol@foreign.example\nBcc: secret@foreign.example,\n  hidden@example.org\nSubject: report\n\nbody\n";
        var (_, envelope, message) = await SubmitAsync(new SendmailRequest("ops@example.org", null, ["extra"], true, false, "root"), input);
        Assert.Equal(["extra@mail.example.org", "alice@example.org", "bob@example.org", "carol@foreign.example", "secret@foreign.example", "hidden@example.org"],
            envelope.Recipients.Select(r => r.Address));
        Assert.DoesNotContain("Bcc", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret@", message);
        Assert.Contains("\r\nFrom: Ops <ops@example.org>\r\nTo: Alice <alice@example.org>, bob@example.org\r\nCc: carol@foreign.example\r\nSubject: report\r\n\r\nbody\r\n", message);
        Assert.Equal("ops@example.org", envelope.ReversePath);
    }

    [Fact]
    public async Task A_lone_dot_ends_the_input_unless_dash_i()
    {
        var (_, _, message) = await SubmitAsync(Request("a@example.org"), "Subject: x\n\nbefore\n.\nafter\n");
        Assert.EndsWith("\r\n\r\nbefore\r\n", message);

        _queue.Entries.Clear();
        var (_, _, kept) = await SubmitAsync(Request("a@example.org") with { IgnoreDots = true }, "Subject: x\n\nbefore\n.\nafter\n");
        Assert.EndsWith("\r\n\r\nbefore\r\n.\r\nafter\r\n", kept);
    }

    [Fact]
    public async Task Full_name_and_eight_bit_content()
    {
        var (_, envelope, message) = await SubmitAsync(new SendmailRequest("cron@example.org", "Cron \"Daemon\"", ["a@example.org"], false, false, "root"),
            "Subject: =?utf-8?q?r=C3=A9sum=C3=A9?=\n\nGrüße\n");
        Assert.Contains("From: \"Cron \\\"Daemon\\\"\" <cron@example.org>\r\n", message);
        Assert.True(envelope.EightBitMime);
        Assert.False(envelope.RequiresSmtpUtf8);
    }

    [Theory]
    [InlineData("", SendmailException.DataError, "empty message")]
    [InlineData("Subject: x\n\nx\n", SendmailException.Usage, "no recipients")]
    public async Task Refusals_carry_sysexits_codes(string input, int code, string text)
    {
        var e = await Assert.ThrowsAsync<SendmailException>(() => _submitter.SubmitAsync(Request(), new MemoryStream(Encoding.UTF8.GetBytes(input))));
        Assert.Equal(code, e.ExitCode);
        Assert.Contains(text, e.Message);
        Assert.Empty(_queue.Entries);
    }

    [Fact]
    public async Task Bad_addresses_and_big_messages_are_refused()
    {
        var bad = await Assert.ThrowsAsync<SendmailException>(() => _submitter.SubmitAsync(Request("a b@example.org"), new MemoryStream("Subject: x\n\nx\n"u8.ToArray())));
        Assert.Equal(SendmailException.DataError, bad.ExitCode);
        var big = await Assert.ThrowsAsync<SendmailException>(() => _submitter.SubmitAsync(Request("a@example.org"), new MemoryStream(Encoding.ASCII.GetBytes("Subject: x\n\n" + new string('x', 20_000) + "\n"))));
        Assert.Contains("too large", big.Message);
        Assert.Empty(_queue.Entries);
    }
}
