using System.Diagnostics;
using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Interop.Tests;

/// <summary>The real host's POP3 ports against real clients from Debian: Python's poplib, curl, fetchmail and getmail6.</summary>
public sealed class Pop3ClientInteropTests : IAsyncLifetime
{
    private const string Hostname = "mail.interop.test";
    private const string Password = "interop password 1";
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-pop3-interop", Guid.NewGuid().ToString("N"));
    private RunningAppliance _host = null!;
    private MailAccount _account = null!;

    public async Task InitializeAsync()
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = Hostname,
            ["Appliance:DataDirectory"] = _data,
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
        }
        _host = await ApplianceHost.StartAsync(ApplianceConfiguration.Load(configPath: null, overrides));
        var accounts = _host.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var mailbox = await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", Password), "test");
        _account = _host.Services.GetRequiredService<MessageStore>().OpenAccount(mailbox.StoreId);
        for (int i = 1; i <= 3; i++)
        {
            string message = $"From: sender{i}@example.net\r\nTo: alice@example.org\r\nSubject: message {i}\r\nMessage-ID: <m{i}@example.net>\r\n\r\nbody {i}\r\n.dot line\r\n";
            await _account.AppendAsync("INBOX", new MemoryStream(Encoding.ASCII.GetBytes(message)));
        }
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private int Port(ListenerKind kind) => _host.Endpoints[kind].Port;

    private static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> arguments, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Guard);
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Python_poplib_with_stls_and_implicit_tls()
    {
        string script = $$"""
            import poplib, ssl
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            p = poplib.POP3("127.0.0.1", {{Port(ListenerKind.Pop3)}})
            print("caps", sorted(p.capa().keys()))
            p.stls(context=ctx)
            p.user("alice@example.org")
            p.pass_("{{Password}}")
            print("stat", p.stat())
            print("uidl", len(p.uidl()[1]))
            resp, lines, octets = p.retr(1)
            print("retr", b"\n".join(lines).decode())
            p.dele(1)
            p.quit()
            s = poplib.POP3_SSL("127.0.0.1", {{Port(ListenerKind.Pop3s)}}, context=ctx)
            s.user("alice@example.org")
            s.pass_("{{Password}}")
            print("after", s.stat()[0])
            s.quit()
            """;
        var (exit, output) = await RunAsync("/usr/bin/python3", ["-c", script]);
        Assert.True(exit == 0, output);
        Assert.Contains("caps ['AUTH-RESP-CODE', 'IMPLEMENTATION', 'PIPELINING', 'RESP-CODES', 'STLS', 'TOP', 'UIDL']", output);
        Assert.Contains("stat (3, ", output);
        Assert.Contains("uidl 3", output);
        Assert.Contains("Subject: message 1\n", output);
        Assert.Contains("\n.dot line", output); // poplib removes the byte-stuffing
        Assert.Contains("after 2", output);
        Assert.Equal(2, _account.ListMessagesByUid("INBOX").Count);
    }

    [Fact]
    public async Task Curl_lists_and_retrieves_over_pop3s()
    {
        var (exit, output) = await RunAsync("curl", ["--silent", "--show-error", "--insecure", $"pop3s://127.0.0.1:{Port(ListenerKind.Pop3s)}/",
            "--user", $"alice@example.org:{Password}"]);
        Assert.True(exit == 0, output);
        Assert.Equal(["1 ", "2 ", "3 "], output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..2]));

        (exit, output) = await RunAsync("curl", ["--silent", "--show-error", "--insecure", "--ssl-reqd", $"pop3://127.0.0.1:{Port(ListenerKind.Pop3)}/2",
            "--user", $"alice@example.org:{Password}"]);
        Assert.True(exit == 0, output);
        Assert.Contains("Subject: message 2\r\n", output);
        Assert.Contains("\r\n.dot line\r\n", output);
    }

    [Fact]
    public async Task Fetchmail_retrieves_everything_over_tls_and_deletes_it()
    {
        var (home, rc, mbox) = await FetchmailHome.CreateAsync(Path.Combine(_data, "fetchmail-home"),
            $"poll 127.0.0.1 service {Port(ListenerKind.Pop3s)} protocol pop3 auth password\n" +
            $"  user \"alice@example.org\" password \"{Password}\" is root here\n" +
            $"  ssl no sslcertck\n");
        var (exit, output) = await RunAsync("fetchmail", ["-f", rc, "--nodetach", "--nosyslog", "-v"], new Dictionary<string, string> { ["HOME"] = home });
        Assert.True(exit == 0, output);
        string fetched = await File.ReadAllTextAsync(mbox);
        for (int i = 1; i <= 3; i++)
            Assert.Contains($"Subject: message {i}", fetched);
        Assert.Empty(_account.ListMessagesByUid("INBOX"));
    }

    [Fact]
    public async Task Getmail_retrieves_into_a_maildir_keeping_the_server_copy()
    {
        string dir = Path.Combine(_data, "getmail");
        string maildir = Path.Combine(dir, "Maildir");
        foreach (string sub in new[] { "cur", "new", "tmp" })
            Directory.CreateDirectory(Path.Combine(maildir, sub));
        // getmail refuses to deliver as root; as "nobody" it needs a Maildir it may write.
        if (!OperatingSystem.IsWindows())
        {
            var open = (UnixFileMode)0b111_111_111;
            foreach (string path in new[] { _data, dir, maildir }.Concat(new[] { "cur", "new", "tmp" }.Select(sub => Path.Combine(maildir, sub))))
                File.SetUnixFileMode(path, open);
        }
        await File.WriteAllTextAsync(Path.Combine(dir, "getmailrc"),
            "[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n" +
            $"port = {Port(ListenerKind.Pop3s)}\nusername = alice@example.org\npassword = {Password}\n" +
            $"[destination]\ntype = Maildir\npath = {maildir}/\nuser = nobody\n[options]\ndelete = false\nread_all = true\n");
        var (exit, output) = await RunAsync("getmail", ["--getmaildir", dir, "--rcfile", "getmailrc"]);
        Assert.True(exit == 0, output);
        var files = Directory.GetFiles(Path.Combine(maildir, "new"));
        Assert.Equal(3, files.Length);
        Assert.Contains(files, f => File.ReadAllText(f).Contains("Subject: message 3"));
        Assert.Equal(3, _account.ListMessagesByUid("INBOX").Count);
    }
}
