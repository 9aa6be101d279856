using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Delivery.Outbound;
using Appliance.Server.Dkim;
using Appliance.Server.Listeners;
using Appliance.Server.Queue;
using Appliance.Server.Smtp;
using Appliance.Server.Tests.Listeners;
using Appliance.Server.Tests.Queue;
using Appliance.Server.Tests.Smtp;
using Appliance.Storage.Mail;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Tests.EndToEnd;

/// <summary>
/// The server as the production host composes it (ApplianceHost.Build: AddApplianceServices,
/// AddMailListeners, AddDkimSigning, AddDeliveryLog, AddOutboundQueue, AddSmtpServer; the database
/// initialized and the certificate loaded before the start), on a real WebApplication so that the
/// hosted services run: the queue's DeliveryWorker, the DKIM key backfill, the delivery log's
/// lifetime. One listener, submission (587 semantics), on 127.0.0.1:0. The only test doubles are
/// the DNS (a <see cref="FakeDnsResolver"/>) and the queue's RemotePortOverride.
/// example.org is ours, with the mailbox alice@example.org; dest.test's MX is 127.0.0.1.
/// </summary>
internal sealed class EndToEndHost : IAsyncDisposable
{
    public const string Hostname = "mail.example.org";
    public const string Domain = "example.org";
    public const string Alice = "alice@example.org";
    public const string Password = "correct horse battery staple";

    /// <summary>Failure guard only: every wait here ends on an event long before this.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private readonly string _dataDirectory;
    private readonly ConcurrentQueue<string> _logs;
    private readonly List<string> _finishedRuns = [];
    private readonly List<(Func<string, bool> Match, int Count, TaskCompletionSource<string> Done)> _runWaiters = [];

