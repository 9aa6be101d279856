using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Appliance.Acme;

/// <summary>
/// The account's public key as a JSON Web Key (RFC 7517) with only its required members, and its
/// RFC 7638 thumbprint, which RFC 8555 8.1 puts into every key authorization.
/// </summary>
internal sealed class AcmeJwk
{
    private readonly SortedDictionary<string, string> _members;

    /// <param name="requiredMembers">The key type's required members (RFC 7638 3.2): for EC crv, kty, x, y; for RSA e, kty, n.</param>
    public AcmeJwk(IEnumerable<KeyValuePair<string, string>> requiredMembers)
    {
        // RFC 7638 3.3: members sorted by Unicode code point, which ordinal comparison of these ASCII names is.
        _members = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in requiredMembers)
            _members.Add(name, value);
    }

    /// <summary>RFC 7518 6.2.1: an EC public key with its P-256 coordinates, each 32 bytes, base64url.</summary>
    public static AcmeJwk FromEcdsa(ECDsa key)
    {
        var parameters = key.ExportParameters(includePrivateParameters: false);
        if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
            throw new ArgumentException("ACME account keys here are ECDSA P-256 (ES256, RFC 7518 3.4).", nameof(key));
        return new AcmeJwk(
        [
            new("crv", "P-256"),
            new("kty", "EC"),
            new("x", Base64Url.EncodeToString(parameters.Q.X)),
            new("y", Base64Url.EncodeToString(parameters.Q.Y)),
        ]);
    }

    /// <summary>
    /// The canonical JSON of RFC 7638 3.3: required members only, lexicographic order, no
    /// whitespace. The same text serves as the "jwk" header member (RFC 8555 6.2).
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in _members)
                writer.WriteString(name, value);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>RFC 7638 3.1: base64url(SHA-256(UTF-8 of the canonical JSON)).</summary>
    public string Thumbprint() => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(ToJson())));
}
