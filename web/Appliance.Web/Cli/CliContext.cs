using Appliance.Server;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Cli;

/// <summary>
/// What one CLI invocation works with: the configuration (same files and defaults as the server)
/// and the shared services over the same database and store, created on first use.
/// </summary>
internal sealed class CliContext(CliConsole console, string? configPath, IEnumerable<KeyValuePair<string, string?>>? overrides) : IAsyncDisposable
{
    private ServiceProvider? _services;

    public CliConsole Console { get; } = console;

    public IConfigurationRoot LoadConfiguration() => ApplianceConfiguration.Load(configPath, overrides);

    public async Task<IServiceProvider> GetServicesAsync(CancellationToken ct)
    {
        if (_services is not null)
            return _services;
        var options = ApplianceConfiguration.Bind(LoadConfiguration());
        var services = new ServiceCollection();
        services.AddApplianceServices(options);
        _services = services.BuildServiceProvider();
        await _services.InitializeApplianceAsync(ct);
        return _services;
    }

    public async Task<AccountService> GetAccountsAsync(CancellationToken ct) =>
        (await GetServicesAsync(ct)).GetRequiredService<AccountService>();

    /// <summary>Audit actor for changes made from the command line.</summary>
    public string Actor => $"cli:{Environment.UserName}";

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
            await _services.DisposeAsync();
    }
}
