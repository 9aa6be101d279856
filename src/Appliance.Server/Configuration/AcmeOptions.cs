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

    /// <summary>
    /// Renew once this fraction of the certificate's lifetime (NotBefore to NotAfter) has passed: two
    /// thirds, as Let's Encrypt's integration guide recommends (with its 90-day certificates that
    /// leaves 30 days, the margin certbot renews at, for retries).
    /// </summary>
    public double RenewalFraction { get; set; } = 2.0 / 3.0;

    /// <summary>
    /// Wait after the first failed issuance; each further failure doubles it. Five minutes keeps the
    /// first hour under Let's Encrypt's limit of five failed validations per name per hour
    /// (attempts at 0, 5, 15 and 35 minutes).
    /// </summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The doubling stops here: a fixed DNS record or firewall is picked up within six hours, and the
    /// 30 days left at renewal still allow more than a hundred attempts. A CA's Retry-After longer
    /// than this is still honoured.
    /// </summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How often the names to order are checked again (hosted domains added or removed, DNS now
    /// pointing here). certbot's packaged timer checks twice a day; hourly, so that a domain added
    /// in the admin gets its autoconfig, autodiscover and mta-sts names within the hour. The check
    /// asks only DNS questions; the CA is contacted only when something changed or renewal is due.
    /// </summary>
    public TimeSpan NameCheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Names in one certificate order, the mail host name included: Let's Encrypt's limit of 100
    /// names per certificate. Names past it are left out, and the status says so.
    /// </summary>
    public int MaxNamesPerCertificate { get; set; } = 100;

    /// <summary>The settings' names in errors, so a bad value is easy to find in appliance.json.</summary>
    public void Validate()
    {
        if (!(RenewalFraction > 0 && RenewalFraction < 1))
            throw new ApplianceConfigurationException($"Appliance:Acme:RenewalFraction must be between 0 and 1 (exclusive); it is {RenewalFraction}.");
        if (RetryInitialDelay <= TimeSpan.Zero)
            throw new ApplianceConfigurationException($"Appliance:Acme:RetryInitialDelay must be positive; it is {RetryInitialDelay}.");
        if (RetryMaxDelay < RetryInitialDelay)
            throw new ApplianceConfigurationException($"Appliance:Acme:RetryMaxDelay ({RetryMaxDelay}) must not be less than RetryInitialDelay ({RetryInitialDelay}).");
        if (MaxNamesPerCertificate < 1)
            throw new ApplianceConfigurationException($"Appliance:Acme:MaxNamesPerCertificate must be at least 1; it is {MaxNamesPerCertificate}.");
        if (NameCheckInterval <= TimeSpan.Zero)
            throw new ApplianceConfigurationException($"Appliance:Acme:NameCheckInterval must be positive; it is {NameCheckInterval}.");
    }
}
