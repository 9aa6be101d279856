using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace Appliance.Interop.Tests;

/// <summary>
/// `appliance serve` as a real process, reached by real clients from Debian: openssl s_client
/// verifies the self-signed certificate and host name on the implicit-TLS ports, curl fetches the
/// health page; SIGTERM stops the server cleanly.
/// </summary>
public sealed partial class ServeProcessTests : IAsyncLifetime
{
    private const string Hostname = "mail.interop.test";
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-serve", Guid.NewGuid().ToString("N"));
    private Process _server = null!;
    private readonly Dictionary<string, int> _ports = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Text.StringBuilder _log = new();

    public async Task InitializeAsync()
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
        start.Environment["APPLIANCE__DATADIRECTORY"] = _data;
        start.Environment["APPLIANCE__HOSTNAME"] = Hostname;
        foreach (string listener in new[] { "HTTP", "HTTPS", "SMTP", "SUBMISSION", "SMTPS", "IMAP", "IMAPS", "POP3", "POP3S" })
            start.Environment[$"APPLIANCE__LISTENERS__{listener}__PORT"] = "0";
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, e) => OnLine(e.Data);
        _server.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        _ = _server.WaitForExitAsync().ContinueWith(_ => _started.TrySetException(new InvalidOperationException("server exited: " + Log)));
        await _started.Task.WaitAsync(TimeSpan.FromMinutes(1));
    }

    private string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    private void OnLine(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
        var m = BannerLine().Match(line);
        if (m.Success)
        {
            lock (_ports)
                _ports[m.Groups["name"].Value.Trim()] = int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
        }
        if (line.TrimStart().StartsWith("TLS certificate", StringComparison.Ordinal))
            _started.TrySetResult();
    }

    [GeneratedRegex(@"^\s+(?<name>[A-Za-z0-9 ()]+?)\s+(?:https?://)?127\.0\.0\.1:(?<port>\d+)/?$")]
    private static partial Regex BannerLine();

    private int Port(string name)
    {
        lock (_ports)
            return _ports.TryGetValue(name, out int port) ? port : throw new KeyNotFoundException($"{name} not in the start-up block:\n{Log}");
    }

    [Theory]
    [InlineData("Submission (implicit TLS)", "QUIT\r\n", "220 mail.interop.test ESMTP Appliance")]
    [InlineData("IMAP (implicit TLS)", "a LOGOUT\r\n", "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN ")]
    [InlineData("POP3 (implicit TLS)", "QUIT\r\n", "+OK Appliance POP3 server ready")]
    public async Task Openssl_verifies_the_self_signed_certificate_and_reads_the_greeting(string listener, string input, string greeting)
    {
        // Trust exactly the certificate the server made, as a client would after pinning it.
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_data, "certs", "server.pfx"), password: null);
        string caFile = Path.Combine(_data, "trusted.pem");
        await File.WriteAllTextAsync(caFile, certificate.ExportCertificatePem());

        var (code, output, error) = await RunAsync("openssl", input,
            "s_client", "-connect", $"127.0.0.1:{Port(listener)}", "-servername", Hostname,
            "-CAfile", caFile, "-verify_hostname", Hostname, "-verify_return_error", "-quiet");
        Assert.True(code == 0, $"openssl exit {code}: {error}");
        Assert.Contains("verify return:1", error);
        Assert.Contains(greeting, output);
        Assert.Contains(listener.Split(' ')[0] switch { "POP3" => "+OK Bye", "IMAP" => "a OK LOGOUT completed", _ => "221 " }, output);
    }

    [Fact]
    public async Task Openssl_refuses_a_wrong_host_name()
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_data, "certs", "server.pfx"), password: null);
        string caFile = Path.Combine(_data, "trusted-wrong.pem");
        await File.WriteAllTextAsync(caFile, certificate.ExportCertificatePem());
        var (code, _, error) = await RunAsync("openssl", "",
            "s_client", "-connect", $"127.0.0.1:{Port("IMAP (implicit TLS)")}", "-CAfile", caFile,
            "-verify_hostname", "other.example", "-verify_return_error", "-quiet");
        Assert.NotEqual(0, code);
        Assert.Contains("hostname mismatch", error);
    }

    [Fact]
    public async Task Curl_reads_the_health_page_over_http_and_https()
    {
        var http = await RunAsync("curl", "", "-sS", "--max-time", "20", $"http://127.0.0.1:{Port("Web (HTTP)")}/healthz");
        Assert.Equal((0, "ok\n"), (http.Code, http.Out));
        var https = await RunAsync("curl", "", "-sS", "--max-time", "20", "-k", $"https://127.0.0.1:{Port("Web (HTTPS)")}/healthz");
        Assert.Equal((0, "ok\n"), (https.Code, https.Out));
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly()
    {
        var kill = await RunAsync("kill", "", "-TERM", _server.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(0, kill.Code);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _server.WaitForExitAsync(timeout.Token);
        Assert.True(_server.ExitCode == 0, $"exit {_server.ExitCode}:\n{Log}");
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(string file, string input, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(input);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public async Task DisposeAsync()
    {
        if (!_server.HasExited)
        {
            _server.Kill(entireProcessTree: true);
            await _server.WaitForExitAsync();
        }
        _server.Dispose();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
