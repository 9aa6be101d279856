using Appliance.Server.Configuration;
namespace Appliance.Server.Listeners;

/// <summary>
/// Limits of the mail listeners (Appliance:Listeners:Limits). Each default says where it comes from.
/// </summary>
public sealed class ListenerLimitsOptions
{
    /// <summary>
    /// Concurrent SMTP connections (ports 25, 587 and 465 together) from one IP address.
    /// Postfix's smtpd_client_connection_count_limit defaults to 50 (half its default_process_limit).
    /// </summary>
    public int SmtpConnectionsPerAddress { get; set; } = 50;

    /// <summary>
    /// Concurrent IMAP connections (143 and 993 together) from one IP address. Dovecot's
    /// mail_max_userip_connections defaults to 10 per user and address; before login we only know
    /// the address, so this allows a household or office of five such users behind one NAT.
    /// </summary>
    public int ImapConnectionsPerAddress { get; set; } = 50;

    /// <summary>
    /// Concurrent POP3 connections (110 and 995 together) from one IP address. A POP3 session locks
    /// its maildrop (RFC 1939 section 8), so clients rarely hold more than one; we take Dovecot's
    /// per-user-and-address default of 10 (mail_max_userip_connections) for the whole address.
    /// </summary>
    public int Pop3ConnectionsPerAddress { get; set; } = 10;

    /// <summary>Idle time after which an SMTP session is closed: RFC 5321 section 4.5.3.2.7, server timeout 5 minutes.</summary>
    public TimeSpan SmtpIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Idle time after which an IMAP session is closed: RFC 9051 section 5.4, an autologout timer of at least 30 minutes.</summary>
    public TimeSpan ImapIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Idle time after which a POP3 session is closed: RFC 1939 section 3, an autologout timer of at least 10 minutes.</summary>
    public TimeSpan Pop3IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time a TLS handshake (implicit or after STARTTLS) may take: Kestrel's HttpsConnectionAdapterOptions.HandshakeTimeout default, 10 seconds.</summary>
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Time sessions get to say goodbye and close when the server stops, after which the rest are
    /// aborted. The .NET host's default HostOptions.ShutdownTimeout (30 seconds), well inside
    /// systemd's default TimeoutStopSec of 90 seconds.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Fails start-up with the setting's name rather than a timer error on the first connection.</summary>
    internal void Validate()
    {
        const string Prefix = "Appliance:Listeners:Limits:";
        var errors = new List<string>();
        foreach (var (name, value) in new[]
        {
            (nameof(SmtpConnectionsPerAddress), SmtpConnectionsPerAddress),
            (nameof(ImapConnectionsPerAddress), ImapConnectionsPerAddress),
            (nameof(Pop3ConnectionsPerAddress), Pop3ConnectionsPerAddress),
        })
        {
            if (value < 0)
                errors.Add($"{Prefix}{name} must be 0 or more (it is {value}).");
        }
        foreach (var (name, value) in new[]
        {
            (nameof(SmtpIdleTimeout), SmtpIdleTimeout),
            (nameof(ImapIdleTimeout), ImapIdleTimeout),
            (nameof(Pop3IdleTimeout), Pop3IdleTimeout),
            (nameof(TlsHandshakeTimeout), TlsHandshakeTimeout),
            (nameof(ShutdownTimeout), ShutdownTimeout),
        })
        {
            // CancellationTokenSource.CancelAfter accepts at most int.MaxValue milliseconds (about 24.8 days).
            if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
                errors.Add($"{Prefix}{name} must be a positive time span of at most 24 days (it is {value}).");
        }
        if (errors.Count > 0)
            throw new ApplianceConfigurationException(string.Join(Environment.NewLine, errors));
    }
}
