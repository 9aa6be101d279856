using System.Globalization;
using System.Security.Claims;
using System.Text;
using Appliance.Server.Webmail;

namespace Appliance.Web.Webmail;

/// <summary>
/// What the webmail serves outside the Blazor circuit: a message's HTML body for the sandboxed
/// frame, attachments, and the raw source. All need the sign-in cookie and answer only from the
/// signed-in user's own account; folders are named by id, messages by UID, parts by part number.
/// </summary>
public static class WebmailEndpoints
{
    public const string BodyPath = "/mail/body";
    public const string PartPath = "/mail/part";
    public const string RawPath = "/mail/raw";

    /// <summary>
    /// The frame's own policy: nothing may load but inline styles and data: images (and, once the
    /// user asks, remote images); no script, no form target, no base; only our page may frame it;
    /// and the CSP sandbox (no scripts, an opaque origin) even if the document is opened by itself.
    /// Links may open a new tab outside the sandbox.
    /// </summary>
    public static string BodyPolicy(bool remoteImages) =>
        $"default-src 'none'; img-src data:{(remoteImages ? " https: http:" : "")}; style-src 'unsafe-inline'; font-src data:; " +
        "frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox";

    public static void MapWebmail(this WebApplication app)
    {
        app.MapGet(BodyPath + "/{folder:long}/{uid:long}", BodyAsync).RequireAuthorization();
        app.MapGet(PartPath + "/{folder:long}/{uid:long}/{part}", PartAsync).RequireAuthorization();
        app.MapGet(RawPath + "/{folder:long}/{uid:long}", RawAsync).RequireAuthorization();
    }

    public static string BodyUrl(long folder, uint uid, bool remote) =>
        string.Create(CultureInfo.InvariantCulture, $"{BodyPath}/{folder}/{uid}{(remote ? "?remote=1" : "")}");

    public static string PartUrl(long folder, uint uid, string part, bool inline = false) =>
        string.Create(CultureInfo.InvariantCulture, $"{PartPath}/{folder}/{uid}/{Uri.EscapeDataString(part)}{(inline ? "?inline=1" : "")}");

    public static string RawUrl(long folder, uint uid, bool download = false) =>
        string.Create(CultureInfo.InvariantCulture, $"{RawPath}/{folder}/{uid}{(download ? "?download=1" : "")}");

    private static async Task<IResult> BodyAsync(long folder, long uid, HttpContext context, WebmailSessions sessions, SanitizedBodyCache cache)
    {
        var session = await OpenAsync(context, sessions);
        if (session is null || uid is < 1 or > uint.MaxValue)
            return Results.NotFound();
        bool remote = context.Request.Query["remote"] == "1";
        string html;
        try
        {
            string name = session.FolderName(folder);
            WebmailMessage? message = null;
            WebmailMessage Read() => message ??= session.Read(name, (uint)uid, markSeen: false);
            html = cache.Get(session, folder, (uint)uid, remote, Read)?.Html
                ?? "<pre>" + System.Net.WebUtility.HtmlEncode(Read().TextBody ?? "") + "</pre>";
        }
        catch (WebmailException)
        {
            return Results.NotFound();
        }
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = BodyPolicy(remote);
        headers.XFrameOptions = "SAMEORIGIN";
        headers.CacheControl = "no-store";
        // The sanitized fragment inside a minimal document; nothing is added to or changed in it after sanitizing.
        string document = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{font-family:system-ui,sans-serif;margin:0;padding:.5rem;overflow-wrap:anywhere}img{max-width:100%;height:auto}pre{white-space:pre-wrap}</style></head><body>"
            + html + "</body></html>";
        return Results.Text(document, "text/html; charset=utf-8", Encoding.UTF8);
    }

    private static async Task<IResult> PartAsync(long folder, long uid, string part, HttpContext context, WebmailSessions sessions)
    {
        var session = await OpenAsync(context, sessions);
        if (session is null || uid is < 1 or > uint.MaxValue || part.Length > 64 || !part.All(c => char.IsAsciiDigit(c) || c == '.'))
            return Results.NotFound();
        WebmailPart content;
        try
        {
            content = session.ReadPart(session.FolderName(folder), (uint)uid, part);
        }
        catch (WebmailException)
        {
            return Results.NotFound();
        }
        bool inline = context.Request.Query["inline"] == "1" && WebmailMedia.IsRasterImage(content.MediaType);
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; img-src 'self'; sandbox";
        headers.CacheControl = "private, no-store";
        // Only raster images may be shown by the browser; everything else is a download of opaque bytes.
        string type = inline ? content.MediaType : "application/octet-stream";
        return Results.File(content.Content, type, inline ? null : content.FileName);
    }

    private static async Task<IResult> RawAsync(long folder, long uid, HttpContext context, WebmailSessions sessions)
    {
        var session = await OpenAsync(context, sessions);
        if (session is null || uid is < 1 or > uint.MaxValue)
            return Results.NotFound();
        byte[] raw;
        try
        {
            raw = session.ReadRaw(session.FolderName(folder), (uint)uid);
        }
        catch (WebmailException)
        {
            return Results.NotFound();
        }
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.CacheControl = "private, no-store";
        return context.Request.Query["download"] == "1"
            ? Results.File(raw, "message/rfc822", $"message-{uid}.eml")
            : Results.File(raw, "text/plain; charset=utf-8");
    }

    private static Task<WebmailSession?> OpenAsync(HttpContext context, WebmailSessions sessions) =>
        int.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out int mailboxId)
            ? sessions.OpenAsync(mailboxId, context.RequestAborted)
            : Task.FromResult<WebmailSession?>(null);
}
