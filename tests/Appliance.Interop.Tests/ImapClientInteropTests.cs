// RFC 9051 / RFC 3501 (IMAP4rev2 / rev1), RFC 8314 (implicit TLS on 993) and RFC 9051 6.2.1
// (STARTTLS on 143), seen from real clients: Python's imaplib, curl, mbsync (isync) and fetchmail (IDLE).
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Appliance.Interop.Tests;

/// <summary>
/// The real host's IMAP ports against real clients from Debian: Python's imaplib (implicit TLS and
/// STARTTLS), curl (imaps:// and imap:// with --ssl-reqd) and mbsync syncing a 1,000-message
/// mailbox to a Maildir and back. Every client trusts exactly the certificate the server made.
/// </summary>
public sealed partial class ImapClientInteropTests(ITestOutputHelper testOutput) : IAsyncLifetime
{
    private const string Hostname = "mail.interop.test";
    private const string User = "alice@example.org";
    private const string Password = "interop password 1";

    /// <summary>Failure guard for one client run; each ends on the process's exit long before.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(1);

    /// <summary>mbsync moves 1,000 messages in one run: a larger guard, still only for failures.</summary>
    private static readonly TimeSpan SyncGuard = TimeSpan.FromMinutes(5);

    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-imap-interop", Guid.NewGuid().ToString("N"));
    private RunningAppliance _host = null!;
    private MailAccount _account = null!;

    /// <summary>The server's self-signed certificate as PEM: the clients' only trust anchor.</summary>
    private string _certificatePem = null!;

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
        var mailbox = await accounts.AddMailboxAsync(new NewMailbox(User, Password), "test");
        _account = _host.Services.GetRequiredService<MessageStore>().OpenAccount(mailbox.StoreId);

