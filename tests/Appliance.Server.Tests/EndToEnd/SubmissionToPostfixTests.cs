// The whole outbound path through the real submission server (issue 5, Tests: "Outbound against a
// real Postfix"): a user submits over STARTTLS with AUTH PLAIN; the SMTP session signs (DKIM) and
// queues; the DeliveryWorker looks up the MX through the resolver and delivers with our SMTP client
// to Debian's Postfix on a loopback high port. dkimpy (Debian's python3-dkim) verifies the
// signature as it arrived; Postfix's 4xx is retried, its 5xx comes back as a DSN in the sender's INBOX.
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Dns;
using Appliance.Mime;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Appliance.Server.Tests.Queue;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.EndToEnd;

public sealed class SubmissionToPostfixTests : IAsyncLifetime
{
    private const string Python = "/usr/bin/python3";

    /// <summary>As tests/Appliance.MailAuth.Tests/Dkim/DkimInteropTests.cs: dkimpy gets our TXT record through dnsfunc.</summary>
    private const string VerifyScript = """
        import sys, dkim
        message = open(sys.argv[1], 'rb').read()
        name, record = sys.argv[2], sys.argv[3].encode()
        def dnsfunc(qname, timeout=5):
            qname = qname.decode() if isinstance(qname, bytes) else qname
            return record if qname.rstrip('.').lower() == name else None
        ok = dkim.verify(message, dnsfunc=dnsfunc)
        print('pass' if ok else 'fail')
        sys.exit(0 if ok else 1)
        """;

    private PostfixServer _postfix = null!;
    private EndToEndHost _host = null!;
    private readonly string _scratch = Directory.CreateTempSubdirectory("appliance-e2e-dkim-").FullName;

    public async Task InitializeAsync()
    {
        _postfix = await PostfixServer.StartAsync();
        _host = await EndToEndHost.StartAsync(_postfix.Port);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _postfix.DisposeAsync();
        Directory.Delete(_scratch, recursive: true);
    }

    private static string Message(string to, string marker) =>
        $"From: Alice <{EndToEndHost.Alice}>\r\nTo: <{to}>\r\nSubject: End to end {marker}\r\n"
        + $"Message-ID: <{marker}@example.org>\r\n\r\nHello from the submission port.\r\n.a line that starts with a dot\r\nBye.\r\n";