    private EndToEndHost(WebApplication app, string dataDirectory, IPEndPoint submission, FakeDnsResolver dns, ConcurrentQueue<string> logs)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        Submission = submission;
        Dns = dns;
        _logs = logs;
    }

    public IPEndPoint Submission { get; }
    public FakeDnsResolver Dns { get; }
    public IServiceProvider Services => _app.Services;
    public ApplianceOptions Options => Services.GetRequiredService<ApplianceOptions>();
    internal QueueStore Queue => Services.GetRequiredService<QueueStore>();
    internal DeliveryLog DeliveryLog => Services.GetRequiredService<DeliveryLog>();
    public DkimKeyInfo DkimKey { get; private set; } = null!;

    /// <summary>The server's log (warnings and errors), for failure messages.</summary>
    public string Log => string.Join('\n', _logs);

    /// <param name="remotePort">Where MX delivery connects instead of port 25 (the queue's test-only override).</param>
    public static async Task<EndToEndHost> StartAsync(int remotePort)
    {
        string dataDirectory = Path.Combine(Path.GetTempPath(), "appliance-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var options = new ApplianceOptions { Hostname = Hostname, DataDirectory = dataDirectory };
        options.Queue.RemotePortOverride = remotePort;
        options.Listeners.Limits.Validate();
        options.Smtp.Validate();

        var dns = new FakeDnsResolver();
        var logs = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = dataDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new QueueLoggerProvider(logs));
        // Registered first: AddOutboundQueue and AddSmtpServer add the stub resolver only when none is.
        builder.Services.AddSingleton<IDnsResolver>(dns);
        builder.Services.AddApplianceServices(options);
        builder.Services.AddMailListeners();
        builder.Services.AddDkimSigning();
        builder.Services.AddDeliveryLog();
        builder.Services.AddOutboundQueue();
        builder.Services.AddSmtpServer();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Listeners.Limits.ShutdownTimeout);
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            bound = listen;
            // The production overload: it picks SmtpHandler for the SMTP kinds.
            listen.UseMailEndpoint(ListenerKind.Submission);
        }));

        var app = builder.Build();
        EndToEndHost? host = null;
        try
        {
            // ApplianceHost.StartAsync's order: database, certificate, then the listeners and hosted services.
            await app.Services.InitializeApplianceAsync();
            app.Services.GetRequiredService<ServerCertificateProvider>().LoadOrCreate();
            var worker = app.Services.GetServices<IHostedService>().OfType<DeliveryWorker>().Single();
            await app.StartAsync();
            host = new EndToEndHost(app, dataDirectory, bound!.IPEndPoint!, dns, logs);
            worker.RunFinished += host.OnRunFinished;

            var accounts = app.Services.GetRequiredService<AccountService>();
            await accounts.AddDomainAsync(Domain, "test");
            await accounts.AddMailboxAsync(new NewMailbox(Alice, Password), "test");

            // Publish what the admin would: the domain's DKIM record, and dest.test's MX.
            host.DkimKey = await app.Services.GetRequiredService<DkimKeyService>().GetActiveKeyAsync(Domain)
                ?? throw new InvalidOperationException("Adding the domain made no DKIM key.");
            dns.Add(new TxtRecord(host.DkimKey.RecordName, 300, host.DkimKey.RecordStrings.Select(Encoding.ASCII.GetBytes).ToList()));
            dns.AddMx(PostfixServer.Domain, 10, "mx." + PostfixServer.Domain);
            dns.AddAddress("mx." + PostfixServer.Domain, "127.0.0.1");
            return host;
        }
        catch
        {
            if (host is not null)
                await host.DisposeAsync();
            else
                await app.DisposeAsync();
            throw;
        }
    }

    private void OnRunFinished(string id)
    {
        lock (_finishedRuns)
        {
            _finishedRuns.Add(id);
            foreach (var waiter in _runWaiters.Where(w => _finishedRuns.Count(w.Match) >= w.Count).ToList())
            {
                _runWaiters.Remove(waiter);
                waiter.Done.TrySetResult(_finishedRuns.Last(waiter.Match));
            }
        }
    }

    /// <summary>
    /// Waits (guard: 30 s) for the DeliveryWorker's RunFinished event: <paramref name="count"/> delivery
    /// runs of queue entry <paramref name="id"/> have recorded their outcomes (rows updated or removed, DSN queued).
    /// </summary>
    public Task WaitForRunsAsync(string id, int count = 1) =>
        WaitForRunsAsync(run => run == id, count, $"run {count} of {id}");

    /// <summary>As <see cref="WaitForRunsAsync(string, int)"/> for the first queue entry that matches; returns its id.</summary>
    public Task<string> WaitForRunAsync(Func<string, bool> match, string what) => WaitForRunsAsync(match, 1, what);

    private async Task<string> WaitForRunsAsync(Func<string, bool> match, int count, string what)
    {
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_finishedRuns)
        {
            if (_finishedRuns.Count(match) >= count)
                return _finishedRuns.Last(match);
            _runWaiters.Add((match, count, done));
        }
        try
        {
            return await done.Task.WaitAsync(Guard);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Delivery {what} did not finish. Server log:\n{Log}");
        }
    }

    /// <summary>Alice's message store (for Subscribe and reading).</summary>
    public async Task<MailAccount> AliceStoreAsync()
    {
        var info = await Services.GetRequiredService<AccountService>().GetMailboxAsync(Alice);
        return Services.GetRequiredService<MessageStore>().OpenAccount(info.StoreId);
    }

    /// <summary>
    /// Connects to the submission port, STARTTLS, AUTH PLAIN as alice, sends one message (CRLF line
    /// ends, dot-stuffed here) and returns the queue id from "250 2.0.0 Ok: queued as ID".
    /// </summary>
    public async Task<string> SubmitAsync(IReadOnlyList<string> recipients, string message)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(Submission).WaitAsync(Guard);
        using var client = new SmtpTestClient(new TestClient(tcp));
        Assert.Equal($"220 {Hostname} ESMTP Appliance", await client.ReadReplyAsync());
        string? ehlo = await client.CommandAsync("EHLO client.example.net");
        Assert.Contains("250-STARTTLS", ehlo);
        Assert.DoesNotContain("AUTH", ehlo);
        await client.ExpectAsync("STARTTLS", "220 2.0.0 Ready to start TLS");
        var tls = new SslStream(client.Raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(Hostname).WaitAsync(Guard);
        client.Raw.Stream = tls;
        ehlo = await client.CommandAsync("EHLO client.example.net");
        Assert.Contains("250-AUTH PLAIN LOGIN", ehlo);
        string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{Alice}\0{Password}"));
        await client.ExpectAsync($"AUTH PLAIN {token}", "235 2.7.0 Authentication successful");
        await client.ExpectCodeAsync($"MAIL FROM:<{Alice}>", "250");
        foreach (string recipient in recipients)
            await client.ExpectCodeAsync($"RCPT TO:<{recipient}>", "250");
        await client.ExpectCodeAsync("DATA", "354");
        // RFC 5321 4.5.2: the client doubles a leading dot (message lines end with CRLF).
        string stuffed = string.Join("\r\n", message.Split("\r\n").Select(line => line.StartsWith('.') ? "." + line : line));
        await client.SendAsync(stuffed + ".\r\n");
        string? reply = await client.ReadReplyAsync();
        Assert.NotNull(reply);
        Assert.StartsWith("250 2.0.0 Ok: queued as ", reply);
        await client.ExpectCodeAsync("QUIT", "221");
        return reply["250 2.0.0 Ok: queued as ".Length..];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    /// <summary>Keeps the server's warnings and errors for failure messages.</summary>
    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && !category.StartsWith("Microsoft", StringComparison.Ordinal);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                    lines.Enqueue($"{logLevel} {category}[{eventId.Id}]: {formatter(state, exception)}{(exception is null ? "" : "\n" + exception)}");
            }
        }
    }
}