        string pfx = Assert.Single(Directory.GetFiles(Path.Combine(_data, "certs"), "*.pfx"));
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(pfx, password: null);
        _certificatePem = Path.Combine(_data, "server-certificate.pem");
        await File.WriteAllTextAsync(_certificatePem, certificate.ExportCertificatePem());
    }

    public async Task DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }

    private int Port(ListenerKind kind) => _host.Endpoints[kind].Port;

    private static string Message(string id, string subject, string body = "body") =>
        $"From: sender@example.net\r\nTo: {User}\r\nSubject: {subject}\r\nMessage-ID: <{id}@interop.test>\r\n" +
        $"Date: Sat, 21 Nov 2026 12:00:00 +0000\r\n\r\n{body}\r\n";

    private Task AppendAsync(string mailbox, string id, string subject, MessageFlags flags = MessageFlags.None) =>
        _account.AppendAsync(mailbox, new MemoryStream(Encoding.ASCII.GetBytes(Message(id, subject, "body of " + id))), flags);

    [Fact]
    public async Task Fetchmail_idling_over_tls_fetches_a_message_the_moment_it_arrives()
    {
        // keep: the server copy stays; sslcertck with the server's own certificate as the only trust.
        var (home, rc, mbox) = await FetchmailHome.CreateAsync(Path.Combine(_data, "fetchmail-idle"),
            $"poll 127.0.0.1 service {Port(ListenerKind.Imaps)} protocol imap auth password\n" +
            $"  user \"{User}\" password \"{Password}\" is root here\n" +
            $"  ssl sslcertck sslcertfile \"{_certificatePem}\" sslcommonname {Hostname}\n  idle keep\n");

        var start = new ProcessStartInfo("fetchmail") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-f", rc, "--nodetach", "--nosyslog", "-v", "-v" })
            start.ArgumentList.Add(argument);
        start.Environment["HOME"] = home;
        using var fetchmail = Process.Start(start)!;
        var log = new StringBuilder();
        var idling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
                return;
            lock (log)
                log.AppendLine(line);
            // fetchmail -v -v shows its protocol: "IMAP> A0003 IDLE", then our "+ idling" continuation.
            if (line.Contains("IMAP< + idling", StringComparison.Ordinal))
                idling.TrySetResult();
            // With "keep", each message ends with "not flushed" once the MDA has it.
            if (line.Contains(" not flushed", StringComparison.Ordinal))
                delivered.TrySetResult();
        }
        fetchmail.OutputDataReceived += (_, e) => OnLine(e.Data);
        fetchmail.ErrorDataReceived += (_, e) => OnLine(e.Data);
        fetchmail.BeginOutputReadLine();
        fetchmail.BeginErrorReadLine();
        try
        {
            await idling.Task.WaitAsync(Guard);
            // Delivered while the client sits in IDLE: the untagged EXISTS (RFC 9051 6.3.13) wakes it.
            await AppendAsync("INBOX", "idle-1", "arrived during IDLE");
            await delivered.Task.WaitAsync(Guard);
            string fetched = await File.ReadAllTextAsync(mbox);
            Assert.Contains("Subject: arrived during IDLE", fetched);
            Assert.Single(_account.ListMessagesByUid("INBOX"));
            string transcript;
            lock (log)
                transcript = log.ToString();
            // The client learned of the message inside IDLE and left it with DONE (RFC 9051 6.3.13).
            int idle = transcript.IndexOf("IMAP< + idling", StringComparison.Ordinal);
            int exists = transcript.IndexOf("IMAP< * 1 EXISTS", StringComparison.Ordinal);
            int done = transcript.IndexOf("IMAP> DONE", StringComparison.Ordinal);
            Assert.True(idle >= 0 && idle < exists && exists < done, transcript);
        }
        catch
        {
            lock (log)
                testOutput.WriteLine(log.ToString());
            throw;
        }
        finally
        {
            fetchmail.Kill(entireProcessTree: true);
            await fetchmail.WaitForExitAsync();
        }
    }

    private static async Task<(int Exit, string Output)> RunAsync(
        string file, IEnumerable<string> arguments, TimeSpan? guard = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(guard ?? Guard);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>imaplib over implicit TLS (993), then STARTTLS (143): the commands a script or a simple client uses.</summary>
    [Fact]
    public async Task Python_imaplib_over_implicit_tls_and_starttls()
    {
        for (int i = 1; i <= 3; i++)
            await AppendAsync("INBOX", $"m{i}", $"message {i}");

        // The certificate names mail.interop.test and the client dials 127.0.0.1: trust exactly the
        // server's certificate (cafile, CERT_REQUIRED) without the host-name check.
        string script = $$"""
            import imaplib, ssl, sys
            ctx = ssl.create_default_context(cafile="{{_certificatePem}}")
            ctx.check_hostname = False
            def ok(result):
                typ, data = result
                if typ != "OK":
                    sys.exit(f"not OK: {typ} {data}")
                return data
            def show(name, data):
                # One line per result: the parts joined, a literal's line breaks shown as "|".
                text = b" ".join(d if isinstance(d, bytes) else b"".join(d) for d in data if d is not None).decode()
                print(name, text.replace("\r\n", "|").replace("\n", "|"))

            m = imaplib.IMAP4_SSL("127.0.0.1", {{Port(ListenerKind.Imaps)}}, ssl_context=ctx)
            print("caps993", " ".join(sorted(m.capabilities)))
            ok(m.login("{{User}}", "{{Password}}"))
            ok(m.create("Python"))
            show("list", ok(m.list()))
            show("select", ok(m.select("INBOX")))
            message = b"From: py@example.net\r\nTo: {{User}}\r\nSubject: from python\r\nMessage-ID: <py1@interop.test>\r\n\r\nhello from imaplib\r\n"
            show("append", ok(m.append("INBOX", r"(\Flagged)", imaplib.Time2Internaldate(1795000000), message)))
            show("search-subject", ok(m.search(None, "SUBJECT", '"from python"')))
            show("search-flagged", ok(m.search(None, "FLAGGED")))
            show("fetch-header", ok(m.fetch("4", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")))
            show("fetch-body", ok(m.fetch("1", "(RFC822)")))
            show("fetch-seen", ok(m.fetch("1", "(FLAGS)")))
            show("store", ok(m.store("2", "+FLAGS", r"(\Deleted)")))
            ok(m.copy("1:2", "Python"))
            show("expunge", ok(m.expunge()))
            show("uid-fetch", ok(m.uid("FETCH", "1:*", "(FLAGS)")))
            show("status", ok(m.status("Python", "(MESSAGES)")))
            print("logout", m.logout()[0])

            s = imaplib.IMAP4("127.0.0.1", {{Port(ListenerKind.Imap)}})
            print("caps143", " ".join(sorted(s.capabilities)))
            ok(s.starttls(ssl_context=ctx))
            print("caps143tls", " ".join(sorted(s.capabilities)))
            ok(s.login("{{User}}", "{{Password}}"))
            show("examine", ok(s.select("INBOX", readonly=True)))
            show("peek", ok(s.fetch("1", "(BODY.PEEK[TEXT])")))
            print("logout", s.logout()[0])
            """;
        var (exit, output) = await RunAsync("/usr/bin/python3", ["-c", script]);
        Assert.True(exit == 0, output);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        string Line(string name) => Assert.Single(lines, l => l.StartsWith(name + " ", StringComparison.Ordinal));
        Assert.Contains("AUTH=PLAIN", Line("caps993"));
        Assert.DoesNotContain("STARTTLS", Line("caps993"));
        Assert.Contains("STARTTLS", Line("caps143"));
        Assert.Contains("LOGINDISABLED", Line("caps143"));
        Assert.DoesNotContain("LOGINDISABLED", Line("caps143tls"));
        Assert.Contains("\"/\" INBOX", Line("list"));
        Assert.Contains("\"/\" Python", Line("list"));
        Assert.Equal("select 3", Line("select"));
        Assert.Equal("search-subject 4", Line("search-subject"));
        Assert.Equal("search-flagged 4", Line("search-flagged"));
        Assert.Contains("\\Flagged", Line("fetch-header"));
        Assert.Contains("Subject: from python", Line("fetch-header"));
        Assert.Contains("Subject: message 1", Line("fetch-body"));
        Assert.Contains("body of m1", Line("fetch-body"));
        Assert.Contains("\\Seen", Line("fetch-seen")); // RFC822 is BODY[], which sets \Seen (RFC 3501 6.4.5; IMAP4rev2 dropped the RFC822 items)
        Assert.Contains("\\Deleted", Line("store"));
        Assert.Equal("expunge 2", Line("expunge"));
        Assert.Equal(3, Regex.Count(Line("uid-fetch"), @"UID \d+"));
        Assert.Contains("MESSAGES 2", Line("status"));
        Assert.Equal("examine 3", Line("examine"));
        Assert.Contains("body of m1", Line("peek"));
        Assert.Equal(2, lines.Count(l => l == "logout BYE"));

        // What the clients did, as the store sees it.
        var inbox = _account.ListMessagesByUid("INBOX");
        Assert.Equal(["m1", "m3", "py1"], inbox.Select(m => Id(m.Summary.MessageId)));
        Assert.Equal(MessageFlags.Seen, inbox[0].Flags);
        Assert.Equal(MessageFlags.Flagged, inbox[2].Flags);
        var copied = _account.ListMessagesByUid("Python");
        Assert.Equal(["m1", "m2"], copied.Select(m => Id(m.Summary.MessageId)));
        Assert.Equal(MessageFlags.Deleted, copied[1].Flags); // COPY keeps flags (RFC 9051 6.4.7)
    }

    /// <summary>The Message-ID's left part (our test ids are "x@interop.test"), brackets or none.</summary>
    private static string Id(string? messageId) => (messageId ?? "").Trim('<', '>').Split('@')[0];

    /// <summary>
    /// curl verifying the certificate by host name: --resolve points mail.interop.test at 127.0.0.1,
    /// and the server's own certificate is the CA file.
    /// </summary>
    private async Task<string> CurlAsync(ListenerKind kind, string path, params string[] extra)
    {
        int port = Port(kind);
        string scheme = kind == ListenerKind.Imaps ? "imaps" : "imap";
        var arguments = new List<string>
        {
            "--silent", "--show-error", "--max-time", "50",
            "--cacert", _certificatePem, "--resolve", $"{Hostname}:{port}:127.0.0.1",
            "--user", $"{User}:{Password}",
        };
        if (kind == ListenerKind.Imap)
            arguments.Add("--ssl-reqd"); // STARTTLS or fail, never a password in cleartext
        arguments.AddRange(extra);
        arguments.Add($"{scheme}://{Hostname}:{port}/{path}");
        var (exit, output) = await RunAsync("curl", arguments);
        Assert.True(exit == 0, $"curl {string.Join(' ', arguments)}: exit {exit}\n{output}");
        return output;
    }

    [Fact]
    public async Task Curl_lists_examines_searches_and_fetches_by_uid_over_imaps_and_starttls()
    {
        _account.CreateMailbox("Projects");
        for (int i = 1; i <= 3; i++)
            await AppendAsync("INBOX", $"m{i}", $"message {i}", i == 3 ? MessageFlags.Flagged : MessageFlags.None);

        // No path: LIST "" * (curl prints the untagged responses).
        string list = await CurlAsync(ListenerKind.Imaps, "");
        Assert.Contains("\"/\" INBOX", list);
        Assert.Contains("\"/\" Projects", list);

        // -X without a mailbox: the custom command alone, its untagged responses printed.
        string examine = await CurlAsync(ListenerKind.Imap, "", "-X", "EXAMINE INBOX");
        Assert.Contains("* 3 EXISTS", examine);
        Assert.Contains("[UIDVALIDITY ", examine);

        // A path with ;UID=n: SELECT, then UID FETCH n BODY[] (curl prints the literal only).
        uint uid = _account.ListMessagesByUid("INBOX")[1].Uid;
        string message = await CurlAsync(ListenerKind.Imaps, $"INBOX;UID={uid}");
        Assert.Equal(Message("m2", "message 2", "body of m2"), message);

        // -X with a mailbox: curl selects it first.
        string flags = await CurlAsync(ListenerKind.Imap, "INBOX", "-X", "UID FETCH 1:* (FLAGS)");
        Assert.Contains("FLAGS (\\Flagged)", flags);
        Assert.Equal(3, Regex.Count(flags, @"^\* \d+ FETCH ", RegexOptions.Multiline));

        // A query: SEARCH with the query as criteria.
        string search = await CurlAsync(ListenerKind.Imaps, "INBOX?SUBJECT%20%22message%203%22");
        Assert.Contains("* SEARCH 3", search);
    }

    /// <summary>
    /// mbsync (isync 1.4) syncs 1,000 messages to a Maildir, then changes on both sides are synced
    /// both ways: flags, deletions (a vanished file and the T flag locally; EXPUNGE on the server),
    /// new messages and new mailboxes. A third run finds nothing to do, so nothing was duplicated.
    /// </summary>
    [Fact]
    public async Task Mbsync_syncs_a_thousand_messages_both_ways_with_flags_deletions_and_new_mailboxes()
    {
        const int Count = 1000;
        // A few flags to start with: every 10th message read, every 50th flagged too. Appends
        // overlap their fsyncs, so add them in parallel batches.
        await Parallel.ForEachAsync(Enumerable.Range(1, Count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            await AppendAsync("INBOX", $"m{i}", $"message {i}",
                (i % 10 == 0 ? MessageFlags.Seen : 0) | (i % 50 == 0 ? MessageFlags.Flagged : 0)));
        // Not a default mailbox (the account starts with INBOX, Archive, Drafts, Junk, Sent and Trash).
        _account.CreateMailbox("Projects");
        await AppendAsync("Projects", "project1", "a project");

        string home = Path.Combine(_data, "mbsync");
        string near = Path.Combine(home, "Mail");
        Directory.CreateDirectory(near);
        string rc = Path.Combine(home, "mbsyncrc");
        await File.WriteAllTextAsync(rc, $"""
            IMAPAccount appliance
            Host 127.0.0.1
            Port {Port(ListenerKind.Imaps)}
            User {User}
            Pass "{Password}"
            SSLType IMAPS
            CertificateFile {_certificatePem}

            IMAPStore far
            Account appliance

            MaildirStore near
            Path {near}/
            Inbox {near}/INBOX
            SubFolders Verbatim

            Channel appliance
            Far :far:
            Near :near:
            Patterns *
            Create Both
            Expunge Both
            Sync All
            SyncState *

            """);

        await SyncAsync(rc, home);
        var local = ReadMaildir(Path.Combine(near, "INBOX"));
        Assert.Equal(Count, local.Count);
        Assert.Equal(ServerFlags("INBOX"), local.ToDictionary(m => m.Key, m => m.Value.Flags));
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, local["m50"].Flags);
        Assert.Equal(["project1"], ReadMaildir(Path.Combine(near, "Projects")).Keys);

        // Local changes: ten files deleted, five marked T (\Deleted), five flagged, one new message,
        // one new folder.
        for (int i = 1; i <= 10; i++)
            File.Delete(local[$"m{i}"].Path);
        for (int i = 11; i <= 15; i++)
            SetMaildirFlags(local[$"m{i}"], local[$"m{i}"].Flags | MessageFlags.Deleted);
        for (int i = 21; i <= 25; i++)
            SetMaildirFlags(local[$"m{i}"], local[$"m{i}"].Flags | MessageFlags.Flagged);
        await File.WriteAllTextAsync(Path.Combine(near, "INBOX", "new", "1795000000.local1.near"), Message("local1", "written locally"));
        string localFolder = Path.Combine(near, "Local");
        foreach (string sub in new[] { "cur", "new", "tmp" })
            Directory.CreateDirectory(Path.Combine(localFolder, sub));
        await File.WriteAllTextAsync(Path.Combine(localFolder, "new", "1795000001.local2.near"), Message("local2", "in a local folder"));

        // Server changes: five read, one unread again, five expunged, one new message.
        var byId = _account.ListMessagesByUid("INBOX").ToDictionary(m => Id(m.Summary.MessageId), m => m.Uid);
        _account.StoreFlags("INBOX", Enumerable.Range(31, 5).Select(i => byId[$"m{i}"]), FlagOperation.Add, MessageFlags.Seen);
        _account.StoreFlags("INBOX", [byId["m40"]], FlagOperation.Remove, MessageFlags.Seen);
        var expunged = Enumerable.Range(41, 5).Select(i => byId[$"m{i}"]).Order().ToList();
        _account.StoreFlags("INBOX", expunged, FlagOperation.Add, MessageFlags.Deleted);
        Assert.Equal(expunged, _account.Expunge("INBOX", expunged));
        await AppendAsync("INBOX", "server1", "arrived on the server", MessageFlags.Answered);

        await SyncAsync(rc, home);
        var server = ServerFlags("INBOX");
        local = ReadMaildir(Path.Combine(near, "INBOX"));
        Assert.Equal(Count - 10 - 5 - 5 + 2, server.Count);
        Assert.Equal(server, local.ToDictionary(m => m.Key, m => m.Value.Flags));
        for (int i = 1; i <= 15; i++)
            Assert.DoesNotContain($"m{i}", server.Keys);
        for (int i = 41; i <= 45; i++)
            Assert.DoesNotContain($"m{i}", local.Keys);
        Assert.All(Enumerable.Range(21, 5), i => Assert.True(server[$"m{i}"].HasFlag(MessageFlags.Flagged)));
        Assert.All(Enumerable.Range(31, 5), i => Assert.True(local[$"m{i}"].Flags.HasFlag(MessageFlags.Seen)));
        Assert.Equal(MessageFlags.None, local["m40"].Flags);
        Assert.Equal(MessageFlags.Answered, local["server1"].Flags);
        Assert.Contains("local1", server.Keys);
        Assert.Equal(["local2"], ServerFlags("Local").Keys);

        // Nothing left to do: a third run changes neither side.
        await SyncAsync(rc, home);
        Assert.Equal(server, ServerFlags("INBOX"));
        Assert.Equal(server, ReadMaildir(Path.Combine(near, "INBOX")).ToDictionary(m => m.Key, m => m.Value.Flags));
        Assert.Single(ServerFlags("Local"));
        Assert.Single(ServerFlags("Projects"));
    }

    private async Task SyncAsync(string rc, string home)
    {
        var (exit, log) = await RunAsync("mbsync", ["--config", rc, "--all", "--verbose"], SyncGuard,
            new Dictionary<string, string> { ["HOME"] = home });
        testOutput.WriteLine(log);
        Assert.True(exit == 0, $"mbsync exit {exit}:\n{log}");
    }

    /// <summary>The server's messages of <paramref name="mailbox"/> by test id, with their flags.</summary>
    private Dictionary<string, MessageFlags> ServerFlags(string mailbox) =>
        _account.ListMessagesByUid(mailbox).ToDictionary(m => Id(m.Summary.MessageId), m => m.Flags);

    private sealed record MaildirMessage(string Path, MessageFlags Flags);

    /// <summary>A Maildir's messages (new/ and cur/) by test id, with the flags of their names' info part.</summary>
    private static Dictionary<string, MaildirMessage> ReadMaildir(string folder)
    {
        var messages = new Dictionary<string, MaildirMessage>();
        foreach (string file in new[] { "new", "cur" }.SelectMany(sub => Directory.GetFiles(Path.Combine(folder, sub))))
        {
            var id = MessageIdHeader().Match(File.ReadAllText(file));
            Assert.True(id.Success, $"no Message-ID in {file}");
            messages.Add(id.Groups["id"].Value, new MaildirMessage(file, MaildirFlags(Path.GetFileName(file))));
        }
        return messages;
    }

    /// <summary>Maildir's info letters (cr.yp.to/proto/maildir.html): D draft, F flagged, R replied, S seen, T trashed.</summary>
    private static readonly (char Letter, MessageFlags Flag)[] MaildirLetters =
    [
        ('D', MessageFlags.Draft), ('F', MessageFlags.Flagged), ('R', MessageFlags.Answered), ('S', MessageFlags.Seen), ('T', MessageFlags.Deleted),
    ];

    private static MessageFlags MaildirFlags(string name)
    {
        int info = name.LastIndexOf(":2,", StringComparison.Ordinal);
        if (info < 0)
            return MessageFlags.None;
        var flags = MessageFlags.None;
        foreach (char letter in name[(info + 3)..])
            flags |= MaildirLetters.FirstOrDefault(l => l.Letter == letter).Flag;
        return flags;
    }

    /// <summary>Renames the file as a Maildir reader does to change flags: letters in ASCII order, in cur/.</summary>
    private static void SetMaildirFlags(MaildirMessage message, MessageFlags flags)
    {
        string name = Path.GetFileName(message.Path);
        int info = name.LastIndexOf(":2,", StringComparison.Ordinal);
        string unique = info < 0 ? name : name[..info];
        string letters = new(MaildirLetters.Where(l => flags.HasFlag(l.Flag)).Select(l => l.Letter).ToArray());
        string folder = Path.GetDirectoryName(Path.GetDirectoryName(message.Path))!;
        File.Move(message.Path, Path.Combine(folder, "cur", $"{unique}:2,{letters}"));
    }

    [GeneratedRegex(@"^Message-ID:\s*<(?<id>[^@>]+)@", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MessageIdHeader();
}
