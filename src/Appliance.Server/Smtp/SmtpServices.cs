using Appliance.Dns;
using Appliance.MailAuth.Srs;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.Smtp;

public static class SmtpServices
{
    /// <summary>The SMTP engine and local delivery. Needs the outbound queue, signer and delivery log registered too.</summary>
    public static IServiceCollection AddSmtpServer(this IServiceCollection services)
    {
        services.TryAddSingleton<IDnsResolver>(sp => new DnsStubResolver(sp.GetRequiredService<ApplianceOptions>().Dns.ToResolverOptions()));
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<ApplianceOptions>();
            return new SrsRewriter(new SrsOptions
            {
                Key = SrsKeyFile.LoadOrCreate(ApplianceServices.KeyRingPath(options)),
                TimeProvider = provider.GetRequiredService<TimeProvider>(),
            });
        });
        services.TryAddSingleton<LocalDelivery>();
        services.TryAddSingleton<ILocalDelivery>(provider => provider.GetRequiredService<LocalDelivery>());
        services.TryAddSingleton<SmtpEngine>();
        services.TryAddSingleton<SmtpHandler>();
        return services;
    }
}
