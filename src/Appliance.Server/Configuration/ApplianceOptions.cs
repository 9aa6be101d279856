namespace Appliance.Server.Configuration;

/// <summary>
/// The whole configuration of one Appliance process, bound from the "Appliance" section of
/// appliance.json / appsettings.json / environment (APPLIANCE__...). Defaults come from
/// <see cref="ApplianceDefaults"/>: repo defaults when run from a checkout, installed defaults
/// when /etc/appliance/appliance.json exists.
/// </summary>
public sealed class ApplianceOptions
{
    public const string SectionName = "Appliance";

    /// <summary>The server's own host name: EHLO name, certificate subject, banner.</summary>
    public string Hostname { get; set; } = "localhost";

    /// <summary>
    /// The IPv4 and IPv6 addresses the world reaches this server on (behind NAT: the public one).
    /// The DNS page shows A, AAAA and PTR records for them and evaluates SPF from them; the
    /// installer fills it in. Empty: those records are not shown.
    /// </summary>
    public List<string> PublicAddresses { get; set; } = [];

    /// <summary><see cref="PublicAddresses"/> parsed; a value that is not an IP address is a configuration error naming it.</summary>
    public IReadOnlyList<System.Net.IPAddress> ParsePublicAddresses() =>
        PublicAddresses.Select(text => System.Net.IPAddress.TryParse(text.Trim(), out var address)
            ? address
            : throw new ApplianceConfigurationException($"Appliance:PublicAddresses: \"{text}\" is not an IPv4 or IPv6 address.")).ToList();

    /// <summary>Root of everything the server writes: database, mail store, keys, certificates.</summary>
    public string DataDirectory { get; set; } = "./data";

    public DatabaseOptions Database { get; set; } = new();

    public ListenersOptions Listeners { get; set; } = new();

    /// <summary>The DNS resolver: nameservers, timeout and attempts (default: /etc/resolv.conf).</summary>
    public DnsOptions Dns { get; set; } = new();

    /// <summary>The SMTP server: limits and policies of ports 25, 587 and 465.</summary>
    public Appliance.Server.Smtp.SmtpServerOptions Smtp { get; set; } = new();

    /// <summary>The IMAP server: limits of ports 143 and 993.</summary>
    public Appliance.Server.Imap.ImapServerOptions Imap { get; set; } = new();

    /// <summary>The POP3 server: limits of ports 110 and 995.</summary>
    public Appliance.Server.Pop3.Pop3ServerOptions Pop3 { get; set; } = new();

    /// <summary>The outbound queue: retries, lifetime, smarthost.</summary>
    public Appliance.Server.Queue.QueueOptions Queue { get; set; } = new();

    /// <summary>Certificates from Let's Encrypt (or another ACME CA).</summary>
    public AcmeOptions Acme { get; set; } = new();

    /// <summary>The web admin's policies: whether admins must use two-factor sign-in.</summary>
    public AdminOptions Admin { get; set; } = new();

    /// <summary>Password sign-in: the cache of verified credentials (TTL and size).</summary>
    public AuthenticationOptions Authentication { get; set; } = new();

    /// <summary>Absolute data directory (relative paths are taken from the working directory).</summary>
    public string DataPath => Path.GetFullPath(DataDirectory);

    /// <summary>Where the per-account Maildirs and indexes live.</summary>
    public string MailStorePath => Path.Combine(DataPath, "mail");
}

public enum DatabaseProvider
{
    Sqlite,
    PostgreSql,
}

public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// Connection string. For SQLite it defaults to appliance.db in the data directory; for
    /// PostgreSQL it is required.
    /// </summary>
    public string? ConnectionString { get; set; }
}

/// <summary>One listening endpoint. Port 0 asks the OS for a free port (tests).</summary>
public sealed class ListenerEndpointOptions
{
    public bool Enabled { get; set; } = true;
    public string Address { get; set; } = "127.0.0.1";
    public int Port { get; set; }
}

public sealed class ListenersOptions
{
    /// <summary>Plain HTTP: ACME http-01 challenges and a redirect to HTTPS (installed), the UI (from a checkout).</summary>
    public ListenerEndpointOptions Http { get; set; } = new() { Port = 8080 };
    /// <summary>HTTPS for the admin UI and webmail.</summary>
    public ListenerEndpointOptions Https { get; set; } = new() { Port = 8443 };
    public ListenerEndpointOptions Smtp { get; set; } = new() { Port = 2525 };
    public ListenerEndpointOptions Submission { get; set; } = new() { Port = 2587 };
    public ListenerEndpointOptions Smtps { get; set; } = new() { Port = 2465 };
    public ListenerEndpointOptions Imap { get; set; } = new() { Port = 2143 };
    public ListenerEndpointOptions Imaps { get; set; } = new() { Port = 2993 };
    public ListenerEndpointOptions Pop3 { get; set; } = new() { Port = 2110 };
    public ListenerEndpointOptions Pop3s { get; set; } = new() { Port = 2995 };
    /// <summary>Per-address connection limits, idle timeouts, TLS handshake and shutdown times of the mail listeners.</summary>
    public Appliance.Server.Listeners.ListenerLimitsOptions Limits { get; set; } = new();
}
