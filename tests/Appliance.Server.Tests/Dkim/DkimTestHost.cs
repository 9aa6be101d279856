using System.Text;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Dkim;
using Appliance.Server.Security;
using Appliance.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Dkim;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset now = start;

    public override DateTimeOffset GetUtcNow() => now;

    public void Advance(TimeSpan by) => now += by;
}

/// <summary>
/// The shared services plus AddDkimSigning over a real, migrated SQLite database in a data directory,
/// with a hand-moved clock.
/// </summary>
internal sealed class DkimTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private readonly bool deleteOnDispose;

    private DkimTestHost(string dataDirectory, bool deleteOnDispose, ManualTime time, Action<DkimKeyOptions>? configure, Action<ApplianceOptions>? configureAppliance)
    {
        DataDirectory = dataDirectory;
        this.deleteOnDispose = deleteOnDispose;
        Time = time;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        var appliance = new ApplianceOptions { DataDirectory = dataDirectory };
        configureAppliance?.Invoke(appliance);
        services.AddApplianceServices(appliance);
        services.AddDkimSigning(configure);
        Services = services.BuildServiceProvider();
    }

    public string DataDirectory { get; }
    public ManualTime Time { get; }
    public ServiceProvider Services { get; }

    public AccountService Accounts => Services.GetRequiredService<AccountService>();
    public DkimKeyService Keys => Services.GetRequiredService<DkimKeyService>();
    public IOutboundSigner Signer => Services.GetRequiredService<IOutboundSigner>();
    public SecretProtector Secrets => Services.GetRequiredService<SecretProtector>();

    public ApplianceDbContext CreateDb() => Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>().CreateDbContext();

    public static Task<DkimTestHost> StartAsync(Action<DkimKeyOptions>? configure = null, Action<ApplianceOptions>? configureAppliance = null) =>
        StartAsync(Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N")), deleteOnDispose: true, new ManualTime(Start), configure, configureAppliance);

    /// <param name="deleteOnDispose">False keeps the data directory for a second host (a restart).</param>
    public static async Task<DkimTestHost> StartAsync(string dataDirectory, bool deleteOnDispose, ManualTime time,
        Action<DkimKeyOptions>? configure = null, Action<ApplianceOptions>? configureAppliance = null)
    {
        var host = new DkimTestHost(dataDirectory, deleteOnDispose, time, configure, configureAppliance);
        await host.Services.InitializeApplianceAsync();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (deleteOnDispose)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }

    public static byte[] Message(string from, string subject = "Dinner") => Encoding.UTF8.GetBytes(string.Join("\r\n",
        $"From: {from}",
        "To: Suzie Q <suzie@shopping.example.net>",
        $"Subject: {subject}",
        "Date: Sat, 21 Nov 2026 12:00:00 +0000",
        "Message-ID: <1@example.com>",
        "",
        "Hi.",
        "",
        "We lost the game.  Are you hungry yet?",
        ""));

    /// <summary>A resolver that serves the key's TXT record the way a DNS provider would: as the 255-octet strings.</summary>
    public static FakeDnsResolver Dns(params DkimKeyInfo[] keys)
    {
        var dns = new FakeDnsResolver();
        foreach (DkimKeyInfo key in keys)
        {
            dns.Add(new TxtRecord(key.RecordName, 300, key.RecordStrings.Select(Encoding.ASCII.GetBytes).ToList()));
        }
        return dns;
    }

    public static byte[] Signed(string signature, byte[] message) => [.. Encoding.ASCII.GetBytes(signature), .. message];
}
