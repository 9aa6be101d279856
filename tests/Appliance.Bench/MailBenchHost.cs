using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Bench;

/// <summary>
/// Our server for the POP3 and IMAP comparisons: the real host (ApplianceHost) in this process on
/// a temporary data directory, only one listener (an implicit-TLS one: 995 or 993, with the
/// bootstrap self-signed RSA 2048 certificate) on 127.0.0.1 port 0, one domain and one mailbox
/// whose INBOX is filled through the host's own MessageStore (the same MailAccount the sessions open).
/// </summary>
internal sealed class MailBenchHost : IAsyncDisposable
{
    private readonly string _data;
    private readonly RunningAppliance _host;
    private readonly ListenerKind _listener;
    private readonly Guid _storeId;

    private MailBenchHost(string data, RunningAppliance host, ListenerKind listener, Guid storeId, string password)
    {
        _data = data;
        _host = host;
        _listener = listener;
        _storeId = storeId;
        Password = password;
    }

    public int Port => _host.Endpoints[_listener].Port;

    public string Password { get; }

    /// <summary>The running host's services (the webmail bench signs in and reads through them too).</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>The account's INBOX as the host's store holds it.</summary>
    public MailAccount Account => _host.Services.GetRequiredService<MessageStore>().OpenAccount(_storeId);

    /// <param name="listener">The one endpoint to open: <see cref="ListenerKind.Pop3s"/>, <see cref="ListenerKind.Imaps"/> or <see cref="ListenerKind.Https"/> (the webmail).</param>
    public static async Task<MailBenchHost> StartAsync(ListenerKind listener, string address)
    {
        string data = Path.Combine(Path.GetTempPath(), $"appliance-{listener.ToString().ToLowerInvariant()}-bench-" + Guid.NewGuid().ToString("N")[..10]);
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = "mail." + address[(address.IndexOf('@') + 1)..],
            ["Appliance:DataDirectory"] = data,
            // A log line per session or command would measure the console; Dovecot logs to its own file.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
            overrides[$"Appliance:Listeners:{kind}:Enabled"] = kind == listener ? "true" : "false";
        }
        var host = await ApplianceHost.StartAsync(ApplianceHost.Build(ApplianceConfiguration.Load(configPath: null, overrides)));
        try
        {
            var accounts = host.Services.GetRequiredService<AccountService>();
            await accounts.AddDomainAsync(address[(address.IndexOf('@') + 1)..], "bench");
            string password = "bench password " + Guid.NewGuid().ToString("N");
            var mailbox = await accounts.AddMailboxAsync(new NewMailbox(address, password), "bench");
            return new MailBenchHost(data, host, listener, mailbox.StoreId, password);
        }
        catch
        {
            await host.StopAsync();
            await host.DisposeAsync();
            Directory.Delete(data, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Appends every message to INBOX, in order and with the durability of a delivery (fsync per
    /// message), and waits for their text to be indexed. 32 appends in flight share the store's group commit, which only makes the fill
    /// quicker; UIDs then follow the list only roughly, so the client matches content by Message-ID.
    /// </summary>
    public async Task FillAsync(IReadOnlyList<byte[]> messages)
    {
        var account = _host.Services.GetRequiredService<MessageStore>().OpenAccount(_storeId);
        const int InFlight = 32;
        var pending = new List<Task>(InFlight);
        foreach (byte[] message in messages)
        {
            pending.Add(account.AppendAsync("INBOX", new MemoryStream(message, writable: false)));
            if (pending.Count == InFlight)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
        // The store indexes text in the background once appends pause: done now, so that none of
        // it runs during the measurements, and SEARCH BODY finds every text row in place.
        await account.FlushBackgroundWorkAsync();
        int stored = account.GetMailbox("INBOX").MessageCount;
        if (stored != messages.Count)
            throw new InvalidOperationException($"our INBOX holds {stored} messages after appending {messages.Count}");
    }

    /// <summary>
    /// How long the index takes to list INBOX with every column (POP3's Pop3Maildrop.Open does this
    /// at each login, before +OK): median of five, so the login latency can be split into its parts.
    /// </summary>
    public TimeSpan TimeInboxListing()
    {
        var account = _host.Services.GetRequiredService<MessageStore>().OpenAccount(_storeId);
        var samples = new List<TimeSpan>();
        for (int i = 0; i < 5; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            _ = account.ListMessagesByUid("INBOX");
            samples.Add(clock.Elapsed);
        }
        samples.Sort();
        return samples[2];
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
