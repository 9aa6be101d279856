using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Certificates;

/// <summary>
/// Trust for the ACME directory's HTTPS: the system store, plus the CA certificates of
/// Appliance:Acme:DirectoryTrustPath when set (a private CA such as Pebble). A certificate that
/// neither trusts, or that names another host, is refused; validation is never switched off.
/// </summary>
internal sealed class AcmeDirectoryTrust
{
    private readonly X509Certificate2Collection _extraRoots;

    private AcmeDirectoryTrust(X509Certificate2Collection extraRoots) => _extraRoots = extraRoots;

    /// <summary>Reads the PEM file of extra CAs; a file with none is a configuration error naming it.</summary>
    public static AcmeDirectoryTrust FromPemFile(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new CertificateIssuanceException($"Appliance:Acme:DirectoryTrustPath {path} cannot be read as PEM certificates: {e.Message}", inner: e);
        }
        if (roots.Count == 0)
            throw new CertificateIssuanceException($"Appliance:Acme:DirectoryTrustPath {path} holds no PEM certificate.");
        return new AcmeDirectoryTrust(roots);
    }

    /// <summary>A RemoteCertificateValidationCallback: the system's verdict when it is good, else a chain built to one of the extra roots.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        // Only chain errors can be cured by another root; a wrong name or no certificate cannot.
        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_extraRoots);
        // A private test CA publishes no revocation lists.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
