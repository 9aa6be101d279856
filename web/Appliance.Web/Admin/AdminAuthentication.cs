using System.Globalization;
using System.Security.Claims;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Appliance.Web.Admin;

/// <summary>Cookie sign-in for the admin UI (and later the webmail): the claims, the cookie's rules, the timeouts.</summary>
public static class AdminAuthentication
{
    public const string Scheme = CookieAuthenticationDefaults.AuthenticationScheme;
    public const string CookieName = "appliance.session";
    public const string SignInPath = "/signin";

    /// <summary>Role names as claims.</summary>
    public const string AdminRole = "admin";
    public const string DomainAdminRole = "domainadmin";
    public const string UserRole = "user";

    /// <summary>Policy: admins and domain admins (domain admins see only their domains).</summary>
    public const string ManagePolicy = "manage";

    /// <summary>A domain a domain admin administers (one claim each).</summary>
    public const string DomainClaim = "appliance:domain";

    /// <summary>When the session began; the absolute timeout counts from here, not from the last request.</summary>
    public const string IssuedClaim = "appliance:issued";

    /// <summary>A session ends after this long without a request (OWASP session management: 15-30 minutes for sensitive apps).</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);

    /// <summary>A session ends this long after sign-in whatever happens.</summary>
    public static readonly TimeSpan AbsoluteTimeout = TimeSpan.FromHours(12);

    public static string RoleName(MailboxRole role) => role switch
    {
        MailboxRole.Admin => AdminRole,
        MailboxRole.DomainAdmin => DomainAdminRole,
        _ => UserRole,
    };

    public static ClaimsPrincipal Principal(AuthenticatedUser user, DateTimeOffset now)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.MailboxId.ToString(CultureInfo.InvariantCulture)),
            new(ClaimTypes.Name, user.Address),
            new(ClaimTypes.Role, RoleName(user.Role)),
            new(IssuedClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        claims.AddRange(user.AdministeredDomains.Select(d => new Claim(DomainClaim, d)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }

    public static void AddAdminAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(Scheme).AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.ExpireTimeSpan = IdleTimeout;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = SignInPath;
            cookie.AccessDeniedPath = "/denied";
            cookie.Events.OnValidatePrincipal = context =>
            {
                // The absolute timeout: sliding renewal never extends a session past it.
                var issued = context.Principal?.FindFirst(IssuedClaim)?.Value;
                var clock = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>();
                if (issued is null || !long.TryParse(issued, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
                    || clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds) > AbsoluteTimeout)
                {
                    context.RejectPrincipal();
                    return context.HttpContext.SignOutAsync(Scheme);
                }
                return Task.CompletedTask;
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(ManagePolicy, policy => policy.RequireRole(AdminRole, DomainAdminRole));
        services.AddCascadingAuthenticationState();
    }
}
