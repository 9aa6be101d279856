using System.Net.Security;
using System.Text;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Listeners;
using Appliance.Server.Queue;
using Appliance.Server.Smtp;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Smtp;

/// <summary>
/// The real SMTP handler on a real Kestrel socket, over a real configuration database and store,
/// with example.org hosting alice, bob and carol (quota 1 KB). The queue, the DKIM signer and the
/// delivery log are test doubles that record what they are given.
/// </summary>
internal sealed class SmtpTestServer : IAsyncDisposable
{
    public const string Password = "correct horse battery staple";

    private readonly TestMailServer _server;

    private readonly ListenerKind _kind;

    private SmtpTestServer(ListenerKind kind, TestMailServer server, FakeDnsResolver dns, RecordingQueue queue, RecordingDeliveryLog log, FakeSigner signer)
    {
        _kind = kind;
        _server = server;
        Dns = dns;
        Queue = queue;
        Log = log;
        Signer = signer;
    }

    public FakeDnsResolver Dns { get; }
    public RecordingQueue Queue { get; }
    public RecordingDeliveryLog Log { get; }
    public FakeSigner Signer { get; }
    public IServiceProvider Services => _server.Services;
    public AccountService Accounts => Services.GetRequiredService<AccountService>();

    public static async Task<SmtpTestServer> StartAsync(
        ListenerKind kind = ListenerKind.Smtp, Action<SmtpServerOptions>? configure = null, FakeDnsResolver? dns = null,
        Action<ListenerLimitsOptions>? configureListener = null, TimeProvider? time = null)
    {
        dns ??= new FakeDnsResolver();
        var queue = new RecordingQueue();
        var log = new RecordingDeliveryLog();
        var signer = new FakeSigner();
        var server = await TestMailServer.StartAsync<SmtpHandler>(kind, options =>
        {
            // Tests await replies, not time: no deliberate slowness unless a test asks for it.
            options.Smtp.UnknownRecipientDelay = TimeSpan.Zero;
            options.Smtp.AuthFailureDelay = TimeSpan.Zero;
            configure?.Invoke(options.Smtp);
            configureListener?.Invoke(options.Listeners.Limits);
        }, services =>
        {
            services.AddSingleton<IDnsResolver>(dns);
            if (time is not null)
                services.AddSingleton(time);
            services.AddSingleton<IOutboundQueue>(queue);
            services.AddSingleton<IDeliveryLog>(log);
            services.AddSingleton<IOutboundSigner>(signer);
            services.AddSmtpServer();
        });
        await server.Services.InitializeApplianceAsync();
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", Password), "test");
        await accounts.AddMailboxAsync(new NewMailbox("bob@example.org", Password), "test");
        await accounts.AddMailboxAsync(new NewMailbox("carol@example.org", Password) { QuotaBytes = 1024 }, "test");
        return new SmtpTestServer(kind, server, dns, queue, log, signer);
    }

