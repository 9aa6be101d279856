namespace Appliance.Acme;

/// <summary>
/// The base64url alphabet of RFC 4648 5 without padding, which ACME uses for values a peer sends:
/// nonces (RFC 8555 6.5.1) and http-01 tokens (8.3).
/// </summary>
internal static class AcmeBase64Url
{
    public static bool IsUnpadded(string? text) =>
        !string.IsNullOrEmpty(text) && text.All(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');
}
