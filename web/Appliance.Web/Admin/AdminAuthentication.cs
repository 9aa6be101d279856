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

    /// <summary>Policy: server-wide pages (queue, logs) for admins only.</summary>
    public const string AdminPolicy = "admin";

    /// <summary>A domain a domain admin administers (one claim each).</summary>
    public const string DomainClaim = "appliance:domain";

    /// <summary>The account's <see cref="SessionStamp"/> at sign-in; the session ends when it changes (a new password).</summary>
    public const string StampClaim = "appliance:stamp";

    /// <summary>Present ("on") when the account had two-factor sign-in on at sign-in; the session stamp ends the session when that changes.</summary>
    public const string TwoFactorClaim = "appliance:2fa";

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
            new(StampClaim, user.SessionStamp),
        };
        if (user.TwoFactorEnabled)
            claims.Add(new Claim(TwoFactorClaim, "on"));
        claims.AddRange(user.AdministeredDomains.Select(d => new Claim(DomainClaim, d)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, Scheme));
    }

    /// <summary>An admin or domain admin signed in without two-factor sign-in (what Appliance:Admin:RequireTwoFactor refuses).</summary>
    public static bool LacksRequiredTwoFactor(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && (user.IsInRole(AdminRole) || user.IsInRole(DomainAdminRole)) && user.FindFirst(TwoFactorClaim) is null;

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
            cookie.Events.OnValidatePrincipal = async context =>
            {
                var services = context.HttpContext.RequestServices;
                if (context.Principal is null || !await IsStillValidAsync(context.Principal, services.GetRequiredService<TimeProvider>(),
                        services.GetRequiredService<PasswordAuthenticator>(), context.HttpContext.RequestAborted))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(Scheme);
                }
            };
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(ManagePolicy, policy => policy.RequireRole(AdminRole, DomainAdminRole))
            .AddPolicy(AdminPolicy, policy => policy.RequireRole(AdminRole));
        services.AddCascadingAuthenticationState();
        services.AddScoped<Microsoft.AspNetCore.Components.Authorization.AuthenticationStateProvider, SessionRevalidatingStateProvider>();
    }

    /// <summary>
    /// Whether a session may go on: within the absolute timeout (sliding renewal never extends it
    /// past that), and its account's session stamp unchanged (same password, still enabled, same role).
    /// </summary>
    public static async Task<bool> IsStillValidAsync(ClaimsPrincipal principal, TimeProvider clock, PasswordAuthenticator authenticator, CancellationToken ct)
    {
        var issued = principal.FindFirst(IssuedClaim)?.Value;
        if (issued is null || !long.TryParse(issued, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || clock.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(seconds) > AbsoluteTimeout)
            return false;
        if (!int.TryParse(principal.FindFirst(ClaimTypes.NameIdentifier)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int mailboxId))
            return false;
        string? stamp = await authenticator.GetSessionStampAsync(mailboxId, ct);
        return stamp is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(stamp), System.Text.Encoding.UTF8.GetBytes(principal.FindFirst(StampClaim)?.Value ?? ""));
    }
}
