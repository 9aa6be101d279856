using System.Diagnostics;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Interop.Tests;

/// <summary>
/// The real host's SMTP ports against real clients from Debian: swaks, curl and Python's smtplib,
/// plain on port 25, STARTTLS and AUTH on 587, implicit TLS on 465.
/// </summary>
public sealed class SmtpClientInteropTests : IAsyncLifetime
{
    private const string Hostname = "mail.interop.test";
    private const string Password = "interop password 1";
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-smtp-interop", Guid.NewGuid().ToString("N"));
    private RunningAppliance _host = null!;

    public async Task InitializeAsync()
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = Hostname,
            ["Appliance:DataDirectory"] = _data,
            // `appliance sendmail` is another process: it wakes the server's worker through the
            // queue's wake file. A poll far beyond the test's guard proves the wake-up did it.
            ["Appliance:Queue:PollInterval"] = "01:00:00",
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
        }
        _host = await ApplianceHost.StartAsync(ApplianceConfiguration.Load(configPath: null, overrides));
        var accounts = _host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", Password), "test");
        await accounts.AddMailboxAsync(new NewMailbox("bob@example.org", Password), "test");
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private int Port(ListenerKind kind) => _host.Endpoints[kind].Port;

    private async Task<IReadOnlyList<string>> InboxAsync(string address)
    {
        var info = await _host.Services.GetRequiredService<AccountService>().GetMailboxAsync(address);
        var account = _host.Services.GetRequiredService<MessageStore>().OpenAccount(info.StoreId);
        var list = new List<string>();
        foreach (var m in account.ListMessagesByUid("INBOX"))
        {
            using var reader = new StreamReader(account.OpenMessage("INBOX", m.Uid));
            list.Add(await reader.ReadToEndAsync());
        }
        return list;
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> arguments, string? stdin = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Guard);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Swaks_delivers_to_the_mx_port()
    {
        var (exit, output) = await RunAsync("swaks", ["--server", "127.0.0.1", "--port", Port(ListenerKind.Smtp).ToString(),
            "--helo", "client.interop.test", "--from", "friend@elsewhere.example", "--to", "alice@example.org",
            "--header", "Subject: from swaks", "--body", "hello from swaks\n.with a dot"]);
        Assert.True(exit == 0, output);
        Assert.Contains("<-  250 2.0.0 Ok: queued as", output);
        string message = Assert.Single(await InboxAsync("alice@example.org"));
        Assert.Contains("Subject: from swaks", message);
        Assert.Contains("\r\nhello from swaks\r\n.with a dot\r\n", message);
        Assert.Contains("Received: from client.interop.test ([127.0.0.1])", message);
    }

    [Fact]
    public async Task Swaks_submits_with_starttls_and_auth_and_with_implicit_tls()
    {
        var (exit, output) = await RunAsync("swaks", ["--server", "127.0.0.1", "--port", Port(ListenerKind.Submission).ToString(),
            "--tls", "--auth", "PLAIN", "--auth-user", "alice@example.org", "--auth-password", Password,
            "--from", "alice@example.org", "--to", "bob@example.org", "--header", "Subject: via 587"]);
        Assert.True(exit == 0, output);
        Assert.Matches(@"<~  235 2\.7\.0 Authentication successful", output); // "<~": a reply read inside TLS

        (exit, output) = await RunAsync("swaks", ["--server", "127.0.0.1", "--port", Port(ListenerKind.Smtps).ToString(),
            "--tlsc", "--auth", "LOGIN", "--auth-user", "alice@example.org", "--auth-password", Password,
            "--from", "alice@example.org", "--to", "bob@example.org", "--header", "Subject: via 465"]);
        Assert.True(exit == 0, output);

        var inbox = await InboxAsync("bob@example.org");
        Assert.Equal(2, inbox.Count);
        Assert.Contains(inbox, m => m.Contains("Subject: via 587") && m.Contains("with ESMTPSA"));
        Assert.Contains(inbox, m => m.Contains("Subject: via 465") && m.Contains("with ESMTPSA"));
    }

    [Fact]
    public async Task Swaks_cannot_relay_or_submit_without_auth()
    {
        var (exit, output) = await RunAsync("swaks", ["--server", "127.0.0.1", "--port", Port(ListenerKind.Smtp).ToString(),
            "--from", "spammer@elsewhere.example", "--to", "victim@foreign.example"]);
        Assert.NotEqual(0, exit);
        Assert.Contains("<** 554 5.7.1 <victim@foreign.example>: Relay access denied", output);

        (exit, output) = await RunAsync("swaks", ["--server", "127.0.0.1", "--port", Port(ListenerKind.Submission).ToString(),
            "--tls", "--from", "alice@example.org", "--to", "bob@example.org"]);
        Assert.NotEqual(0, exit);
        Assert.Matches(@"<~\* 530 5\.7\.0 Authentication required", output);
        Assert.Empty(await InboxAsync("bob@example.org"));
    }

    [Fact]
    public async Task Curl_sends_over_smtp_and_smtps()
    {
        string message = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: from curl\r\n\r\ncurl body\r\n";
        var (exit, output) = await RunAsync("curl", ["--silent", "--show-error", $"smtp://127.0.0.1:{Port(ListenerKind.Smtp)}",
            "--mail-from", "friend@elsewhere.example", "--mail-rcpt", "bob@example.org", "--upload-file", "-"], message);
        Assert.True(exit == 0, output);

        (exit, output) = await RunAsync("curl", ["--silent", "--show-error", "--insecure", $"smtps://127.0.0.1:{Port(ListenerKind.Smtps)}",
            "--user", $"alice@example.org:{Password}", "--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.org", "--upload-file", "-"], message);
        Assert.True(exit == 0, output);

        (exit, output) = await RunAsync("curl", ["--silent", "--show-error", "--insecure", "--ssl-reqd", $"smtp://127.0.0.1:{Port(ListenerKind.Submission)}",
            "--user", $"alice@example.org:{Password}", "--mail-from", "alice@example.org", "--mail-rcpt", "bob@example.org", "--upload-file", "-"], message);
        Assert.True(exit == 0, output);

        var inbox = await InboxAsync("bob@example.org");
        Assert.Equal(3, inbox.Count);
        Assert.All(inbox, m => Assert.EndsWith("\r\n\r\ncurl body\r\n", m));
    }

    [Fact]
    public async Task Python_smtplib_with_starttls_auth_and_implicit_tls()
    {
        string script = $$"""
            import smtplib, ssl, sys
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            msg = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: python {0}\r\n\r\nfrom python\r\n"
            with smtplib.SMTP("127.0.0.1", {{Port(ListenerKind.Submission)}}) as s:
                s.ehlo("python.interop.test")
                s.starttls(context=ctx)
                s.ehlo("python.interop.test")
                s.login("alice@example.org", "{{Password}}")
                s.sendmail("alice@example.org", ["bob@example.org"], msg.format(587))
                try:
                    s.sendmail("bob@example.org", ["bob@example.org"], msg.format("spoof"))
                    print("SPOOF ACCEPTED")
                except smtplib.SMTPSenderRefused as e:
                    print("refused", e.smtp_code, e.smtp_error.decode())
            with smtplib.SMTP_SSL("127.0.0.1", {{Port(ListenerKind.Smtps)}}, context=ctx) as s:
                s.login("alice@example.org", "{{Password}}")
                s.sendmail("alice@example.org", ["bob@example.org"], msg.format(465))
            print("done")
            """;
        var (exit, output) = await RunAsync("/usr/bin/python3", ["-c", script]);
        Assert.True(exit == 0, output);
        Assert.Contains("refused 553 5.7.1 Sender address <bob@example.org> is not owned by alice@example.org", output);
        Assert.DoesNotContain("SPOOF ACCEPTED", output);
        var inbox = await InboxAsync("bob@example.org");
        Assert.Contains(inbox, m => m.Contains("Subject: python 587"));
        Assert.Contains(inbox, m => m.Contains("Subject: python 465"));
        Assert.Equal(2, inbox.Count);
    }

    /// <summary>
    /// `appliance sendmail -t` as cron runs it, a separate process on the same data directory: the
    /// message is queued, the running server's worker finds it and delivers it to the local mailbox.
    /// </summary>
    [Fact]
    public async Task Sendmail_from_another_process_reaches_a_local_mailbox()
    {
        var info = await _host.Services.GetRequiredService<AccountService>().GetMailboxAsync("alice@example.org");
        using var subscription = _host.Services.GetRequiredService<MessageStore>().OpenAccount(info.StoreId).Subscribe();

        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(AppContext.BaseDirectory, "appliance.dll"), "sendmail", "-t", "-FCron Daemon", "-oi", "-oem" })
            start.ArgumentList.Add(argument);
        start.Environment["APPLIANCE_CONFIG"] = null;
        start.Environment["APPLIANCE__DATADIRECTORY"] = _data;
        start.Environment["APPLIANCE__HOSTNAME"] = Hostname;
        using (var process = Process.Start(start)!)
        {
            await process.StandardInput.WriteAsync("To: alice@example.org\nSubject: cron output\n\nbackup finished\n.\nstill the body\n");
            process.StandardInput.Close();
            string error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(Guard);
            Assert.True(process.ExitCode == 0, error);
        }

        // Delivered by the server's worker: wait for the store's own notification, not for time.
        await subscription.Changes.ReadAsync().AsTask().WaitAsync(Guard);
        string message = Assert.Single(await InboxAsync("alice@example.org"));
        Assert.Contains("Subject: cron output\r\n", message);
        Assert.Contains($"From: \"Cron Daemon\" <{Environment.UserName}@{Hostname}>\r\n", message);
        Assert.EndsWith("\r\n\r\nbackup finished\r\n.\r\nstill the body\r\n", message);
    }
}
