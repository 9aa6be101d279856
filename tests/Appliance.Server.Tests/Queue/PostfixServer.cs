using Appliance.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Tests.Queue;

/// <summary>
/// A real remote MX: Debian's Postfix (apt package "postfix"; tests/run.sh must install it) as a
/// private instance (`postfix -c dir start-fg`) on 127.0.0.1 on a free high port, with
/// STARTTLS (a self-signed certificate), accepting mail for dest.test into one Maildir, and
/// answering RCPT TO:&lt;defer@dest.test&gt; with 451 and &lt;unknown@dest.test&gt; with 550.
/// Postfix's master needs root (it drops privileges to the "postfix" user).
/// </summary>
internal sealed class PostfixServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/postfix";
    public const string Domain = "dest.test";

    private readonly string _directory;
    private Process? _process;

    private PostfixServer(string directory) => _directory = directory;

    public int Port { get; private set; }

    private string ConfigDirectory => Path.Combine(_directory, "etc");

    /// <summary>The Maildir's new/ directory, where delivered messages appear.</summary>
    private string NewMail => Path.Combine(_directory, "mail", "inbox", "new");

    public string MailLog => Path.Combine(_directory, "maillog");

    public static async Task<PostfixServer> StartAsync()
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: install Debian's postfix package (tests/run.sh does).");
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            throw new InvalidOperationException("Postfix's master must be started as root.");

        // Short: Postfix's UNIX-domain sockets live under the queue directory (sun_path is 108 octets).
        string directory = Path.Combine("/tmp", "pf-" + Guid.NewGuid().ToString("N")[..10]);
        var server = new PostfixServer(directory);
        try
        {
            await server.StartCoreAsync();
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task StartCoreAsync()
    {
        Directory.CreateDirectory(ConfigDirectory);
        Directory.CreateDirectory(Path.Combine(_directory, "spool"));
        var data = Directory.CreateDirectory(Path.Combine(_directory, "data"));
        var mail = Directory.CreateDirectory(Path.Combine(_directory, "mail"));
        await RunAsync("chown", "postfix", data.FullName);
        await RunAsync("chown", "65534:65534", mail.FullName);

        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=mx.dest.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
            await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "cert.pem"), cert.ExportCertificatePem());
            await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "key.pem"), rsa.ExportPkcs8PrivateKeyPem());
        }

        Port = LoopbackPorts.FreeTcp();
        await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {_directory}/spool
            data_directory = {_directory}/data
            mail_owner = postfix
            setgid_group = postdrop
            myhostname = mx.dest.test
            mydomain = dest.test
            mydestination =
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            alias_maps =
            alias_database =
            smtputf8_enable = yes
            virtual_mailbox_domains = dest.test
            virtual_mailbox_base = {_directory}/mail
            virtual_mailbox_maps = static:inbox/
            virtual_uid_maps = static:65534
            virtual_gid_maps = static:65534
            virtual_minimum_uid = 1
            smtpd_recipient_restrictions = check_recipient_access inline:{"{{defer@dest.test=451 4.7.1 try again later},{unknown@dest.test=550 5.1.1 no such user}}"}, reject_unauth_destination
            smtpd_tls_security_level = may
            smtpd_tls_cert_file = {ConfigDirectory}/cert.pem
            smtpd_tls_key_file = {ConfigDirectory}/key.pem
            smtpd_tls_received_header = yes
            maillog_file = {MailLog}
            maillog_file_prefixes = {_directory}
            biff = no

            """);
        await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "master.cf"), $"""
            127.0.0.1:{Port} inet n - n - - smtpd
            cleanup unix n - n - 0 cleanup
            qmgr unix n - n 300 1 qmgr
            rewrite unix - - n - - trivial-rewrite
            bounce unix - - n - 0 bounce
            defer unix - - n - 0 bounce
            trace unix - - n - 0 bounce
            verify unix - - n - 1 verify
            flush unix n - n 1000? 0 flush
            proxymap unix - - n - - proxymap
            smtp unix - - n - - smtp
            relay unix - - n - - smtp
            showq unix n - n - - showq
            error unix - - n - - error
            retry unix - - n - - error
            discard unix - - n - - discard
            local unix - n n - - local
            virtual unix - n n - - virtual
            anvil unix - - n - 1 anvil
            scache unix - - n - 1 scache
            postlog unix-dgram n - n - 1 postlogd
            tlsmgr unix - - n 1000? 1 tlsmgr

            """);

        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-c", ConfigDirectory, "start-fg" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("postfix did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when the smtpd port accepts connections (guard: 30 s); a dead postfix ends the wait at once.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"postfix exited with {_process.ExitCode}: {ReadLog()}");
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), guard.Token);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, guard.Token);
            }
        }
    }

    /// <summary>Waits (guard: 30 s, woken by the Maildir's file events) for a delivered message containing <paramref name="marker"/>; returns its text.</summary>
    public async Task<string> WaitForMessageAsync(string marker)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check()
        {
            if (!Directory.Exists(NewMail))
                return;
            foreach (string file in Directory.EnumerateFiles(NewMail))
            {
                string text;
                try { text = File.ReadAllText(file); } catch (IOException) { continue; }
                if (text.Contains(marker, StringComparison.Ordinal))
                    found.TrySetResult(text);
            }
        }
        using var watcher = new FileSystemWatcher(Path.Combine(_directory, "mail")) { IncludeSubdirectories = true };
        watcher.Created += (_, _) => Check();
        watcher.Renamed += (_, _) => Check();
        watcher.EnableRaisingEvents = true;
        Check();
        try
        {
            return await found.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No message with '{marker}' arrived. Postfix's log:\n{ReadLog()}");
        }
    }

    public string ReadLog()
    {
        try { return File.ReadAllText(MailLog); } catch (IOException) { return "(no log)"; }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true };
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error}");
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                // `postfix stop` ends the master and its children; then the start-fg process returns.
                try { await RunAsync(Binary, "-c", ConfigDirectory, "stop"); } catch (InvalidOperationException) { }
                using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(guard.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }
            _process.Dispose();
        }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
