using Appliance.Dns;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery.Outbound;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Appliance.Server.Queue;

/// <summary>The outbound queue's services; the composition root calls <see cref="AddOutboundQueue"/> after AddApplianceServices.</summary>
public static class QueueServices
{
    /// <summary>
    /// Registers <see cref="IOutboundQueue"/> (the durable spool), the SMTP client and the delivery
    /// worker (a hosted service). It needs ApplianceOptions, TimeProvider, RecipientResolver
    /// (AddApplianceServices), an ILocalDelivery and an IDeliveryLog (registered elsewhere), and an
    /// IDnsResolver: the stub resolver over /etc/resolv.conf unless one is registered already.
    /// </summary>
    public static IServiceCollection AddOutboundQueue(this IServiceCollection services)
    {
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IDnsResolver>(sp => new DnsStubResolver(sp.GetRequiredService<ApplianceOptions>().Dns.ToResolverOptions()));
        services.TryAddSingleton<QueueSignal>();
        services.TryAddSingleton(sp => new QueueStore(sp.GetRequiredService<ApplianceOptions>().DataPath));
        services.TryAddSingleton<OutboundQueue>();
        services.TryAddSingleton<IOutboundQueue>(sp => sp.GetRequiredService<OutboundQueue>());
        services.TryAddSingleton<SmtpDeliveryClient>();
        services.AddHostedService<DeliveryWorker>();
        return services;
    }
}
