using Appliance.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Bench;

/// <summary>
/// Debian's Postfix as a private instance for the comparison: its own config and queue directory
/// under /tmp, smtpd on 127.0.0.1 on a free high port, delivering every message for one virtual
/// domain to one Maildir (virtual_mailbox_domains / virtual_mailbox_maps / virtual_mailbox_base,
/// static uid and gid). Everything else is Postfix's default, durability included: cleanup fsyncs
/// the queue file before smtpd says 250, and virtual(8) fsyncs the Maildir file before it counts
/// as delivered. The approach is that of tests/Appliance.Server.Tests/Queue/PostfixServer.cs
/// (the Bench project references no test project). Postfix's master needs root.
/// </summary>
internal sealed class PostfixBenchServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/postfix";

    private readonly string _directory;
    private Process? _process;

    private PostfixBenchServer(string directory, string domain)
    {
        _directory = directory;
        Domain = domain;
    }

    public string Domain { get; }

    public int Port { get; private set; }

    private string ConfigDirectory => Path.Combine(_directory, "etc");

    /// <summary>Where virtual(8) puts delivered messages.</summary>
    private string NewMail => Path.Combine(_directory, "mail", "inbox", "new");

    private string MailLog => Path.Combine(_directory, "maillog");

    public static async Task<PostfixBenchServer> StartAsync(string domain)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: install Debian's postfix package.");
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            throw new InvalidOperationException("Postfix's master must be started as root.");

        // Short: Postfix's UNIX-domain sockets live under the queue directory (sun_path is 108 octets).
        // On the same file system as our server's temporary data directory, so fsync costs the same.
        string directory = Path.Combine(Path.GetTempPath(), "pfb-" + Guid.NewGuid().ToString("N")[..10]);
        var server = new PostfixBenchServer(directory, domain);
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

        Port = LoopbackPorts.FreeTcp();
        await File.WriteAllTextAsync(Path.Combine(ConfigDirectory, "main.cf"), $"""
            compatibility_level = 3.6
            queue_directory = {_directory}/spool
            data_directory = {_directory}/data
            mail_owner = postfix
            setgid_group = postdrop
            myhostname = mx.{Domain}
            mydomain = {Domain}
            mydestination =
            inet_interfaces = 127.0.0.1
            inet_protocols = ipv4
            mynetworks = 127.0.0.0/8
            alias_maps =
            alias_database =
            smtputf8_enable = yes
            virtual_mailbox_domains = {Domain}
            virtual_mailbox_base = {_directory}/mail
            virtual_mailbox_maps = static:inbox/
            virtual_uid_maps = static:65534
            virtual_gid_maps = static:65534
            virtual_minimum_uid = 1
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

            """);

        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-c", ConfigDirectory, "start-fg" })
            start.ArgumentList.Add(arg);
        _process = Process.Start(start) ?? throw new InvalidOperationException("postfix did not start");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when smtpd's port accepts connections (guard: 30 s); a dead postfix ends the wait at once.
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

    /// <summary>Messages delivered to the Maildir so far.</summary>
    public int DeliveredCount() => Directory.Exists(NewMail) ? Directory.EnumerateFiles(NewMail).Count() : 0;

    /// <summary>
    /// Waits until the Maildir holds <paramref name="count"/> messages and returns when that
    /// happened; polls every 10 ms (a bench timing, not a test: the error of the poll is small next
    /// to seconds of delivery). Gives up after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> WaitForDeliveredAsync(int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (DeliveredCount() < count)
        {
            if (clock.Elapsed > timeout)
                return false;
            await Task.Delay(10);
        }
        return true;
    }

    /// <summary>
    /// CPU time used by this instance so far: user and system time of its live processes plus
    /// what their reaped children used (cutime, cstime: the master waits for smtpd, cleanup,
    /// virtual...), so a process that exits between two readings is still counted once. In clock
    /// ticks of 10 ms (USER_HZ 100), plenty for runs of thousands of messages.
    /// </summary>
    public TimeSpan CpuTime()
    {
        const double TicksPerSecond = 100;
        long ticks = 0;
        foreach (int pid in OwnProcesses())
        {
            string stat;
            try { stat = File.ReadAllText($"/proc/{pid}/stat"); } catch (IOException) { continue; }
            // proc(5): fields after the parenthesised command name; utime is field 14, cstime 17.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            for (int field = 14; field <= 17; field++)
                ticks += long.Parse(fields[field - 3], System.Globalization.CultureInfo.InvariantCulture);
        }
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    public string ReadLog()
    {
        try { return File.ReadAllText(MailLog); } catch (IOException) { return "(no log)"; }
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        await output;
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error}");
    }

    /// <summary>
    /// The ids of processes of this instance still running: Postfix's master gives each child the
    /// configuration directory in MAIL_CONFIG, so this finds exactly ours, never another Postfix.
    /// </summary>
    private List<int> OwnProcesses()
    {
        var found = new List<int>();
        string marker = "MAIL_CONFIG=" + ConfigDirectory + "\0";
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid) || pid == Environment.ProcessId)
                continue;
            try
            {
                string environment = File.ReadAllText(Path.Combine(dir, "environ"));
                if (environment.Contains(marker, StringComparison.Ordinal))
                    found.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone already, or a kernel thread.
            }
        }
        return found;
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
            // A child that outlived its master (a virtual(8) in the middle of a delivery) would keep
            // files open under the directory we are about to delete.
            foreach (int pid in OwnProcesses())
            {
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
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
