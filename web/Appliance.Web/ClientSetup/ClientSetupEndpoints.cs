using Appliance.Server.ClientSetup;

namespace Appliance.Web.ClientSetup;

/// <summary>
/// The HTTP side of mail client set-up: Thunderbird's autoconfig URLs (the domain's own
/// autoconfig host and the .well-known path), Outlook's autodiscover POST, and the Apple profile
/// download. Public, read-only, and they reveal nothing beyond the settings anyone may know.
/// </summary>
internal static class ClientSetupEndpoints
{
    public const string AppleProfilePath = "/mail/appliance.mobileconfig";

    public static void MapClientSetup(this IEndpointRouteBuilder app)
    {
        app.MapGet("/mail/config-v1.1.xml", ThunderbirdAsync);
        app.MapGet("/.well-known/autoconfig/mail/config-v1.1.xml", ThunderbirdAsync);
        app.MapPost("/autodiscover/autodiscover.xml", OutlookAsync);
        app.MapGet(AppleProfilePath, AppleProfileAsync);
    }

    /// <summary>
    /// Thunderbird sends ?emailaddress=; when it does not, the host it asked (autoconfig.example.org)
    /// names the domain.
    /// </summary>
    private static async Task<IResult> ThunderbirdAsync(HttpContext context, ClientSetupService setup, string? emailaddress)
    {
        string? subject = emailaddress;
        if (string.IsNullOrWhiteSpace(subject) && context.Request.Host.Host is { } host && host.StartsWith("autoconfig.", StringComparison.OrdinalIgnoreCase))
            subject = host["autoconfig.".Length..];
        if (string.IsNullOrWhiteSpace(subject))
            return Results.Problem("Give the address as ?emailaddress=.", statusCode: StatusCodes.Status400BadRequest);
        string? document = await setup.ThunderbirdAsync(subject, context.RequestAborted);
        return document is null ? Results.NotFound() : Results.Text(document, "application/xml; charset=utf-8");
    }

    private static async Task<IResult> OutlookAsync(HttpContext context, ClientSetupService setup)
    {
        // Read at most one byte over the limit: enough to know the request is too big, never more.
        var body = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > ClientSetupService.MaxAutodiscoverRequestBytes)
                return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
        }
        body.Position = 0;
        string? document = await setup.OutlookAsync(body, context.RequestAborted);
        return document is null ? Results.NotFound() : Results.Text(document, "application/xml; charset=utf-8");
    }

    private static async Task<IResult> AppleProfileAsync(HttpContext context, ClientSetupService setup, string? emailaddress, string? name)
    {
        if (string.IsNullOrWhiteSpace(emailaddress))
            return Results.Problem("Give the address as ?emailaddress=.", statusCode: StatusCodes.Status400BadRequest);
        string? profile = await setup.AppleProfileAsync(emailaddress, name, context.RequestAborted);
        if (profile is null)
            return Results.NotFound();
        context.Response.Headers.ContentDisposition = "attachment; filename=\"mail.mobileconfig\"";
        return Results.Text(profile, "application/x-apple-aspen-config; charset=utf-8");
    }
}
