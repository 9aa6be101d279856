using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Storage.Mail;
using Appliance.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Bench;

/// <summary>
/// Our server for the comparison: the real host (ApplianceHost) in this process, on a temporary
/// data directory, with only the port-25 listener on 127.0.0.1 (port 0) and one domain with the
/// given mailboxes. Durability is the default: a 250 means the copy is fsynced in the Maildir and
/// committed in the account's index.
/// </summary>
internal sealed class SmtpBenchHost : IAsyncDisposable
{
    private readonly string _data;
    private readonly RunningAppliance _host;
    private readonly IReadOnlyList<Guid> _storeIds;

    private SmtpBenchHost(string data, RunningAppliance host, IReadOnlyList<Guid> storeIds)
    {
        _data = data;
        _host = host;
        _storeIds = storeIds;
    }

    public int Port => _host.Endpoints[ListenerKind.Smtp].Port;

    /// <param name="dns">Replaces the system resolver (SPF and DMARC lookups), or null to keep it.</param>
    public static async Task<SmtpBenchHost> StartAsync(string domain, IReadOnlyList<string> mailboxes, IDnsResolver? dns)
    {
        // Beside Postfix's directory (same file system, so the same fsync cost).
        string data = Path.Combine(Path.GetTempPath(), "appliance-smtp-bench-" + Guid.NewGuid().ToString("N")[..10]);
        var overrides = new Dictionary<string, string?>
        {
            ["Appliance:Hostname"] = "mail." + domain,
            ["Appliance:DataDirectory"] = data,
            // One console line per message would measure the terminal; Postfix logs to its own
            // file through postlogd, our delivery log (SQLite, batched) still records every
            // transaction.
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var kind in Enum.GetValues<ListenerKind>())
        {
            overrides[$"Appliance:Listeners:{kind}:Address"] = "127.0.0.1";
            overrides[$"Appliance:Listeners:{kind}:Port"] = "0";
            overrides[$"Appliance:Listeners:{kind}:Enabled"] = kind == ListenerKind.Smtp ? "true" : "false";
        }
        var app = ApplianceHost.Build(ApplianceConfiguration.Load(configPath: null, overrides), builder =>
        {
            // Registered after the host's TryAdd of the stub resolver, so this one is resolved.
            if (dns is not null)
                builder.Services.AddSingleton(dns);
        });
        var host = await ApplianceHost.StartAsync(app);
        try
        {
            var accounts = host.Services.GetRequiredService<AccountService>();
            await accounts.AddDomainAsync(domain, "bench");
            var storeIds = new List<Guid>();
            foreach (string mailbox in mailboxes)
                storeIds.Add((await accounts.AddMailboxAsync(new NewMailbox(mailbox, "bench password " + Guid.NewGuid().ToString("N")), "bench")).StoreId);
            return new SmtpBenchHost(data, host, storeIds);
        }
        catch
        {
            await host.StopAsync();
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Messages in the mailboxes' INBOXes together, from the store's index.</summary>
    public int StoredCount()
    {
        var store = _host.Services.GetRequiredService<MessageStore>();
        return _storeIds.Sum(id => store.OpenAccount(id).GetMailbox("INBOX").MessageCount);
    }

    /// <summary>
    /// Completes when the store's background indexer has given every delivered message its
    /// full-text row (it otherwise starts once deliveries pause): our server's work for the
    /// messages is then done, and none of it runs during the next measurement.
    /// </summary>
    public Task FlushBackgroundWorkAsync()
    {
        var store = _host.Services.GetRequiredService<MessageStore>();
        return Task.WhenAll(_storeIds.Select(id => store.OpenAccount(id).FlushBackgroundWorkAsync()));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
