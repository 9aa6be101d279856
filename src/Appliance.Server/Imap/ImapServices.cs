using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.Imap;

public static class ImapServices
{
    /// <summary>The IMAP engine for ports 143 and 993.</summary>
    public static IServiceCollection AddImapServer(this IServiceCollection services)
    {
        services.TryAddSingleton<ImapEngine>();
        services.TryAddSingleton<ImapHandler>();
        return services;
    }
}
