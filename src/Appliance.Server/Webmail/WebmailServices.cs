using Appliance.Server.Submission;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.Webmail;

public static class WebmailServices
{
    /// <summary>The webmail's sessions and the submission path it sends through. Needs the outbound queue and signer registered too.</summary>
    public static IServiceCollection AddWebmail(this IServiceCollection services)
    {
        services.TryAddSingleton<MessageSubmitter>();
        services.TryAddSingleton<WebmailSessions>();
        return services;
    }
}
