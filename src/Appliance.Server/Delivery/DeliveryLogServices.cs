using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Appliance.Server.Delivery;

public static class DeliveryLogServices
{
    /// <summary>
    /// Registers the <see cref="IDeliveryLog"/> singleton ({DataPath}/log/delivery.db) and a hosted
    /// service that flushes it when the host stops; disposing the container writes the rest. Needs AddApplianceServices.
    /// </summary>
    public static IServiceCollection AddDeliveryLog(this IServiceCollection services, Action<DeliveryLogOptions>? configure = null)
    {
        services.AddLogging();
        var options = services.AddOptions<DeliveryLogOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }
        services.TryAddSingleton<DeliveryLog>();
        services.TryAddSingleton<IDeliveryLog>(sp => sp.GetRequiredService<DeliveryLog>());
        services.AddHostedService<DeliveryLogLifetime>();
        return services;
    }

    /// <summary>
    /// At host stop, writes everything recorded so far. Records that arrive later (sessions still
    /// draining, whatever the stop order of hosted services) are written when the container disposes
    /// the log, which completes the channel and waits for the writer.
    /// </summary>
    private sealed class DeliveryLogLifetime(DeliveryLog log) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => log.FlushAsync(cancellationToken);
    }
}
