using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Certificates;

/// <summary>
/// The bootstrap certificate: self-signed for the configured host name so that every TLS port
/// works on first start, before ACME (or an administrator) supplies a trusted one.
/// </summary>
internal static class SelfSignedCertificate
{
    /// <summary>
    /// RSA 2048 rather than ECDSA: old IMAP/POP3 clients and some SMTP peers still cannot do
    /// ECDSA, and 2048 is the size CA/Browser Forum baseline requirements set as the minimum.
    /// </summary>
    public const int RsaKeySize = 2048;

    /// <summary>
    /// About one year, like the 398-day ceiling CA/Browser Forum sets for publicly trusted
    /// certificates; a restart after expiry makes a new one.
    /// </summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(365);

    /// <summary>Backdated so that a client whose clock is slightly behind still accepts it.</summary>
    private static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromDays(1);

    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    public static X509Certificate2 Create(string hostname, DateTimeOffset now)
    {
        using var rsa = RSA.Create(RsaKeySize);
        // The builder escapes the name, so a configured host name can never add other DN parts.
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(hostname);
        var request = new CertificateRequest(subject.Build(), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(ServerAuthenticationOid)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(hostname);
        if (IsLocalhost(hostname))
        {
            // A checkout runs as "localhost" and clients often connect to the loopback address
            // itself; these entries let them verify the name they actually dialled.
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            san.AddIpAddress(System.Net.IPAddress.IPv6Loopback);
        }
        request.CertificateExtensions.Add(san.Build());

        return request.CreateSelfSigned(now - ClockSkewAllowance, now + Validity);
    }

    private static bool IsLocalhost(string hostname) =>
        string.Equals(hostname, "localhost", StringComparison.OrdinalIgnoreCase);
}
