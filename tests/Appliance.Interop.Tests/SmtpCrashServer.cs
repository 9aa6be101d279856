using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Interop.Tests;

/// <summary>
/// `appliance serve` as a child process on a given data directory, every listener on 127.0.0.1
/// port 0; started means the start-up block was printed (its last line names the TLS
/// certificate), and the SMTP port is read from it, as in <see cref="ServeProcessTests"/>.
/// </summary>
internal sealed partial class SmtpCrashServer : IAsyncDisposable
{
    /// <summary>Start-up takes 2-5 s here (runtime start, migrations check, certificate load); one minute absorbs a busy build machine.</summary>
    private static readonly TimeSpan StartGuard = TimeSpan.FromMinutes(1);

    private readonly Process _process;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly StringBuilder _log = new();
    private int? _smtpPort;

    private SmtpCrashServer(Process process) => _process = process;

    public int Id => _process.Id;

    public int SmtpPort => _smtpPort ?? throw new InvalidOperationException("SMTP (STARTTLS) was not in the start-up block:\n" + Log);

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<SmtpCrashServer> StartAsync(string dataDirectory, string hostname)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "appliance.dll"));
        start.ArgumentList.Add("serve");
        start.Environment["APPLIANCE_CONFIG"] = null;
        start.Environment["APPLIANCE__DATADIRECTORY"] = dataDirectory;
        start.Environment["APPLIANCE__HOSTNAME"] = hostname;
        foreach (string listener in new[] { "HTTP", "HTTPS", "SMTP", "SUBMISSION", "SMTPS", "IMAP", "IMAPS", "POP3", "POP3S" })
        {
            start.Environment[$"APPLIANCE__LISTENERS__{listener}__ADDRESS"] = "127.0.0.1";
            start.Environment[$"APPLIANCE__LISTENERS__{listener}__PORT"] = "0";
        }
        var server = new SmtpCrashServer(Process.Start(start)!);
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        _ = server._process.WaitForExitAsync().ContinueWith(
            _ => server._started.TrySetException(new InvalidOperationException("server exited before it started:\n" + server.Log)),
            TaskScheduler.Default);
        try
        {
            await server._started.Task.WaitAsync(StartGuard);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        var m = SmtpLine().Match(line);
        if (m.Success)
            _smtpPort = int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture);
        if (line.TrimStart().StartsWith("TLS certificate", StringComparison.Ordinal))
            _started.TrySetResult();
    }

    [GeneratedRegex(@"^\s+SMTP \(STARTTLS\)\s+127\.0\.0\.1:(?<port>\d+)$")]
    private static partial Regex SmtpLine();

    /// <summary>SIGKILL (what Process.Kill sends on Linux): no shutdown code runs, as in a power cut of the process.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait: the graceful stop a service manager does. Returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", Id.ToString(CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var guard = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _process.WaitForExitAsync(guard.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
