namespace Appliance.Acme;

/// <summary>
/// Anti-replay nonces (RFC 8555 6.5): every response's Replay-Nonce is kept for the next request,
/// and only when none is at hand is a new one fetched from newNonce (RFC 8555 7.2).
/// </summary>
internal sealed class AcmeNonces
{
    /// <summary>RFC 8555 6.5.1: the header carrying a fresh nonce on every response, errors included.</summary>
    public const string HeaderName = "Replay-Nonce";

    private string? _next;

    /// <summary>Keeps the response's nonce, if it has a well-formed one (RFC 8555 6.5.1: base64url, and a bad one is ignored).</summary>
    public void Remember(HttpResponseMessage response)
    {
        if (response.Headers.TryGetValues(HeaderName, out var values)
            && values.LastOrDefault() is { } nonce
            && AcmeBase64Url.IsUnpadded(nonce))
            Interlocked.Exchange(ref _next, nonce);
    }

    /// <summary>A nonce for the next request: the one kept, else a HEAD to newNonce (RFC 8555 7.2).</summary>
    public async Task<string> TakeAsync(HttpClient http, Uri newNonce, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _next, null) is { } kept)
            return kept;
        using var request = new HttpRequestMessage(HttpMethod.Head, newNonce);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        Remember(response);
        return Interlocked.Exchange(ref _next, null)
            ?? throw new AcmeException($"The CA's newNonce ({newNonce}) answered {(int)response.StatusCode} without a Replay-Nonce header (RFC 8555 7.2).", status: response.StatusCode);
    }
}