    public async Task<SmtpTestClient> ConnectAsync(bool expectGreeting = true)
    {
        var raw = await _server.ConnectAsync();
        if (_kind == ListenerKind.Smtps)
        {
            var tls = new SslStream(raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
            await tls.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
            raw.Stream = tls;
        }
        var client = new SmtpTestClient(raw);
        if (expectGreeting)
            Assert.Equal("220 mail.test ESMTP Appliance", await client.ReadReplyAsync());
        return client;
    }

    /// <summary>The messages in a user's folder, oldest first, as text.</summary>
    public async Task<IReadOnlyList<string>> MessagesAsync(string address, string folder = "INBOX")
    {
        var info = await Accounts.GetMailboxAsync(address);
        var account = Services.GetRequiredService<MessageStore>().OpenAccount(info.StoreId);
        var result = new List<string>();
        foreach (var message in account.ListMessagesByUid(folder))
        {
            using var stream = account.OpenMessage(folder, message.Uid);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            result.Add(await reader.ReadToEndAsync());
        }
        return result;
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>An SMTP client speaking raw lines, for exact transcripts.</summary>
internal sealed class SmtpTestClient(TestClient client) : IDisposable
{
    public TestClient Raw => client;

    public Task SendAsync(string text) => client.Stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask().WaitAsync(TestMailServer.Guard);

    public Task SendLineAsync(string line) => SendAsync(line + "\r\n");

    /// <summary>One whole reply; lines of a multi-line reply joined with '\n'. Null at end of stream.</summary>
    public async Task<string?> ReadReplyAsync()
    {
        var lines = new List<string>();
        while (true)
        {
            string? line = await client.ReadLineAsync();
            if (line is null)
                return lines.Count == 0 ? null : string.Join('\n', lines);
            lines.Add(line);
            if (line.Length < 4 || line[3] != '-')
                return string.Join('\n', lines);
        }
    }

    /// <summary>Sends a command and returns its reply.</summary>
    public async Task<string?> CommandAsync(string line)
    {
        await SendLineAsync(line);
        return await ReadReplyAsync();
    }

    public async Task ExpectAsync(string line, string reply) => Assert.Equal(reply, await CommandAsync(line));

    /// <summary>Asserts the reply code (first three characters) only.</summary>
    public async Task ExpectCodeAsync(string line, string code)
    {
        string? reply = await CommandAsync(line);
        Assert.True(reply is not null && reply.StartsWith(code, StringComparison.Ordinal), $"'{line}' got '{reply}', expected {code}");
    }

    /// <summary>STARTTLS then a TLS handshake that accepts our self-signed certificate.</summary>
    public async Task StartTlsAsync()
    {
        await ExpectAsync("STARTTLS", "220 2.0.0 Ready to start TLS");
        var tls = new SslStream(client.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
        client.Stream = tls;
    }

    /// <summary>EHLO and AUTH PLAIN as <paramref name="user"/>.</summary>
    public async Task LoginAsync(string user, string password = SmtpTestServer.Password)
    {
        Assert.StartsWith("250-mail.test", await CommandAsync("EHLO client.test"));
        string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        await ExpectAsync($"AUTH PLAIN {token}", "235 2.7.0 Authentication successful");
    }

    public Task<bool> IsClosedByServerAsync() => client.IsClosedByServerAsync();

    public void Dispose() => client.Dispose();
}

internal sealed class RecordingQueue : IOutboundQueue
{
    private int _next;
    public List<(string Id, OutboundEnvelope Envelope, string Message)> Entries { get; } = [];

    public async Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(message, Encoding.UTF8);
        string text = await reader.ReadToEndAsync(cancellationToken);
        string id = $"Q{Interlocked.Increment(ref _next)}";
        lock (Entries)
            Entries.Add((id, envelope, text));
        return id;
    }
}

internal sealed class RecordingDeliveryLog : IDeliveryLog
{
    public List<SmtpTransactionRecord> Transactions { get; } = [];

    public void Record(SmtpTransactionRecord transaction)
    {
        lock (Transactions)
            Transactions.Add(transaction);
    }

    public void Record(DeliveryAttemptRecord attempt) { }

    public Task<IReadOnlyList<SmtpTransactionRecord>> QueryTransactionsAsync(DeliveryLogQuery query, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<SmtpTransactionRecord>>(Transactions.ToList());

    public Task<IReadOnlyList<DeliveryAttemptRecord>> QueryAttemptsAsync(DeliveryLogQuery query, string? queueId = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<DeliveryAttemptRecord>>([]);

    public Task<IReadOnlyDictionary<DeliveryAttemptOutcome, int>> CountAttemptsAsync(DateTimeOffset since, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyDictionary<DeliveryAttemptOutcome, int>>(new Dictionary<DeliveryAttemptOutcome, int>());
}

/// <summary>Stands in for the DKIM signer: returns a recognisable field and records what it was asked to sign.</summary>
internal sealed class FakeSigner : IOutboundSigner
{
    public List<string> Signed { get; } = [];

    public Task<string?> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        lock (Signed)
            Signed.Add(Encoding.UTF8.GetString(message.Span));
        return Task.FromResult<string?>("DKIM-Signature: v=1; test=fake\r\n");
    }
}

/// <summary>The system clock plus an offset the test moves forward: elapsed-time checks without waiting (timers stay real).</summary>
internal sealed class SkippableTime : TimeProvider
{
    private long _offsetTicks;

    public void Skip(TimeSpan span) => Interlocked.Add(ref _offsetTicks, span.Ticks);

    public override long GetTimestamp() =>
        System.GetTimestamp() + (long)(Interlocked.Read(ref _offsetTicks) * (double)System.TimestampFrequency / TimeSpan.TicksPerSecond);

    public override long TimestampFrequency => System.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _offsetTicks));
}
