using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;

namespace Appliance.Acme.Tests;

public sealed class AcmeJwkTests
{
    /// <summary>RFC 7638 3.1: the example RSA key and its thumbprint.</summary>
    [Fact]
    public void Thumbprint_matches_the_example_of_RFC_7638_section_3_1()
    {
        var jwk = new AcmeJwk(
        [
            new("kty", "RSA"),
            new("n", "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"),
            new("e", "AQAB"),
        ]);

        Assert.StartsWith("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7", jwk.ToJson());
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", jwk.Thumbprint());
    }

    [Fact]
    public void An_EC_key_is_crv_kty_x_y_in_that_order_with_32_byte_coordinates()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = key.ExportParameters(false).Q;

        string json = AcmeJwk.FromEcdsa(key).ToJson();

        Assert.Equal($"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{Base64Url.EncodeToString(q.X)}\",\"y\":\"{Base64Url.EncodeToString(q.Y)}\"}}", json);
        using var parsed = JsonDocument.Parse(json);
        Assert.Equal(32, Base64Url.DecodeFromChars(parsed.RootElement.GetProperty("x").GetString()).Length);
    }

    [Fact]
    public void Only_P256_keys_are_accepted()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var e = Assert.Throws<ArgumentException>(() => AcmeJwk.FromEcdsa(key));
        Assert.Contains("P-256", e.Message);
    }
}
