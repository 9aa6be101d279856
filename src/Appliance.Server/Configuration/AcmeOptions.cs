namespace Appliance.Server.Configuration;

/// <summary>
/// Certificates from an ACME CA (RFC 8555): Let's Encrypt by default. Until the first issuance
/// the self-signed bootstrap certificate is served.
/// </summary>
public sealed class AcmeOptions
{
    /// <summary>Let's Encrypt's production directory (https://letsencrypt.org/docs/acme-protocol-updates/).</summary>
    public const string LetsEncryptProduction = "https://acme-v02.api.letsencrypt.org/directory";

    /// <summary>Let's Encrypt's staging directory: untrusted certificates, far higher rate limits.</summary>
    public const string LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory";

    /// <summary>
    /// Off by default from a checkout (nothing on the internet can reach a developer's port 80);
    /// the installer turns it on.
    /// </summary>
    public bool Enabled { get; set; }

    /// <summary>The CA's directory URL (RFC 8555 7.1.1).</summary>
    public string DirectoryUrl { get; set; } = LetsEncryptProduction;

    /// <summary>The account's contact (RFC 8555 7.3): expiry warnings from the CA go there. Optional.</summary>
    public string? ContactEmail { get; set; }

    /// <summary>
    /// A PEM file of extra CA certificates trusted for the directory's HTTPS (a private CA such as
    /// Pebble in tests). Null: the system trust store only. Validation is never turned off.
    /// </summary>
    public string? DirectoryTrustPath { get; set; }
}
