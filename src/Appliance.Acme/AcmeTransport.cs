using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Appliance.Acme;

/// <summary>
/// The HTTP side of ACME (RFC 8555 6): plain GET for the directory, signed POSTs for everything
/// else with a nonce from <see cref="AcmeNonces"/>, badNonce retried with the fresh nonce of the
/// error response (RFC 8555 6.5), and error documents turned into <see cref="AcmeException"/>.
/// </summary>
internal sealed class AcmeTransport
{
    /// <summary>RFC 7807 3: the media type of a problem document.</summary>
    private const string ProblemMediaType = "application/problem+json";

    private readonly HttpClient _http;
    private readonly ECDsa _key;
    private readonly AcmeClientOptions _options;
    private readonly TimeProvider _time;
    private readonly AcmeNonces _nonces = new();

    public AcmeTransport(HttpClient http, ECDsa key, AcmeClientOptions options, TimeProvider time)
    {
        _http = http;
        _key = key;
        _options = options;
        _time = time;
        Jwk = AcmeJwk.FromEcdsa(key);
    }

    public AcmeJwk Jwk { get; }

    /// <summary>RFC 8555 7.1.1: the directory is fetched with a plain GET, the only unsigned request besides newNonce.</summary>
    public async Task<AcmeResponse> GetAsync(Uri url, string action, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        _nonces.Remember(response);
        if (!response.IsSuccessStatusCode)
            throw await ErrorAsync(response, action, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A signed POST (RFC 8555 6.2); <paramref name="payloadJson"/> null is a POST-as-GET (6.3).
    /// <paramref name="keyId"/> null signs with the "jwk" header (newAccount, 7.3), else with "kid".
    /// </summary>
    public async Task<AcmeResponse> PostAsync(Uri newNonce, Uri url, byte[]? payloadJson, Uri? keyId, string action, CancellationToken cancellationToken, string? accept = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            string nonce = await _nonces.TakeAsync(_http, newNonce, cancellationToken).ConfigureAwait(false);
            byte[] body = AcmeJws.Sign(_key, url, nonce, keyId?.AbsoluteUri, keyId is null ? Jwk : null, payloadJson);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(AcmeJws.ContentType);
            if (accept is not null)
                request.Headers.Accept.ParseAdd(accept);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            // RFC 8555 6.5: every response carries a fresh nonce, an error's too; the retry below uses it.
            _nonces.Remember(response);
            if (response.IsSuccessStatusCode)
                return await ReadAsync(response, cancellationToken).ConfigureAwait(false);
            var error = await ErrorAsync(response, action, cancellationToken).ConfigureAwait(false);
            if (error.Problem?.Is(AcmeProblem.BadNonce) == true && attempt < _options.MaxBadNonceRetries)
                continue;
            throw error;
        }
    }

    private async Task<AcmeResponse> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken) => new(
        response.StatusCode,
        response.Headers.Location is { } location ? (location.IsAbsoluteUri ? location : new Uri(response.RequestMessage!.RequestUri!, location)) : null,
        AcmeRetryAfter.From(response, _time.GetUtcNow()),
        response.Content.Headers.ContentType?.MediaType,
        await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>
    /// RFC 8555 6.7: errors come as problem documents. Any JSON object with a "type" is taken as
    /// one even under another media type (a proxy may relabel it); anything else is reported with
    /// its status. Retry-After is kept whatever the error (RFC 8555 6.6 for rateLimited; 429 and 503 commonly).
    /// </summary>
    private async Task<AcmeException> ErrorAsync(HttpResponseMessage response, string action, CancellationToken cancellationToken)
    {
        byte[] body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        TimeSpan? retryAfter = AcmeRetryAfter.From(response, _time.GetUtcNow());
        if (TryParseProblem(body, response.Content.Headers.ContentType?.MediaType) is { } problem)
            return AcmeException.FromProblem(action, problem, response.StatusCode, retryAfter);
        return new AcmeException($"{action}: the CA answered HTTP {(int)response.StatusCode} {response.ReasonPhrase} without an error document.",
            status: response.StatusCode, retryAfter: retryAfter);
    }

    private static AcmeProblem? TryParseProblem(byte[] body, string? mediaType)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            if (mediaType == ProblemMediaType || root.TryGetProperty("type", out _))
                return AcmeProblem.Parse(root);
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
