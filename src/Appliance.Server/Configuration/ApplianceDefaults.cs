namespace Appliance.Server.Configuration;

/// <summary>
/// The two sets of defaults. Run from a checkout: loopback, high ports, ./data. Installed (the
/// installer writes /etc/appliance/appliance.json): standard ports on all interfaces,
/// /var/lib/appliance. Values in the configuration file always win over either set.
/// </summary>
public static class ApplianceDefaults
{
    public const string InstalledConfigPath = "/etc/appliance/appliance.json";
    public const string InstalledDataDirectory = "/var/lib/appliance";

    /// <summary>Environment variable naming a configuration file, like --config.</summary>
    public const string ConfigEnvironmentVariable = "APPLIANCE_CONFIG";

    /// <summary>In-memory configuration entries for the defaults, to be added before any file.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> For(bool installed)
    {
        string p = ApplianceOptions.SectionName;
        if (!installed)
        {
            yield return new($"{p}:DataDirectory", "./data");
            yield break;
        }

        yield return new($"{p}:DataDirectory", InstalledDataDirectory);
        // As Postfix's myhostname: the machine's own name until the installer or admin sets it.
        yield return new($"{p}:Hostname", System.Net.Dns.GetHostName());
        (string Name, int Port)[] standard =
        [
            ("Http", 80), ("Https", 443), ("Smtp", 25), ("Submission", 587), ("Smtps", 465),
            ("Imap", 143), ("Imaps", 993), ("Pop3", 110), ("Pop3s", 995),
        ];
        foreach (var (name, port) in standard)
        {
            // "::" binds IPv6 and (dual-stack) IPv4 on all interfaces.
            yield return new($"{p}:Listeners:{name}:Address", "::");
            yield return new($"{p}:Listeners:{name}:Port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
