using Appliance.Acme;
using Appliance.Server.Certificates;
using Appliance.Server.Listeners;

namespace Appliance.Web.Hosting;

/// <summary>
/// RFC 8555 8.3: the http-01 answers. The CA fetches http://{name}/.well-known/acme-challenge/{token}
/// on port 80 and expects the key authorization as the body; the answers are those the ACME issuer
/// currently offers in <see cref="AcmeChallengeResponses"/>. Served on the plain HTTP listener
/// only: that is where the CA comes (8.3 names the "http" scheme), and the HTTPS listener keeps to
/// the UI. Everything else (an unknown token, a token outside base64url, ACME not configured) is 404.
/// </summary>
internal static class AcmeChallengeEndpoint
{
    public const string Route = AcmeHttp01.PathPrefix + "{token}";

    /// <summary>The media type of RFC 8555 8.3's example response; the CA reads only the body.</summary>
    public const string ContentType = "application/octet-stream";

    public static IEndpointConventionBuilder MapAcmeChallenge(this IEndpointRouteBuilder app) =>
        app.MapGet(Route, (string token, HttpContext context) => Answer(token, context));

    private static IResult Answer(string token, HttpContext context)
    {
        if (!ArrivedOnPlainHttp(context) || !AcmeHttp01.IsValidToken(token))
            return Results.NotFound();
        // Registered only when ACME is in use; without it no answer is ever offered.
        var responses = context.RequestServices.GetService<AcmeChallengeResponses>();
        if (responses is null || !responses.TryGet(token, out string keyAuthorization))
            return Results.NotFound();
        // RFC 8555 8.3: "the ASCII representation of the key authorization", nothing around it.
        return Results.Bytes(System.Text.Encoding.ASCII.GetBytes(keyAuthorization), ContentType);
    }

    /// <summary>The request came in on the listener bound for ListenerKind.Http (compared by local port), not over TLS.</summary>
    private static bool ArrivedOnPlainHttp(HttpContext context) =>
        !context.Request.IsHttps
        && context.RequestServices.GetRequiredService<ApplianceEndpoints>().TryGet(ListenerKind.Http, out var http)
        && context.Connection.LocalPort == http.Port;
}
