using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.DnsAdvisor;

public static class DnsSetupServices
{
    /// <summary>The DNS page's planner and live checker; needs the account, DKIM and resolver services.</summary>
    public static IServiceCollection AddDnsSetup(this IServiceCollection services)
    {
        services.TryAddSingleton<DnsRecordChecker>();
        services.TryAddSingleton<DnsSetupService>();
        return services;
    }
}
