using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.ClientSetup;

public static class ClientSetupServices
{
    /// <summary>Autoconfig, autodiscover and Apple profiles; the host may register an <see cref="IBoundListenerPorts"/>.</summary>
    public static IServiceCollection AddClientSetup(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new ClientSetupService(
            sp.GetRequiredService<Accounts.AccountService>(),
            sp.GetRequiredService<Configuration.ApplianceOptions>(),
            sp.GetService<IBoundListenerPorts>()));
        return services;
    }
}
