using Appliance.Server.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.Dkim;

public static class DkimServices
{
    /// <summary>
    /// Registers <see cref="DkimKeyService"/>, the <see cref="IOutboundSigner"/> and the start-up
    /// backfill of missing keys. Needs AddApplianceServices (database, SecretProtector, TimeProvider).
    /// </summary>
    public static IServiceCollection AddDkimSigning(this IServiceCollection services, Action<DkimKeyOptions>? configure = null)
    {
        services.AddLogging();
        var options = services.AddOptions<DkimKeyOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton<DkimKeyService>();
        services.TryAddSingleton<OutboundSigner>();
        services.TryAddSingleton<IOutboundSigner>(sp => sp.GetRequiredService<OutboundSigner>());
        services.AddHostedService<DkimKeyBackfill>();
        return services;
    }
}
