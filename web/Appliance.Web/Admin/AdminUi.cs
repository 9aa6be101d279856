using Appliance.Server.Listeners;
using Appliance.Web.Components;
using Appliance.Web.Hosting;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace Appliance.Web.Admin;

/// <summary>The admin UI: Blazor with interactive server rendering, cookie sign-in, antiforgery, HTTPS only.</summary>
public static class AdminUi
{
    public const string SetupPath = "/setup";
    public const string SignOutPath = "/signout";

    /// <summary>The two-factor set-up page, where Appliance:Admin:RequireTwoFactor sends admins without it.</summary>
    public const string TwoFactorSettingsPath = "/account/2fa";

    /// <summary>Blazor's circuit hub: interactive pages talk to the server through it.</summary>
    private const string BlazorHubPrefix = "/_blazor";

    /// <summary>Paths served over plain HTTP too: health checks, ACME challenges, mail client set-up (Thunderbird tries http://autoconfig.domain).</summary>
    private static readonly string[] PlainHttpPrefixes = ["/healthz", "/.well-known/", "/mail/config-v1.1.xml", "/autodiscover/"];

    /// <summary>The API answers plain HTTP with an error rather than a redirect: a client that follows it would have sent its token in clear already.</summary>
    private const string ApiPrefix = "/api";

    public static void AddAdminUi(this IServiceCollection services)
    {
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddAdminAuthentication();
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "appliance.antiforgery";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            // SecurityHeaders sends X-Frame-Options: DENY on every response; antiforgery's SAMEORIGIN would be a second, weaker one.
            antiforgery.SuppressXFrameOptionsHeader = true;
        });
        services.AddSingleton(sp => new SetupToken(Path.Combine(sp.GetRequiredService<Appliance.Server.Configuration.ApplianceOptions>().DataPath, SetupToken.FileName)));
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<FirstRunSetup>();
        services.AddSingleton<TwoFactorSignIn>();
        services.AddSingleton<Appliance.Web.Webmail.SanitizedBodyCache>();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()));
        Appliance.Web.Api.ApiEndpoints.AddApi(services);
    }

    public static void MapAdminUi(this WebApplication app)
    {
        app.Use(RequireHttpsForPages);
        app.Use(SecurityHeaders);
        app.UseAuthentication();
        app.Use(RequireTwoFactorForAdmins);
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapStaticAssets();
        // Our own CSP says frame-ancestors 'none'; Blazor's default second CSP (frame-ancestors 'self') is not wanted.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(server => server.ContentSecurityFrameAncestorsPolicy = null);
        app.MapPost(SignOutPath, SignOutAsync);
        Appliance.Web.Api.ApiEndpoints.MapApi(app);
        Appliance.Web.Webmail.WebmailEndpoints.MapWebmail(app);
        app.MapGet("/domains/{name}/zone", ZoneFileAsync).RequireAuthorization(AdminAuthentication.ManagePolicy);
    }

    /// <summary>The DNS page's zone-file download; a domain the user may not manage is as unknown as a missing one.</summary>
    private static async Task<IResult> ZoneFileAsync(string name, HttpContext context, Appliance.Server.Accounts.AccountService accounts, Appliance.Server.DnsAdvisor.DnsSetupService dns)
    {
        try
        {
            var domain = await accounts.GetDomainAsync(name, context.RequestAborted);
            if (!AdminAccess.CanManageDomain(context.User, domain.Name))
                return Results.NotFound();
            string zone = await dns.GetZoneFileAsync(domain.Name, context.RequestAborted);
            return Results.File(System.Text.Encoding.UTF8.GetBytes(zone), "text/plain; charset=utf-8", domain.Name + ".zone");
        }
        catch (Appliance.Server.Accounts.AccountException)
        {
            return Results.NotFound();
        }
    }

    /// <summary>
    /// Pages and their cookies only over HTTPS (the session cookie is Secure): a plain-HTTP request
    /// for a page is redirected to the HTTPS listener, keeping the host name the browser used.
    /// </summary>
    private static Task RequireHttpsForPages(HttpContext context, Func<Task> next)
    {
        if (context.Request.IsHttps || PlainHttpPrefixes.Any(p => context.Request.Path.StartsWithSegments(p.TrimEnd('/'), StringComparison.OrdinalIgnoreCase)))
            return next();
        if (context.Request.Path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return context.Response.WriteAsync("The API is served over HTTPS only.");
        }
        var endpoints = context.RequestServices.GetRequiredService<ApplianceEndpoints>();
        if (!endpoints.TryGet(ListenerKind.Https, out var https))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return context.Response.WriteAsync("The admin UI needs the HTTPS listener (Appliance:Listeners:Https).");
        }
        string host = context.Request.Host.Host;
        var target = new UriBuilder("https", host, https.Port, context.Request.PathBase + context.Request.Path) { Query = context.Request.QueryString.Value ?? "" };
        context.Response.Redirect(target.Uri.AbsoluteUri, permanent: false, preserveMethod: true);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Appliance:Admin:RequireTwoFactor: an admin or domain admin signed in without two-factor
    /// sign-in reaches only its set-up page (and sign-out). Every other endpoint that needs a
    /// signed-in user, and Blazor's circuit hub, sends a page request there and refuses anything
    /// else with 403. Open pages (sign-in, static files) stay open; the API is excluded because the
    /// session cookie never authenticates it (bearer tokens only).
    /// </summary>
    private static Task RequireTwoFactorForAdmins(HttpContext context, Func<Task> next)
    {
        if (!context.RequestServices.GetRequiredService<Appliance.Server.Configuration.ApplianceOptions>().Admin.RequireTwoFactor
            || !AdminAuthentication.LacksRequiredTwoFactor(context.User))
            return next();
        var path = context.Request.Path;
        if (path.Equals(TwoFactorSettingsPath, StringComparison.OrdinalIgnoreCase) || path.Equals(SignOutPath, StringComparison.OrdinalIgnoreCase)
            || path.StartsWithSegments(ApiPrefix, StringComparison.OrdinalIgnoreCase))
            return next();
        bool needsSignIn = context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>() is not null
            || path.StartsWithSegments(BlazorHubPrefix, StringComparison.OrdinalIgnoreCase);
        if (!needsSignIn)
            return next();
        if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.Redirect(TwoFactorSettingsPath + "?required=1");
            return Task.CompletedTask;
        }
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }

    /// <summary>
    /// Headers on every response: no framing (clickjacking), no MIME sniffing, no referrer leaving
    /// the server, HSTS on HTTPS, and a Content-Security-Policy that allows only this origin's own
    /// scripts, styles and connections (Blazor's script and its WebSocket), plus data: images (the
    /// QR code). OWASP Secure Headers Project.
    /// </summary>
    private static Task SecurityHeaders(HttpContext context, Func<Task> next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'";
        if (context.Request.IsHttps)
            headers.StrictTransportSecurity = "max-age=31536000";
        return next();
    }

    /// <summary>POST only, with the antiforgery token, so a link or an image elsewhere cannot sign anyone out.</summary>
    private static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return Results.BadRequest();
        }
        await context.SignOutAsync(AdminAuthentication.Scheme);
        return Results.Redirect(AdminAuthentication.SignInPath);
    }
}
