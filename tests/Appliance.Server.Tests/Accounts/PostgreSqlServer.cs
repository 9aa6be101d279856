using Appliance.Tests.Shared;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Server.Tests.Accounts;

/// <summary>
/// A throwaway PostgreSQL server from Debian's postgresql package (tests/run.sh installs it):
/// initdb into a temporary directory, listening on 127.0.0.1 on a free port, trust authentication,
/// stopped and deleted at the end. Run as the postgres user when the tests run as root, because
/// PostgreSQL refuses to run as root.
/// </summary>
public sealed class PostgreSqlServer : IAsyncLifetime
{
    private const string User = "appliance";
    private readonly string _directory = Directory.CreateTempSubdirectory("appliance-pg").FullName;
    private string _bin = "";
    private int _port;

    private string DataDirectory => Path.Combine(_directory, "data");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={_port};Username={User};Database={database};Pooling=false";

    public async Task InitializeAsync()
    {
        _bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault() ?? ""
            : "";
        if (_bin.Length == 0)
            throw new InvalidOperationException("PostgreSQL server binaries were not found under /usr/lib/postgresql; tests/run.sh installs the postgresql package.");

        if (Environment.UserName == "root")
            await RunAsync("chown", ["-R", "postgres:postgres", _directory]);
        _port = LoopbackPorts.FreeTcp();
        await RunPostgresAsync("initdb", ["-D", DataDirectory, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        await RunPostgresAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(_directory, "server.log"),
            "-o", $"-p {_port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await RunPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private Task RunPostgresAsync(string tool, string[] args)
    {
        string path = Path.Combine(_bin, tool);
        return Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args])
            : RunAsync(path, args);
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{await output}\n{await error}");
    }
}
