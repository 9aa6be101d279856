using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.Server;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Server.Queue;
using Appliance.Storage;
using Appliance.Web.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance status`: what runs, seen from outside the process. Each enabled listener is probed
/// the way a client would (connect, TLS where the port is implicit TLS, read the greeting or the
/// health page), the database is opened, the queue counted. Exits non-zero when a listener does
/// not answer or the database cannot be read, so it serves as a health check (Docker, monitoring).
/// Read-only: it never creates the data directory, the database or the queue.
/// </summary>
internal static class StatusCommand
{
    /// <summary>How long one probe may take: a healthy server greets within milliseconds.</summary>
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    public static Command Create(CliApplication app)
    {
        var command = new Command("status", "Show the version, configuration and data paths, which listeners answer, the database, the queue and the certificate; exit 1 when the server does not answer.");
        app.SetAction(command, async (ctx, result, ct) =>
        {
            var (configPath, _) = ApplianceConfiguration.ResolvePath(result.GetValue(app.ConfigOption));
            var options = ApplianceConfiguration.Bind(ctx.LoadConfiguration());
            var output = ctx.Console.Out;
            output.WriteLine($"appliance {VersionCommand.Version} (.NET {Environment.Version})");
            output.WriteLine($"Configuration:   {(configPath is null ? "none (built-in defaults)" : Path.GetFullPath(configPath))}");
            // The database first: a host name set in the admin UI replaces the configured one, as
            // at the server's start, and the TLS probes must ask for the name the server uses.
            string configuredHostname = options.Hostname;
            var database = await DescribeDatabaseAsync(options, ct);
            output.WriteLine(string.Equals(options.Hostname, configuredHostname, StringComparison.OrdinalIgnoreCase)
                ? $"Host name:       {options.Hostname}"
                : $"Host name:       {options.Hostname} (set in the admin UI; Appliance:Hostname is {configuredHostname})");
            output.WriteLine($"Data directory:  {options.DataPath}");

            var probes = Enum.GetValues<ListenerKind>()
                .Where(kind => options.Listeners.Endpoint(kind).Enabled)
                .Select(kind => ProbeAsync(kind, options.Listeners.Endpoint(kind), options.Hostname, ct))
                .ToList();
            output.WriteLine($"Database:        {database.Text}");
            output.WriteLine($"Queue:           {DescribeQueue(options)}");

            var results = await Task.WhenAll(probes);
            var certificate = results.FirstOrDefault(r => r.Certificate is not null);
            output.WriteLine($"Certificate:     {(certificate is null ? "unknown (no TLS listener answered)" : DescribeCertificate(certificate))}");
            output.WriteLine("Listeners:");
            var rows = results.Select(r => new[]
            {
                "  " + StartupBanner.Describe(r.Kind),
                r.Address,
                r.Answer is null ? $"does not answer: {r.Error}" : $"answers: {r.Answer}",
            }).ToList();
            CliFormat.Table(output, rows);

            int silent = results.Count(r => r.Answer is null);
            if (silent > 0)
                return app.Fail($"{silent} of {results.Length} listeners do not answer; is the server running? (systemctl status appliance, journalctl -u appliance)");
            if (!database.Ok)
                return app.Fail("the database cannot be read.");
            return CliApplication.ExitOk;
        });
        return command;
    }

    private sealed record Probe(ListenerKind Kind, string Address, string? Answer, string? Error, X509Certificate2? Certificate, SslPolicyErrors TlsErrors);

    private static async Task<Probe> ProbeAsync(ListenerKind kind, ListenerEndpointOptions endpoint, string hostname, CancellationToken ct)
    {
        var target = new IPEndPoint(ProbeAddress(endpoint.Address), endpoint.Port);
        string shown = target.ToString();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ProbeTimeout);
        X509Certificate2? certificate = null;
        var tlsErrors = SslPolicyErrors.None;
        try
        {
            using var client = new TcpClient(target.AddressFamily);
            await client.ConnectAsync(target, timeout.Token);
            Stream stream = client.GetStream();
            if (kind.IsImplicitTls())
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, (_, remote, _, errors) =>
                {
                    // The probe sends no secret: it records what a client would be shown and judged by.
                    certificate = remote is null ? null : new X509Certificate2(remote);
                    tlsErrors = errors;
                    return true;
                });
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = hostname }, timeout.Token);
                stream = tls;
            }
            string answer = await ConverseAsync(kind, stream, hostname, timeout.Token);
            return new(kind, shown, answer, null, certificate, tlsErrors);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ProtocolException)
        {
            string error = e is OperationCanceledException ? $"no answer within {ProbeTimeout.TotalSeconds:0} s" : e.Message;
            return new(kind, shown, null, error, certificate, tlsErrors);
        }
    }

    /// <summary>Reads what the protocol says first (or asks for the health page) and says goodbye.</summary>
    private static async Task<string> ConverseAsync(ListenerKind kind, Stream stream, string hostname, CancellationToken ct)
    {
        switch (kind)
        {
            case ListenerKind.Http:
            case ListenerKind.Https:
            {
                await WriteAsync(stream, $"GET {ApplianceHost.HealthPath} HTTP/1.1\r\nHost: {hostname}\r\nConnection: close\r\n\r\n", ct);
                string status = await ReadLineAsync(stream, ct);
                // Any HTTP status proves the web server runs (installed, plain HTTP may redirect).
                return status.StartsWith("HTTP/1.", StringComparison.Ordinal) ? status : throw new ProtocolException($"not an HTTP reply: {status}");
            }
            default:
            {
                string greeting = await ReadLineAsync(stream, ct);
                var (expected, goodbye) = kind.Protocol() switch
                {
                    MailProtocol.Smtp => ("220 ", "QUIT\r\n"),
                    MailProtocol.Imap => ("* OK", "a LOGOUT\r\n"),
                    _ => ("+OK", "QUIT\r\n"),
                };
                if (!greeting.StartsWith(expected, StringComparison.Ordinal))
                    throw new ProtocolException($"unexpected greeting: {greeting}");
                await WriteAsync(stream, goodbye, ct);
                return greeting.Length > 60 ? greeting[..60] + "..." : greeting;
            }
        }
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>One line of at most 1000 octets, CRLF or LF ended, without the ending.</summary>
    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken ct)
    {
        var line = new StringBuilder();
        var one = new byte[1];
        while (line.Length < 1000)
        {
            if (await stream.ReadAsync(one, ct) == 0)
                throw new ProtocolException(line.Length == 0 ? "the connection was closed without a greeting" : $"the connection was closed after: {line}");
            if (one[0] == '\n')
                break;
            if (one[0] != '\r')
                line.Append((char)one[0]);
        }
        return line.ToString();
    }

    /// <summary>A listener on every interface is reached on loopback; a specific address as itself.</summary>
    private static IPAddress ProbeAddress(string? address)
    {
        string value = address?.Trim().Trim('[', ']') ?? "";
        if (value is "" or "*" or "::" or "0.0.0.0" || value.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        return IPAddress.TryParse(value, out var parsed) ? parsed : IPAddress.Loopback;
    }

    /// <summary>Describes the database and, when it can be read, lays its stored settings over <paramref name="options"/>.</summary>
    private static async Task<(bool Ok, string Text)> DescribeDatabaseAsync(ApplianceOptions options, CancellationToken ct)
    {
        string where = options.Database.Provider.ToString();
        if (options.Database.Provider == DatabaseProvider.Sqlite && options.Database.ConnectionString is null)
        {
            string file = Path.Combine(options.DataPath, ApplianceServices.DatabaseFileName);
            // Opening a missing SQLite file would create it; status must not.
            if (!File.Exists(file))
                return (false, $"missing ({file} does not exist; the server creates it at its first start)");
            where = $"SQLite {file}";
        }
        try
        {
            var services = new ServiceCollection();
            services.AddApplianceServices(options);
            await using var provider = services.BuildServiceProvider();
            var factory = provider.GetRequiredService<IDbContextFactory<ApplianceDbContext>>();
            await using var db = await factory.CreateDbContextAsync(ct);
            await ServerSettings.ApplyStoredAsync(db, options, logger: null, ct);
            int domains = await db.Domains.CountAsync(ct);
            int mailboxes = await db.Mailboxes.CountAsync(ct);
            return (true, $"ok ({where}; {Count(domains, "domain")}, {Count(mailboxes, "mailbox", "mailboxes")})");
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or UnauthorizedAccessException)
        {
            return (false, $"cannot be read ({where}): {e.Message}");
        }
    }

    private static string DescribeQueue(ApplianceOptions options)
    {
        var store = new QueueStore(options.DataPath);
        if (!File.Exists(store.DatabasePath))
            return "empty (nothing was ever queued)";
        int count = store.ListMessages().Count;
        return count == 0 ? "empty" : Count(count, "message");
    }

    private static string DescribeCertificate(Probe probe)
    {
        var certificate = probe.Certificate!;
        string expires = certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        string trust = probe.TlsErrors == SslPolicyErrors.None ? "trusted" : $"not trusted here: {probe.TlsErrors}";
        return $"{certificate.Subject}, issued by {certificate.Issuer}, expires {expires} ({trust})";
    }

    private static string Count(int n, string one, string? many = null) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many ?? one + "s");

    private sealed class ProtocolException(string message) : Exception(message);
}
