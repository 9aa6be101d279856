using Appliance.Tests.Shared;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Bench;

/// <summary>The protocol a private Dovecot serves: one per instance, as each comparison needs one.</summary>
internal enum DovecotProtocol { Pop3, Imap }

/// <summary>
/// Debian's Dovecot (dovecot-core + dovecot-pop3d or dovecot-imapd) as a private instance for the
/// POP3 and IMAP comparisons: its own config, base_dir, state_dir and log under /tmp, never the
/// system's /etc/dovecot or /run/dovecot. One user in a passwd-file (SHA512-CRYPT), mail in
/// maildir:{dir}/Maildir owned by nobody (mail_uid/gid 65534), one protocol, on 127.0.0.1 on a
/// free high port with implicit TLS (ssl=required, a self-signed RSA 2048 certificate like our
/// bootstrap one). Everything else is Dovecot's default, including the login processes
/// (service_count=1: one pop3-login or imap-login per connection, which keeps proxying the TLS
/// stream to the mail process after login) and pop3_uidl_format %08Xu%08Xv. Dovecot's master
/// needs root.
/// </summary>
internal sealed class DovecotBenchServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/dovecot";
    private const int MailUid = 65534;

    private readonly string _directory;
    private readonly DovecotProtocol _protocol;
    private Process? _process;

    private DovecotBenchServer(string directory, DovecotProtocol protocol, string user, string password)
    {
        _directory = directory;
        _protocol = protocol;
        User = user;
        Password = password;
    }

    public string User { get; }

    public string Password { get; }

    public int Port { get; private set; }

    private string ConfigPath => Path.Combine(_directory, "dovecot.conf");

    private string MaildirPath => Path.Combine(_directory, "Maildir");

    private string LogPath => Path.Combine(_directory, "dovecot.log");

    /// <summary>"pop3" or "imap": Dovecot's name of the protocol, its service and its binary.</summary>
    private string Name => _protocol == DovecotProtocol.Pop3 ? "pop3" : "imap";

    public static async Task<DovecotBenchServer> StartAsync(DovecotProtocol protocol, string user, IReadOnlyList<byte[]> messages)
    {
        string name = protocol == DovecotProtocol.Pop3 ? "pop3" : "imap";
        string mailBinary = $"/usr/lib/dovecot/{name}";
        if (!File.Exists(Binary) || !File.Exists(mailBinary))
            throw new InvalidOperationException($"{Binary} or {mailBinary} is missing: apt-get install -y dovecot-{name}d");
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            throw new InvalidOperationException("Dovecot's master must be started as root.");
        // Short: Dovecot's UNIX sockets live under base_dir (sun_path is 108 octets).
        string directory = Path.Combine(Path.GetTempPath(), "dvb-" + Guid.NewGuid().ToString("N")[..10]);
        var server = new DovecotBenchServer(directory, protocol, user, "bench password " + Guid.NewGuid().ToString("N"));
        try
        {
            await server.StartCoreAsync(messages);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private async Task StartCoreAsync(IReadOnlyList<byte[]> messages)
    {
        Directory.CreateDirectory(_directory);
        Directory.CreateDirectory(Path.Combine(_directory, "run"));
        Directory.CreateDirectory(Path.Combine(_directory, "state"));
        FillMaildir(messages);
        await RunAsync("chown", "-R", $"{MailUid}:{MailUid}", MaildirPath);
        // base_dir and the rest stay root's; only the log must be writable by dovecot's log process (root too).
        await RunAsync("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-keyout", Path.Combine(_directory, "key.pem"), "-out", Path.Combine(_directory, "cert.pem"));
        // A hashed password as an administrator following Dovecot's documentation would store it:
        // `doveadm pw -s SHA512-CRYPT` (glibc's default 5,000 rounds, a few ms). Ours is Identity v3
        // PBKDF2-HMAC-SHA512 with 100,000 iterations, which costs much more; the bench prints that
        // cost beside the login latency. A PLAIN entry would hide even Dovecot's hashing.
        string hash = (await RunAsync("doveadm", "pw", "-s", "SHA512-CRYPT", "-p", Password)).Trim();
        await File.WriteAllTextAsync(Path.Combine(_directory, "passwd"), $"{User}:{hash}:{MailUid}:{MailUid}::{MaildirPath}::\n");

        Port = LoopbackPorts.FreeTcp();
        await File.WriteAllTextAsync(ConfigPath, $$"""
            # Private instance for tests/Appliance.Bench {{Name}} --compare; everything not set here is Dovecot's default.
            base_dir = {{_directory}}/run
            state_dir = {{_directory}}/state
            instance_name = dovecot-bench-{{Port}}
            log_path = {{LogPath}}
            protocols = {{Name}}
            listen = 127.0.0.1
            ssl = required
            ssl_cert = <{{_directory}}/cert.pem
            ssl_key = <{{_directory}}/key.pem
            auth_mechanisms = plain
            passdb {
              driver = passwd-file
              args = {{_directory}}/passwd
            }
            userdb {
              driver = passwd-file
              args = {{_directory}}/passwd
            }
            mail_location = maildir:{{MaildirPath}}
            mail_uid = {{MailUid}}
            mail_gid = {{MailUid}}
            first_valid_uid = 1
            service {{Name}}-login {
              inet_listener {{Name}} {
                port = 0
              }
              inet_listener {{Name}}s {
                address = 127.0.0.1
                port = {{Port}}
                ssl = yes
              }
            }
            # As many sessions per user and address as ours allows: POP3's listener limit is 10 per
            # address (Dovecot's default is 10 too); IMAP allows 20 per user (ImapServerOptions.MaxConnectionsPerUser).
            protocol {{Name}} {
              mail_max_userip_connections = {{(_protocol == DovecotProtocol.Pop3 ? 10 : 20)}}
            }

            """);
        // Validate before starting: a config error is then a clear message, not a dead master.
        await RunAsync(Binary, "-c", ConfigPath, "-n");

        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-F", "-c", ConfigPath })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("dovecot did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when the login service's port accepts connections (guard: 30 s); a dead master ends the wait at once.
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"dovecot exited with {_process.ExitCode}: {ReadLog()}");
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

    /// <summary>
    /// The messages as Maildir files in cur/, named as Dovecot's own LDA names them
    /// ({time}.M{usec}P{pid}.{host},S={size},W={vsize}:2,): with S= and W= Dovecot takes the sizes
    /// from the name as it would for mail it delivered itself, as our index has them. The files
    /// are CRLF, so W= equals S=. dovecot-uidlist and the index are built at the first login.
    /// </summary>
    private void FillMaildir(IReadOnlyList<byte[]> messages)
    {
        foreach (string sub in new[] { "cur", "new", "tmp" })
            Directory.CreateDirectory(Path.Combine(MaildirPath, sub));
        long seconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - messages.Count;
        for (int i = 0; i < messages.Count; i++)
        {
            string name = string.Create(CultureInfo.InvariantCulture,
                $"{seconds + i}.M{i}P{Environment.ProcessId}.bench,S={messages[i].Length},W={messages[i].Length}:2,");
            string path = Path.Combine(MaildirPath, "cur", name);
            File.WriteAllBytes(path, messages[i]);
            File.SetLastWriteTimeUtc(path, DateTimeOffset.FromUnixTimeSeconds(seconds + i).UtcDateTime);
        }
    }

    /// <summary>
    /// CPU time of the instance so far: user and system time of the master and its live children
    /// plus what the master's reaped children used (cutime, cstime), so a login or mail process that
    /// exits between two readings is still counted once. Clock ticks of 10 ms (USER_HZ 100).
    /// </summary>
    public TimeSpan CpuTime()
    {
        if (_process is null)
            return TimeSpan.Zero;
        const double TicksPerSecond = 100;
        long ticks = 0;
        foreach (var (pid, stat) in Processes(_process.Id))
        {
            // proc(5): utime is field 14, stime 15; the master also adds cutime 16 and cstime 17.
            int last = pid == _process.Id ? 17 : 15;
            for (int field = 14; field <= last; field++)
                ticks += long.Parse(stat[field - 3], CultureInfo.InvariantCulture);
        }
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The master and its children: every Dovecot service is a direct child of the master.</summary>
    private static List<(int Pid, string[] Stat)> Processes(int master)
    {
        var found = new List<(int, string[])>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            string text;
            try { text = File.ReadAllText(Path.Combine(dir, "stat")); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { continue; }
            // Fields after the parenthesised command name, which may itself hold spaces; ppid is field 4.
            string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            if (pid == master || fields[1] == master.ToString(CultureInfo.InvariantCulture))
                found.Add((pid, fields));
        }
        return found;
    }

    public string ReadLog()
    {
        try { return File.ReadAllText(LogPath); } catch (IOException) { return "(no log)"; }
    }

    /// <summary>Runs a tool to its end; returns its standard output, throws with its standard error when it fails.</summary>
    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error}");
        return await output;
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                // SIGTERM: the master stops its services and exits (Process.Kill would be SIGKILL,
                // leaving the children to notice on their own).
                // Each child with its start time (field 22), so a reused pid is never taken for it.
                var children = Processes(_process.Id).Where(p => p.Pid != _process.Id).Select(p => (p.Pid, Started: p.Stat[22 - 3])).ToList();
                try { await RunAsync("kill", "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)); } catch (InvalidOperationException) { }
                using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                try
                {
                    await _process.WaitForExitAsync(guard.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
                // A child that outlived its master would keep files open under the directory we delete.
                foreach (var (pid, started) in children)
                {
                    string stat;
                    try { stat = File.ReadAllText($"/proc/{pid}/stat"); } catch (IOException) { continue; }
                    if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[22 - 3] != started)
                        continue;
                    try
                    {
                        using var stray = Process.GetProcessById(pid);
                        stray.Kill();
                    }
                    catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
                    {
                        // Exited meanwhile.
                    }
                }
            }
            _process.Dispose();
        }
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
