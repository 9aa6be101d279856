using System.Security.Cryptography.X509Certificates;

namespace Appliance.Acme;

/// <summary>
/// The certificate download (RFC 8555 7.4.2): application/pem-certificate-chain (RFC 8555 9.1),
/// PEM CERTIFICATE blocks (RFC 7468 5.1), the end-entity certificate first, then its issuers.
/// </summary>
public static class AcmeCertificateChain
{
    /// <summary>RFC 8555 9.1: the media type of the download.</summary>
    public const string MediaType = "application/pem-certificate-chain";

    private const string CertificateLabel = "CERTIFICATE";

    /// <summary>The certificates in order, leaf first. Text between blocks is skipped (RFC 7468 2 allows it); other labels are an error.</summary>
    public static X509Certificate2Collection Parse(string pem)
    {
        var chain = new X509Certificate2Collection();
        ReadOnlySpan<char> rest = pem;
        while (System.Security.Cryptography.PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label];
            if (!label.SequenceEqual(CertificateLabel))
                throw new AcmeException($"The certificate download holds a PEM block labelled \"{label}\"; RFC 8555 9.1 allows only certificates.");
            byte[] der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
            chain.Add(X509CertificateLoader.LoadCertificate(der));
            rest = rest[fields.Location.End..];
        }
        if (chain.Count == 0)
            throw new AcmeException("The certificate download holds no certificate (RFC 8555 7.4.2).");
        return chain;
    }
}
