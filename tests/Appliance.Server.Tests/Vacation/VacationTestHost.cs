using System.Text;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Dkim;
using Appliance.Server.Queue;
using Appliance.Server.Smtp;
using Appliance.Server.Tests.Dkim;
using Appliance.Server.Tests.Smtp;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Vacation;

/// <summary>
/// The shared services, real DKIM signing and real local delivery over a migrated SQLite database,
/// with a hand-moved clock and a queue that records what it is given. example.org hosts alice
/// ("Alice Liddell") and bob; the alias team@example.org leads to alice.
/// </summary>
internal sealed class VacationTestHost : IAsyncDisposable
{
    /// <summary>Noon UTC on a Saturday: the clock every test starts from.</summary>
    public static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public const string Alice = "alice@example.org";
    public const string Friend = "friend@elsewhere.example";

    private readonly string _dataDirectory;

    private VacationTestHost(IOutboundQueue? queue, Action<ApplianceOptions>? configure)
    {
        _dataDirectory = Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        var options = new ApplianceOptions { DataDirectory = _dataDirectory, Hostname = "mail.example.org" };
        configure?.Invoke(options);
        services.AddApplianceServices(options);
        services.AddDkimSigning();
        services.AddSingleton(queue ?? Queue);
        services.AddSingleton<IDnsResolver>(new FakeDnsResolver());
        services.AddLogging();
        services.AddSmtpServer();
        Services = services.BuildServiceProvider();
    }

    public ManualTime Time { get; } = new(Start);
    public RecordingQueue Queue { get; } = new();
    public ServiceProvider Services { get; }

    public VacationResponder Responder => Services.GetRequiredService<VacationResponder>();
    public UserSettingsService Settings => Services.GetRequiredService<UserSettingsService>();
    public AccountService Accounts => Services.GetRequiredService<AccountService>();
    public LocalDelivery Delivery => Services.GetRequiredService<LocalDelivery>();
    public DkimKeyService Keys => Services.GetRequiredService<DkimKeyService>();

    public ApplianceDbContext CreateDb() => Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>().CreateDbContext();

    /// <param name="queue">Replaces the recording queue (to make queueing fail).</param>
    /// <param name="configure">Changes the options (the database provider).</param>
    public static async Task<VacationTestHost> StartAsync(IOutboundQueue? queue = null, Action<ApplianceOptions>? configure = null)
    {
        var host = new VacationTestHost(queue, configure);
        await host.Services.InitializeApplianceAsync();
        await host.Accounts.AddDomainAsync("example.org", "test");
        await host.Accounts.AddMailboxAsync(new NewMailbox(Alice, "correct horse battery") { DisplayName = "Alice Liddell" }, "test");
        await host.Accounts.AddMailboxAsync(new NewMailbox("bob@example.org", "correct horse battery"), "test");
        await host.Accounts.AddAliasAsync("team@example.org", [Alice], "test");
        return host;
    }

    /// <summary>Turns alice's vacation on with these values (defaults: no dates, 7 days, a fixed text).</summary>
    public async Task EnableVacationAsync(string? subject = null, DateOnly? start = null, DateOnly? end = null, int days = 7)
    {
        var result = await Settings.UpdateAsync(Alice, new UserSettingsUpdate("Alice Liddell", "",
            new VacationSettings(true, start, end, subject, "I am away until Monday.\nYour mail will be read then.", days)));
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
    }

    /// <summary>A message from <see cref="Friend"/> to alice; <paramref name="extraHeader"/> lines go first (CRLF-terminated).</summary>
    public static byte[] Message(string extraHeader = "", string to = Alice, string subject = "Lunch on Friday?") =>
        Encoding.UTF8.GetBytes(extraHeader
            + $"From: Friend <{Friend}>\r\n"
            + $"To: {to}\r\n"
            + $"Subject: {subject}\r\n"
            + "Date: Sat, 21 Nov 2026 11:00:00 +0000\r\n"
            + "Message-ID: <lunch-2@elsewhere.example>\r\n"
            + "References: <lunch-1@elsewhere.example>\r\n"
            + "\r\n"
            + "Shall we?\r\n");

    /// <summary>What local delivery would hand over for a copy to alice reached through <paramref name="envelopeRecipient"/>.</summary>
    public async Task<VacationCandidate> CandidateAsync(byte[] message, string sender = Friend, string envelopeRecipient = Alice)
    {
        var mailbox = await Accounts.GetMailboxAsync(Alice);
        int headerEnd = Encoding.ASCII.GetString(message).IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        return new VacationCandidate(new LocalRecipient(await MailboxIdAsync(Alice), mailbox.Address, mailbox.StoreId, 0),
            [envelopeRecipient], sender, message[..headerEnd]);
    }

    public async Task<VacationOutcome> RespondAsync(byte[] message, string sender = Friend, string envelopeRecipient = Alice) =>
        await Responder.RespondAsync(await CandidateAsync(message, sender, envelopeRecipient), CancellationToken.None);

    public async Task<int> MailboxIdAsync(string address)
    {
        await using var db = CreateDb();
        return await db.Mailboxes.Where(m => m.Address == address).Select(m => m.Id).SingleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync(); // waits for replies in progress (VacationResponder.DisposeAsync)
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dataDirectory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A queue that holds every enqueue until the test opens its gate.</summary>
internal sealed class GatedQueue : IOutboundQueue
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public RecordingQueue Inner { get; } = new();

    public void Open() => _gate.TrySetResult();

    public async Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        Entered.TrySetResult();
        await _gate.Task;
        return await Inner.EnqueueAsync(envelope, message, cancellationToken);
    }
}

/// <summary>A queue whose disk is full: every enqueue fails as the real one would.</summary>
internal sealed class FailingQueue : IOutboundQueue
{
    public int Attempts;

    public Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref Attempts);
        throw new IOException("No space left on device");
    }
}
