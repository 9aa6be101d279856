using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Dns;

namespace Appliance.Tests.Shared;

/// <summary>
/// A real DNS server for tests: Debian's unbound (installed by tests/run.sh) on 127.0.0.1 on a
/// free high port, answering test zones from local-zone/local-data lines. Compiled into every test
/// project that needs it (a linked source file), so there is one harness.
/// </summary>
internal sealed class UnboundServer : IAsyncDisposable
{
    public const string Binary = "/usr/sbin/unbound";

    private readonly string _directory;
    private readonly StringBuilder _log = new();
    private Process? _process;

    private UnboundServer(string directory) => _directory = directory;

    public IPEndPoint EndPoint { get; private set; } = null!;

    /// <summary>A resolver that asks only this server.</summary>
    public DnsStubResolver Resolver(ushort udpPayloadSize = 1232, int attempts = 1) => new(new DnsStubResolverOptions
    {
        Nameservers = [EndPoint],
        Timeout = TimeSpan.FromSeconds(5),
        Attempts = attempts,
        Rotate = false,
        UdpPayloadSize = udpPayloadSize,
    });

    /// <summary>
    /// unbound's configuration for a server on 127.0.0.1@<paramref name="port"/> answering only
    /// <paramref name="zoneLines"/> (local-zone and local-data lines, without indentation).
    /// </summary>
    public static string Config(string directory, int port, IEnumerable<string> zoneLines) =>
        string.Join('\n',
        [
            "server:",
            $"  interface: 127.0.0.1@{port}",
            $"  port: {port}",
            "  do-daemonize: no",
            "  username: \"\"",
            "  chroot: \"\"",
            $"  directory: \"{directory}\"",
            "  pidfile: \"\"",
            "  use-syslog: no",
            "  logfile: \"\"",
            "  verbosity: 1",
            "  num-threads: 1",
            "  do-ip6: no",
            "  do-not-query-localhost: no",
            "  access-control: 127.0.0.0/8 allow",
            "  module-config: \"iterator\"",
            .. zoneLines.Select(l => "  " + l),
            "remote-control:",
            "  control-enable: no",
        ]) + "\n";

    /// <summary>
    /// Starts unbound and waits until it answers an SOA query for <paramref name="probeZone"/>
    /// (polling, not a guessed sleep). A port taken in the moment between choosing and binding it
    /// is retried with another.
    /// </summary>
    public static async Task<UnboundServer> StartAsync(IEnumerable<string> zoneLines, string probeZone)
    {
        Assert.True(File.Exists(Binary), $"{Binary} is missing: tests/run.sh installs the Debian package unbound.");
        var server = new UnboundServer(Directory.CreateTempSubdirectory("unbound").FullName);
        var lines = zoneLines.ToList();
        for (int tries = 0; ; tries++)
        {
            server.EndPoint = new IPEndPoint(IPAddress.Loopback, LoopbackPorts.FreeUdpAndTcp());
            string config = Path.Combine(server._directory, "unbound.conf");
            await File.WriteAllTextAsync(config, Config(server._directory, server.EndPoint.Port, lines));
            var start = new ProcessStartInfo(Binary, ["-d", "-c", config])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            server._process = Process.Start(start)!;
            server._process.ErrorDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
            server._process.OutputDataReceived += (_, e) => { lock (server._log) server._log.AppendLine(e.Data); };
            server._process.BeginErrorReadLine();
            server._process.BeginOutputReadLine();
            if (await server.WaitUntilServingAsync(probeZone))
                return server;
            server.Stop();
            if (tries == 2)
            {
                string log;
                lock (server._log)
                    log = server._log.ToString();
                await server.DisposeAsync();
                Assert.Fail($"unbound did not start answering:\n{log}");
            }
        }
    }

    private async Task<bool> WaitUntilServingAsync(string probeZone)
    {
        var probe = new DnsStubResolver(new DnsStubResolverOptions
        {
            Nameservers = [EndPoint], Timeout = TimeSpan.FromMilliseconds(100), Attempts = 1, Rotate = false, MaxCacheEntries = 0,
        });
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (_process!.HasExited)
                return false;
            if ((await probe.QueryAsync(probeZone, DnsRecordType.SOA)).Status == DnsResponseStatus.Success)
                return true;
            // An ICMP port unreachable ends a probe at once; pace the polls a little.
            await Task.Delay(50);
        }
        return false;
    }

    private void Stop()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }
}