    [Fact]
    public async Task Submitted_mail_reaches_postfix_over_tls_and_its_dkim_signature_verifies_with_dkimpy()
    {
        string marker = Guid.NewGuid().ToString("N");
        string id = await _host.SubmitAsync(["friend@dest.test"], Message("friend@dest.test", marker));

        // Postfix's virtual(8) stores LF line ends; the message went over the wire with CRLF.
        string arrived = (await _postfix.WaitForMessageAsync(marker)).Replace("\r\n", "\n").Replace("\n", "\r\n");
        var fields = HeaderFields(arrived);

        // Top: Postfix's own trace, then ours (the order RFC 5321 4.4 prescribes: newest first).
        var received = fields.Where(f => f.Name == "Received").Select(f => f.Value).ToList();
        Assert.Equal(2, received.Count);
        string postfixReceived = received[0];
        Assert.Contains($"from {EndToEndHost.Hostname} (localhost [127.0.0.1])", postfixReceived);
        Assert.Contains("by mx.dest.test (Postfix) with ESMTPS", postfixReceived);
        Assert.Matches(@"\(using TLSv1\.[23] with cipher \S+", postfixReceived);
        Assert.Contains("for <friend@dest.test>", postfixReceived);

        // Ours: the authenticated submission (ESMTPSA, with TLS) and, by default, nothing of the client.
        string ours = received[1];
        Assert.True(Regex.IsMatch(ours, @"^by mail\.example\.org \(Appliance\) with ESMTPSA id [0-9a-f]+ \(TLSv1\.[23] with cipher \S+\) for <friend@dest\.test>; \w{3}, \d{1,2} \w{3} \d{4} [\d:]{8} \+0000$"), ours);
        Assert.DoesNotContain("127.0.0.1", ours);
        Assert.DoesNotContain("client.example.net", ours);
        Assert.DoesNotContain("from", ours);
        // Nor anywhere else in what we sent: only Postfix's own trace names the connecting host.
        foreach (var field in fields.Where(f => f.Value != postfixReceived))
        {
            Assert.DoesNotContain("127.0.0.1", field.Value);
            Assert.DoesNotContain("client.example.net", field.Value);
        }
        // RFC 6409 8.3: the submission server added the missing Date.
        Assert.Single(fields, f => f.Name == "Date");

        // The body arrives as submitted (dot-stuffing on both hops undone).
        Assert.EndsWith("\r\n\r\nHello from the submission port.\r\n.a line that starts with a dot\r\nBye.\r\n", arrived);

        // DKIM: d= is the From domain, s= the active key's selector; dkimpy verifies with the record we publish.
        string signature = Assert.Single(fields, f => f.Name == "DKIM-Signature").Value;
        Assert.Matches(@"(^|;)\s*d=example\.org\s*(;|$)", signature);
        Assert.Matches($@"(^|;)\s*s={Regex.Escape(_host.DkimKey.Selector)}\s*(;|$)", signature);
        string record = await PublishedRecordAsync();
        Assert.Equal(_host.DkimKey.RecordValue, record);
        var (exit, output) = await VerifyWithDkimpyAsync("arrived.eml", arrived, record);
        Assert.True(exit == 0, $"dkimpy: {output}\n{arrived}");
        Assert.Equal("pass", output.Trim());
        // And dkimpy is really checking: a changed body fails.
        var (tamperedExit, tamperedOutput) = await VerifyWithDkimpyAsync("tampered.eml", arrived.Replace("Hello from", "Hallo from"), record);
        Assert.Equal((1, "fail"), (tamperedExit, tamperedOutput.Trim()));

        // The worker recorded the delivery and the queue is empty again.
        await _host.WaitForRunsAsync(id);
        Assert.Null(_host.Queue.GetMessage(id));
        Assert.Empty(_host.Queue.GetRecipients(id));
        await _host.DeliveryLog.FlushAsync();
        var attempt = Assert.Single(await _host.DeliveryLog.QueryAttemptsAsync(new DeliveryLogQuery(), id));
        Assert.Equal((DeliveryAttemptOutcome.Delivered, "friend@dest.test", "mx.dest.test", 250), (attempt.Outcome, attempt.Recipient, attempt.RemoteHost, attempt.ReplyCode));
        Assert.StartsWith("TLSv1.", attempt.Tls);
    }

