using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.Pop3;

public static class Pop3Services
{
    /// <summary>The POP3 engine for ports 110 and 995.</summary>
    public static IServiceCollection AddPop3Server(this IServiceCollection services)
    {
        services.TryAddSingleton<Pop3Engine>();
        services.TryAddSingleton<Pop3Handler>();
        return services;
    }
}
