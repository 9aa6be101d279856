using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Appliance.Acme.Tests;

/// <summary>ACME objects (RFC 8555 7.1) and the certificate download (7.4.2) as the CA sends them.</summary>
public sealed class AcmeResourceParsingTests
{
    private static readonly Uri Url = new("https://ca.test/order/1");

    [Fact]
    public void An_order_keeps_its_identifiers_authorizations_finalize_certificate_and_error()
    {
        using var json = JsonDocument.Parse("""
            {"status":"invalid","expires":"2026-11-28T12:00:00Z",
             "identifiers":[{"type":"dns","value":"mail.example.org"}],
             "authorizations":["https://ca.test/authz/1"],
             "finalize":"https://ca.test/order/1/finalize","certificate":"https://ca.test/cert/1",
             "error":{"type":"urn:ietf:params:acme:error:caa","detail":"CAA forbids"}}
            """);

        var order = AcmeOrder.Parse(Url, json.RootElement);

        Assert.Equal(AcmeOrderStatus.Invalid, order.Status);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero), order.Expires);
        Assert.Equal([AcmeIdentifier.Dns("mail.example.org")], order.Identifiers);
        Assert.Equal([new Uri("https://ca.test/authz/1")], order.Authorizations);
        Assert.Equal(new Uri("https://ca.test/cert/1"), order.Certificate);
        Assert.Equal("caa: CAA forbids", order.Error!.Describe());
    }

    [Theory]
    [InlineData("Valid")]
    [InlineData("ready-ish")]
    [InlineData("3")]
    public void A_status_that_is_not_one_of_RFC_8555_section_7_1_6_is_an_error(string status)
    {
        using var json = JsonDocument.Parse($$"""{"status":"{{status}}","identifiers":[],"authorizations":[],"finalize":"https://ca.test/f"}""");

        var e = Assert.Throws<AcmeException>(() => AcmeOrder.Parse(Url, json.RootElement));

        Assert.Equal($"The CA's answer is not what RFC 8555 describes: unknown order status \"{status}\".", e.Message);
    }

    [Fact]
    public void A_missing_member_is_named()
    {
        using var json = JsonDocument.Parse("""{"status":"pending","identifiers":[],"authorizations":[]}""");

        var e = Assert.Throws<AcmeException>(() => AcmeOrder.Parse(Url, json.RootElement));

        Assert.Equal("The CA's answer is not what RFC 8555 describes: the member \"finalize\" is missing or not a URL.", e.Message);
    }

    [Fact]
    public void A_pem_chain_is_read_leaf_first_skipping_text_between_blocks()
    {
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        var rootRequest = new CertificateRequest("CN=root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var root = rootRequest.CreateSelfSigned(now, now.AddDays(1));
        using var leaf = new CertificateRequest("CN=leaf", leafKey, HashAlgorithmName.SHA256).Create(root, now, now.AddHours(1), [1, 2, 3]);
        string pem = leaf.ExportCertificatePem() + "\nissuer follows\n" + root.ExportCertificatePem() + "\n";

        var chain = AcmeCertificateChain.Parse(pem);

        Assert.Equal(["CN=leaf", "CN=root"], chain.Select(c => c.Subject));
    }

    [Fact]
    public void A_download_with_a_key_or_no_certificate_is_refused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var withKey = Assert.Throws<AcmeException>(() => AcmeCertificateChain.Parse(key.ExportPkcs8PrivateKeyPem()));
        var empty = Assert.Throws<AcmeException>(() => AcmeCertificateChain.Parse("<html>not found</html>"));

        Assert.Equal("The certificate download holds a PEM block labelled \"PRIVATE KEY\"; RFC 8555 9.1 allows only certificates.", withKey.Message);
        Assert.Equal("The certificate download holds no certificate (RFC 8555 7.4.2).", empty.Message);
    }
}