    [Fact]
    public async Task A_550_from_postfix_comes_back_as_a_dsn_in_the_senders_inbox()
    {
        var inbox = await _host.AliceStoreAsync();
        using var subscription = inbox.Subscribe();
        string marker = Guid.NewGuid().ToString("N");
        string id = await _host.SubmitAsync(["unknown@dest.test"], Message("unknown@dest.test", marker));

        // Delivered by the worker through ILocalDelivery: wait for the store's own notification.
        var added = await NextAddedAsync(subscription);
        Assert.Equal("INBOX", added.Mailbox);
        byte[] dsn;
        await using (var stream = inbox.OpenMessage("INBOX", added.Uid))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer);
            dsn = buffer.ToArray();
        }
        string text = Encoding.UTF8.GetString(dsn);

        // Local delivery's trace, then the DSN's own header (RFC 3464, from the null sender).
        Assert.StartsWith($"Return-Path: <>\r\nDelivered-To: {EndToEndHost.Alice}\r\n", text);
        var fields = HeaderFields(text);
        Assert.Equal($"Mail Delivery System <MAILER-DAEMON@{EndToEndHost.Hostname}>", Assert.Single(fields, f => f.Name == "From").Value);
        Assert.Equal($"<{EndToEndHost.Alice}>", Assert.Single(fields, f => f.Name == "To").Value);
        Assert.Equal("auto-replied", Assert.Single(fields, f => f.Name == "Auto-Submitted").Value);

        var root = MimeParser.Parse(dsn);
        Assert.Equal(("multipart", "report"), (root.MediaType, root.MediaSubtype));
        Assert.Equal(3, root.Children.Count);
        Assert.Equal(("message", "delivery-status"), (root.Children[1].MediaType, root.Children[1].MediaSubtype));
        string status = Body(dsn, root.Children[1]);
        Assert.Contains($"Reporting-MTA: dns; {EndToEndHost.Hostname}\r\n", status);
        Assert.Contains("Final-Recipient: rfc822; unknown@dest.test\r\n", status);
        Assert.Contains("Action: failed\r\n", status);
        Assert.Matches(@"\r\nStatus: 5\.\d{1,3}\.\d{1,3}\r\n", status);
        Assert.Contains("Status: 5.1.1\r\n", status);
        Assert.Contains("Remote-MTA: dns; mx.dest.test\r\n", status);
        Assert.Contains("Diagnostic-Code: smtp; 550 5.1.1 <unknown@dest.test>: Recipient address rejected: no such user\r\n", status);

        // The original's header, as it was queued: our Received, the DKIM signature, the user's fields.
        Assert.Equal(("text", "rfc822-headers"), (root.Children[2].MediaType, root.Children[2].MediaSubtype));
        string original = Body(dsn, root.Children[2]);
        Assert.StartsWith($"Received: by {EndToEndHost.Hostname} (Appliance) with ESMTPSA id ", original);
        Assert.Contains("\r\nDKIM-Signature: v=1;", original);
        Assert.Contains($"\r\nSubject: End to end {marker}\r\n", original);
        Assert.Contains($"\r\nMessage-ID: <{marker}@example.org>\r\n", original);
        Assert.DoesNotContain("Hello from the submission port", original); // RET not given: headers only

        // The DSN went through the queue as its own entry (the only other run), delivered locally.
        await _host.WaitForRunsAsync(id);
        string dsnId = await _host.WaitForRunAsync(run => run != id, "of the DSN");
        await _host.DeliveryLog.FlushAsync();
        var failed = Assert.Single(await _host.DeliveryLog.QueryAttemptsAsync(new DeliveryLogQuery(), id));
        Assert.Equal((DeliveryAttemptOutcome.Failed, "unknown@dest.test", 550), (failed.Outcome, failed.Recipient, failed.ReplyCode));
        var returned = Assert.Single(await _host.DeliveryLog.QueryAttemptsAsync(new DeliveryLogQuery(), dsnId));
        Assert.Equal((DeliveryAttemptOutcome.Delivered, EndToEndHost.Alice, (string?)null), (returned.Outcome, returned.Recipient, returned.RemoteHost));

        // Nothing else came, and the queue holds neither the original nor the DSN any more.
        Assert.Single(inbox.ListMessagesByUid("INBOX"));
        Assert.Empty(_host.Queue.ListMessages());
    }

    [Fact]
    public async Task A_451_from_postfix_keeps_the_message_queued_with_backoff_and_bounces_nothing()
    {
        var inbox = await _host.AliceStoreAsync();
        string marker = Guid.NewGuid().ToString("N");
        var before = DateTimeOffset.UtcNow;
        string id = await _host.SubmitAsync(["defer@dest.test"], Message("defer@dest.test", marker));

        await _host.WaitForRunsAsync(id);
        var minimum = _host.Options.Queue.MinimumBackoff;
        var row = Assert.Single(_host.Queue.GetRecipients(id));
        Assert.Equal(("defer@dest.test", 1, "mx.dest.test"), (row.Address, row.Attempts, row.LastRemoteHost));
        Assert.StartsWith("451 4.7.1 <defer@dest.test>: Recipient address rejected: try again later", row.LastReply);
        Assert.NotNull(row.LastAttempt);
        Assert.True(row.LastAttempt >= before.AddSeconds(-1), $"last attempt {row.LastAttempt} before the submission at {before}");
        // RFC 5321 4.5.4.1: the first retry after MinimumBackoff (5 minutes), so in the future.
        Assert.Equal(minimum, row.NextAttempt - row.LastAttempt!.Value);
        Assert.True(row.NextAttempt > DateTimeOffset.UtcNow, $"next attempt {row.NextAttempt} is not in the future");
        AssertNothingBounced(id, inbox);

        // A retry (what `appliance queue retry` does: next attempt now, then the worker is woken)
        // is deferred again, with the backoff doubled.
        Assert.True(_host.Queue.RetryNow(id, DateTimeOffset.UtcNow));
        _host.Services.GetRequiredService<QueueSignal>().Wake();
        await _host.WaitForRunsAsync(id, count: 2);
        row = Assert.Single(_host.Queue.GetRecipients(id));
        Assert.Equal(2, row.Attempts);
        Assert.Equal(2 * minimum, row.NextAttempt - row.LastAttempt!.Value);
        Assert.True(row.NextAttempt > DateTimeOffset.UtcNow);
        AssertNothingBounced(id, inbox);

        await _host.DeliveryLog.FlushAsync();
        var attempts = await _host.DeliveryLog.QueryAttemptsAsync(new DeliveryLogQuery(), id);
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal((DeliveryAttemptOutcome.Deferred, 451, "defer@dest.test"), (a.Outcome, a.ReplyCode, a.Recipient)));
    }

    /// <summary>The deferred message is the only one in the queue (no DSN queued) and alice got nothing.</summary>
    private void AssertNothingBounced(string id, MailAccount inbox)
    {
        var queued = Assert.Single(_host.Queue.ListMessages());
        Assert.Equal((id, EndToEndHost.Alice, $"submission {EndToEndHost.Alice}"), (queued.Id, queued.ReversePath, queued.Origin));
        Assert.Empty(inbox.ListMessagesByUid("INBOX"));
    }

    private static async Task<MessageAdded> NextAddedAsync(MailSubscription subscription)
    {
        using var guard = new CancellationTokenSource(EndToEndHost.Guard);
        while (true)
        {
            if (await subscription.Changes.ReadAsync(guard.Token) is MessageAdded added)
                return added;
        }
    }

    /// <summary>The TXT record as a resolver returns it (the 255-octet strings joined, RFC 6376 3.6.2.2).</summary>
    private async Task<string> PublishedRecordAsync()
    {
        var response = await _host.Dns.QueryAsync(_host.DkimKey.RecordName, DnsRecordType.TXT);
        return Assert.Single(response.Records<TxtRecord>()).Text;
    }

    private async Task<(int ExitCode, string Output)> VerifyWithDkimpyAsync(string name, string message, string record)
    {
        Assert.True(File.Exists(Python), "python3 is missing: tests/run.sh installs python3-dkim");
        string script = Path.Combine(_scratch, "verify.py");
        await File.WriteAllTextAsync(script, VerifyScript);
        string path = Path.Combine(_scratch, name);
        await File.WriteAllBytesAsync(path, Encoding.UTF8.GetBytes(message));
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { script, path, _host.DkimKey.RecordName.ToLowerInvariant(), record })
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(EndToEndHost.Guard);
        string error = await stderr;
        Assert.DoesNotContain("No module named", error);
        return (process.ExitCode, stdout + error);
    }

    /// <summary>The header fields of a message, unfolded (RFC 5322 2.2.3), in order.</summary>
    private static List<(string Name, string Value)> HeaderFields(string message)
    {
        int end = message.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        string header = end < 0 ? message : message[..end];
        var fields = new List<(string Name, string Value)>();
        foreach (string line in header.Split("\r\n"))
        {
            if (line.Length > 0 && (line[0] is ' ' or '\t') && fields.Count > 0)
            {
                fields[^1] = (fields[^1].Name, fields[^1].Value + " " + line.Trim());
                continue;
            }
            int colon = line.IndexOf(':');
            if (colon > 0)
                fields.Add((line[..colon], line[(colon + 1)..].Trim()));
        }
        return fields;
    }

    private static string Body(byte[] message, MimeEntity part) =>
        Encoding.UTF8.GetString(message, (int)part.BodyStart, (int)part.BodySize);
}
