using Appliance.Server.Accounts;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Appliance.Web.Admin;

/// <summary>
/// An interactive page's circuit outlives the request that opened it, so its session is checked
/// again every <see cref="RevalidationInterval"/>: a changed password or a disabled account ends
/// open admin pages too, not only the next request.
/// </summary>
internal sealed class SessionRevalidatingStateProvider(ILoggerFactory loggers, IServiceScopeFactory scopes)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var services = scope.ServiceProvider;
        return await AdminAuthentication.IsStillValidAsync(state.User, services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<PasswordAuthenticator>(), cancellationToken);
    }
}
