using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Appliance.Acme.Tests;

/// <summary>A request the fake CA saw: its method, path, and for a signed POST the nonce and payload of its JWS.</summary>
internal sealed record FakeAcmeRequest(HttpMethod Method, string Path, string? Nonce, string? Payload);

/// <summary>
/// A scripted CA for unit tests: answers the directory itself and everything else through
/// <see cref="Respond"/>, recording each request. Every answer but the directory's gets a fresh
/// Replay-Nonce ("nonce-1", "nonce-2", …) unless the script set one.
/// </summary>
internal sealed class FakeAcmeHandler : HttpMessageHandler
{
    public const string Base = "https://ca.test";

    private int _nonces;

    public Func<FakeAcmeRequest, HttpResponseMessage> Respond { get; set; } = _ => new HttpResponseMessage(HttpStatusCode.NotFound);

    public List<FakeAcmeRequest> Requests { get; } = [];

    public static Uri DirectoryUrl => new(Base + "/dir");

    public static HttpResponseMessage Json(HttpStatusCode status, string json, string? location = null, string mediaType = "application/json")
    {
        var response = new HttpResponseMessage(status) { Content = new StringContent(json, Encoding.UTF8, mediaType) };
        if (location is not null)
            response.Headers.Location = new Uri(Base + location);
        return response;
    }

    public static HttpResponseMessage Problem(HttpStatusCode status, string type, string detail) =>
        Json(status, JsonSerializer.Serialize(new { type = "urn:ietf:params:acme:error:" + type, detail, status = (int)status }), mediaType: "application/problem+json");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string path = request.RequestUri!.AbsolutePath;
        string? nonce = null, payload = null;
        if (request.Method == HttpMethod.Post)
        {
            using var jws = JsonDocument.Parse(await request.Content!.ReadAsByteArrayAsync(cancellationToken));
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(jws.RootElement.GetProperty("protected").GetString()));
            nonce = header.RootElement.GetProperty("nonce").GetString();
            payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(jws.RootElement.GetProperty("payload").GetString()));
        }
        var seen = new FakeAcmeRequest(request.Method, path, nonce, payload);
        Requests.Add(seen);
        var response = path == "/dir"
            ? Json(HttpStatusCode.OK, $$$"""{"newNonce":"{{{Base}}}/nonce","newAccount":"{{{Base}}}/new-acct","newOrder":"{{{Base}}}/new-order","meta":{"termsOfService":"{{{Base}}}/tos"}}""")
            : Respond(seen);
        if (path != "/dir" && !response.Headers.Contains("Replay-Nonce"))
            response.Headers.Add("Replay-Nonce", "nonce-" + Interlocked.Increment(ref _nonces));
        response.RequestMessage = request;
        return response;
    }
}
