using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Appliance.Server.Tests.Queue;

/// <summary>
/// The queue with its worker over a real configuration database (so RecipientResolver decides
/// what is local: the domain "local.test" is ours) in a temporary data directory, with the fake
/// DNS resolver, a fake local delivery and a recording delivery log.
/// </summary>
internal sealed class QueueTestHost : IAsyncDisposable
{
    public const string LocalDomain = "local.test";

    private readonly bool _deleteOnDispose;
    private readonly List<IHostedService> _started = [];
    private readonly List<string> _finishedRuns = [];
    private readonly List<(string Id, int Count, TaskCompletionSource Done)> _runWaiters = [];

    public string DataDirectory { get; }
    public ServiceProvider Services { get; }
    public FakeDnsResolver Dns { get; }
    public FakeLocalDelivery Local { get; } = new();
    public RecordingDeliveryLog Log { get; } = new();
    public ApplianceOptions Options { get; }

    private QueueTestHost(string dataDirectory, bool deleteOnDispose, FakeDnsResolver dns, Action<ApplianceOptions>? configure)
    {
        DataDirectory = dataDirectory;
        _deleteOnDispose = deleteOnDispose;
        Dns = dns;
        Options = new ApplianceOptions { DataDirectory = dataDirectory, Hostname = "mail.local.test" };
        configure?.Invoke(Options);
        var services = new ServiceCollection();
        services.AddApplianceServices(Options);
        services.AddSingleton<IDnsResolver>(Dns);
        services.AddSingleton<ILocalDelivery>(Local);
        services.AddSingleton<IDeliveryLog>(Log);
        services.AddOutboundQueue();
        Services = services.BuildServiceProvider();
    }

    /// <param name="dataDirectory">An existing data directory (a restart), or null for a fresh one deleted afterwards.</param>
    public static async Task<QueueTestHost> StartAsync(
        Action<ApplianceOptions>? configure = null, bool startWorker = true, string? dataDirectory = null, FakeDnsResolver? dns = null)
    {
        var host = new QueueTestHost(
            dataDirectory ?? Path.Combine(Path.GetTempPath(), "appliance-queue-tests", Guid.NewGuid().ToString("N")),
            deleteOnDispose: dataDirectory is null, dns ?? new FakeDnsResolver(), configure);
        await host.Services.InitializeApplianceAsync();
        var accounts = host.Services.GetRequiredService<AccountService>();
        if ((await accounts.ListDomainsAsync()).All(d => d.Name != LocalDomain))
            await accounts.AddDomainAsync(LocalDomain, "test");
        if (startWorker)
            await host.StartWorkerAsync();
        return host;
    }

    public async Task StartWorkerAsync()
    {
        foreach (var service in Services.GetServices<IHostedService>())
        {
            if (service is Appliance.Server.Delivery.Outbound.DeliveryWorker worker)
                worker.RunFinished += OnRunFinished;
            await service.StartAsync(CancellationToken.None);
            _started.Add(service);
        }
    }

    private void OnRunFinished(string id)
    {
        lock (_finishedRuns)
        {
            _finishedRuns.Add(id);
            foreach (var waiter in _runWaiters.Where(w => _finishedRuns.Count(f => f == w.Id) >= w.Count).ToList())
            {
                _runWaiters.Remove(waiter);
                waiter.Done.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Waits (guard: 20 s) until the worker has finished <paramref name="count"/> delivery runs of
    /// message <paramref name="id"/>: its rows are then updated or gone and any DSN is queued.
    /// </summary>
    public async Task WaitForRunsAsync(string id, int count = 1)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_finishedRuns)
        {
            if (_finishedRuns.Count(f => f == id) >= count)
                return;
            _runWaiters.Add((id, count, done));
        }
        await done.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }

    public IOutboundQueue Queue => Services.GetRequiredService<IOutboundQueue>();
    internal QueueStore Store => Services.GetRequiredService<QueueStore>();
    internal QueueSignal Signal => Services.GetRequiredService<QueueSignal>();

    /// <summary>Points the domain's MX at the fake server: MX 10 mx.{domain}, A 127.0.0.1 (the port comes from RemotePortOverride).</summary>
    public void RouteToLoopback(string domain)
    {
        Dns.AddMx(domain, 10, "mx." + domain);
        Dns.AddAddress("mx." + domain, "127.0.0.1");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in _started)
            await service.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_deleteOnDispose)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
