namespace Appliance.Acme;

/// <summary>The http-01 challenge (RFC 8555 8.3): where the answer is served and what a token may look like.</summary>
public static class AcmeHttp01
{
    /// <summary>RFC 8555 8.3: the challenge type.</summary>
    public const string ChallengeType = "http-01";

    /// <summary>RFC 8555 8.3: the path prefix, registered in RFC 8555 9.2 as a well-known URI (RFC 8615).</summary>
    public const string PathPrefix = "/.well-known/acme-challenge/";

    /// <summary>
    /// RFC 8555 8.3: the token "MUST NOT contain any characters outside the base64url alphabet"
    /// (and padding is stripped); RFC 8555 8.1 asks for at least 128 bits of entropy, so it is never empty.
    /// </summary>
    public static bool IsValidToken(string? token) => AcmeBase64Url.IsUnpadded(token);

    /// <summary>RFC 8555 8.3: the URL the CA fetches (always plain HTTP, port 80).</summary>
    public static Uri Url(string dnsName, string token) => new($"http://{dnsName}{PathPrefix}{token}");
}
