using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Appliance.Acme;

/// <summary>
/// The signed body of every ACME POST (RFC 8555 6.2): a JWS in the flattened JSON serialization
/// (RFC 7515 7.2.2) signed with ES256 (RFC 7518 3.4), the protected header carrying alg, nonce,
/// url and either jwk (newAccount, revocation by certificate key) or kid (the account URL).
/// </summary>
internal static class AcmeJws
{
    /// <summary>RFC 8555 6.2 requires clients to support ES256; it is the only algorithm we sign with.</summary>
    public const string Algorithm = "ES256";

    /// <summary>The media type of a JWS body (RFC 8555 6.2).</summary>
    public const string ContentType = "application/jose+json";

    /// <summary>
    /// Signs <paramref name="payloadJson"/> for <paramref name="url"/>. A null payload is the empty
    /// string of a POST-as-GET (RFC 8555 6.3). Exactly one of <paramref name="keyId"/> and
    /// <paramref name="jwk"/> is given (RFC 8555 6.2).
    /// </summary>
    public static byte[] Sign(ECDsa key, Uri url, string nonce, string? keyId, AcmeJwk? jwk, byte[]? payloadJson)
    {
        if ((keyId is null) == (jwk is null))
            throw new ArgumentException("A JWS names its key either by kid or by jwk, not both or neither (RFC 8555 6.2).");

        string protectedHeader = Base64Url.EncodeToString(Header(url, nonce, keyId, jwk));
        string payload = payloadJson is null ? "" : Base64Url.EncodeToString(payloadJson);

        // RFC 7515 5.1: the signing input is ASCII(BASE64URL(header) || '.' || BASE64URL(payload)).
        // RFC 7518 3.4: the ECDSA signature is R || S, each 32 bytes for P-256, not DER.
        byte[] signingInput = Encoding.ASCII.GetBytes(protectedHeader + "." + payload);
        byte[] signature = key.SignData(signingInput, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("protected", protectedHeader);
            writer.WriteString("payload", payload);
            writer.WriteString("signature", Base64Url.EncodeToString(signature));
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static byte[] Header(Uri url, string nonce, string? keyId, AcmeJwk? jwk)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("alg", Algorithm);
            if (keyId is not null)
                writer.WriteString("kid", keyId);
            else
            {
                writer.WritePropertyName("jwk");
                writer.WriteRawValue(jwk!.ToJson());
            }
            writer.WriteString("nonce", nonce);
            writer.WriteString("url", url.AbsoluteUri);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
