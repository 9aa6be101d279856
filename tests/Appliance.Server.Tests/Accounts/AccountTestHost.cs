using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Storage;
using Appliance.Storage.Mail;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

/// <summary>A real configuration database (SQLite file, migrated) in a temporary data directory.</summary>
internal sealed class AccountTestHost : IAsyncDisposable
{
    public string DataDirectory { get; }
    public ServiceProvider Services { get; }
    private readonly bool _deleteOnDispose;

    private AccountTestHost(string dataDirectory, bool deleteOnDispose, Action<ApplianceOptions>? configure)
    {
        DataDirectory = dataDirectory;
        _deleteOnDispose = deleteOnDispose;
        var options = new ApplianceOptions { DataDirectory = DataDirectory };
        configure?.Invoke(options);
        var services = new ServiceCollection();
        services.AddApplianceServices(options);
        Services = services.BuildServiceProvider();
    }

    public static Task<AccountTestHost> StartAsync(Action<ApplianceOptions>? configure = null) =>
        StartAsync(Path.Combine(Path.GetTempPath(), "appliance-tests", Guid.NewGuid().ToString("N")), deleteOnDispose: true, configure);

    /// <param name="deleteOnDispose">False keeps the data directory for a second host (a restart).</param>
    public static async Task<AccountTestHost> StartAsync(string dataDirectory, bool deleteOnDispose = false, Action<ApplianceOptions>? configure = null)
    {
        var host = new AccountTestHost(dataDirectory, deleteOnDispose, configure);
        await host.Services.InitializeApplianceAsync();
        return host;
    }

    public AccountService Accounts => Services.GetRequiredService<AccountService>();
    public RecipientResolver Resolver => Services.GetRequiredService<RecipientResolver>();
    public PasswordAuthenticator Authenticator => Services.GetRequiredService<PasswordAuthenticator>();
    public MessageStore MailStore => Services.GetRequiredService<MessageStore>();

    public ApplianceDbContext CreateDb() => Services.GetRequiredService<IDbContextFactory<ApplianceDbContext>>().CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_deleteOnDispose)
        {
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { }
        }
    }
}
