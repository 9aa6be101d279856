using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Appliance.Acme.Tests;

public sealed class AcmeJwsTests
{
    private static readonly Uri Url = new("https://ca.test/acme/new-order");

    [Fact]
    public void A_kid_request_is_flattened_JSON_with_alg_kid_nonce_url_and_a_verifying_ES256_signature()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        byte[] jws = AcmeJws.Sign(key, Url, "nonce-1", "https://ca.test/acme/acct/7", null, "{\"a\":1}"u8.ToArray());

        using var document = JsonDocument.Parse(jws);
        var root = document.RootElement;
        Assert.Equal(["protected", "payload", "signature"], root.EnumerateObject().Select(p => p.Name));
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(root.GetProperty("protected").GetString()));
        Assert.Equal(["alg", "kid", "nonce", "url"], header.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("https://ca.test/acme/acct/7", header.RootElement.GetProperty("kid").GetString());
        Assert.Equal("nonce-1", header.RootElement.GetProperty("nonce").GetString());
        Assert.Equal(Url.AbsoluteUri, header.RootElement.GetProperty("url").GetString());
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(Base64Url.DecodeFromChars(root.GetProperty("payload").GetString())));

        byte[] signature = Base64Url.DecodeFromChars(root.GetProperty("signature").GetString());
        Assert.Equal(64, signature.Length); // RFC 7518 3.4: R || S, 32 bytes each
        byte[] signingInput = Encoding.ASCII.GetBytes(root.GetProperty("protected").GetString() + "." + root.GetProperty("payload").GetString());
        Assert.True(key.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        signingInput[^1] ^= 1;
        Assert.False(key.VerifyData(signingInput, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    [Fact]
    public void A_jwk_request_carries_the_public_key_and_no_kid()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var jwk = AcmeJwk.FromEcdsa(key);

        byte[] jws = AcmeJws.Sign(key, Url, "n", null, jwk, "{}"u8.ToArray());

        using var document = JsonDocument.Parse(jws);
        using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(document.RootElement.GetProperty("protected").GetString()));
        Assert.False(header.RootElement.TryGetProperty("kid", out _));
        Assert.Equal(jwk.ToJson(), header.RootElement.GetProperty("jwk").GetRawText());
    }

    [Fact]
    public void A_POST_as_GET_has_the_empty_payload_of_RFC_8555_section_6_3()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        byte[] jws = AcmeJws.Sign(key, Url, "n", "https://ca.test/acct/1", null, null);

        using var document = JsonDocument.Parse(jws);
        Assert.Equal("", document.RootElement.GetProperty("payload").GetString());
    }

    [Fact]
    public void Both_or_neither_of_kid_and_jwk_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Throws<ArgumentException>(() => AcmeJws.Sign(key, Url, "n", null, null, null));
        Assert.Throws<ArgumentException>(() => AcmeJws.Sign(key, Url, "n", "kid", AcmeJwk.FromEcdsa(key), null));
    }
}
