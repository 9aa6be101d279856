namespace Appliance.Server.Smtp;

/// <summary>
/// Limits and policies of the SMTP server (Appliance:Smtp), for ports 25, 587 and 465 alike.
/// Each default says where it comes from.
/// </summary>
public sealed class SmtpServerOptions
{
    /// <summary>
    /// Longest command line, CRLF included. RFC 5321 4.5.3.1.4 sets 512; ESMTP parameters
    /// (SIZE, BODY, SMTPUTF8, RET, ENVID on MAIL; NOTIFY, ORCPT on RCPT) add to it (RFC 1869
    /// 4.1.2 allows 512 plus 50 per extension), and AUTH PLAIN's initial response can be 4 KB of
    /// base64. Postfix's line_length_limit is 2048; we take 4096 so an AUTH PLAIN with a long
    /// password fits.
    /// </summary>
    public int MaxCommandLineLength { get; set; } = 4096;

    /// <summary>
    /// Longest line of message text in DATA, CRLF included. RFC 5321 4.5.3.1.6 sets 1000; real mail
    /// (HTML mailers) breaks it, and Postfix accepts any length by splitting. We accept lines up to
    /// 64 KB as they are and refuse longer ones with 500 5.5.2 after the end of data.
    /// </summary>
    public int MaxTextLineLength { get; set; } = 65536;

    /// <summary>Largest message in octets: the 50 MB (Postfix's message_size_limit is 10 MB; Gmail accepts 25 MB+ with encoding overhead).</summary>
    public long MaxMessageSize { get; set; } = 50L * 1024 * 1024;

    /// <summary>Recipients per message: RFC 5321 4.5.3.1.8 requires at least 100; Postfix's smtpd_recipient_limit is 1000.</summary>
    public int MaxRecipients { get; set; } = 1000;

    /// <summary>Errors (5xx/4xx replies to the client's mistakes) before we disconnect: Postfix's smtpd_hard_error_limit, 20.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>
    /// Unknown recipients a session may try before we slow down each reply (Postfix's
    /// smtpd_soft_error_limit is 10 and smtpd_error_sleep_time 1 s).
    /// </summary>
    public int UnknownRecipientsBeforeDelay { get; set; } = 3;

    /// <summary>The delay added to each reply once <see cref="UnknownRecipientsBeforeDelay"/> is reached: Postfix's smtpd_error_sleep_time, 1 second.</summary>
    public TimeSpan UnknownRecipientDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Unknown recipients after which the session is closed with 421: Postfix's smtpd_hard_error_limit, 20 (half that for probes: a sender with 10 bad addresses is a harvester).</summary>
    public int MaxUnknownRecipients { get; set; } = 10;

    /// <summary>
    /// Slowest average rate a message may arrive at, in octets per second, checked after
    /// <see cref="DataRateGracePeriod"/>. A slow-loris client sending a byte just inside every idle
    /// timeout would hold a connection for days otherwise. Postfix 3.7's smtpd_min_data_rate is
    /// 500; at that rate a 50 MB message may still take 29 hours. The per-read idle timeout (RFC
    /// 5321 4.5.3.2.7, five minutes) applies as well.
    /// </summary>
    public int MinimumDataRate { get; set; } = 500;

    /// <summary>Time before <see cref="MinimumDataRate"/> is checked: a minute absorbs TCP slow start and a stalled first round trip.</summary>
    public TimeSpan DataRateGracePeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Time to wait for the client before the banner to detect "talks first" (Postfix postscreen's greet pause; 0 disables). Only port 25.</summary>
    public TimeSpan GreetPause { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// The Received header of authenticated submissions leaves out the client's IP address and
    /// HELO name (privacy by default; as Postfix's header_checks "IGNORE" recipes and Stalwart's
    /// received-headers option do). Set false to include them.
    /// </summary>
    public bool HideSubmitterInReceived { get; set; } = true;

    /// <summary>Failed AUTH attempts in one session before we disconnect: Postfix's smtpd_hard_error_limit applies; Dovecot's auth_failure_delay is 2 s.</summary>
    public int MaxAuthFailures { get; set; } = 3;

    /// <summary>Delay before replying to a failed AUTH: Dovecot's auth_failure_delay, 2 seconds.</summary>
    public TimeSpan AuthFailureDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Fails start-up with the setting's name, and refuses values below what RFC 5321 requires every server to accept.</summary>
    internal void Validate()
    {
        const string Prefix = "Appliance:Smtp:";
        var errors = new List<string>();
        void AtLeast(string name, long value, long minimum, string why)
        {
            if (value < minimum)
                errors.Add($"{Prefix}{name} must be at least {minimum} ({why}); it is {value}.");
        }
        AtLeast(nameof(MaxCommandLineLength), MaxCommandLineLength, 512, "RFC 5321 4.5.3.1.4");
        AtLeast(nameof(MaxTextLineLength), MaxTextLineLength, 1000, "RFC 5321 4.5.3.1.6");
        AtLeast(nameof(MaxMessageSize), MaxMessageSize, 64 * 1024, "RFC 5321 4.5.3.1.7");
        AtLeast(nameof(MaxRecipients), MaxRecipients, 100, "RFC 5321 4.5.3.1.8");
        AtLeast(nameof(MaxErrors), MaxErrors, 1, "a session needs room for one mistake");
        AtLeast(nameof(MaxUnknownRecipients), MaxUnknownRecipients, 1, "a typo is not an attack");
        AtLeast(nameof(MaxAuthFailures), MaxAuthFailures, 1, "a mistyped password is not an attack");
        AtLeast(nameof(UnknownRecipientsBeforeDelay), UnknownRecipientsBeforeDelay, 0, "a count");
        AtLeast(nameof(MinimumDataRate), MinimumDataRate, 0, "octets per second; 0 turns the check off");
        foreach (var (name, value) in new[]
        {
            (nameof(UnknownRecipientDelay), UnknownRecipientDelay),
            (nameof(GreetPause), GreetPause),
            (nameof(AuthFailureDelay), AuthFailureDelay),
            (nameof(DataRateGracePeriod), DataRateGracePeriod),
        })
        {
            if (value < TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
                errors.Add($"{Prefix}{name} must be a time span from 0 to 24 days (it is {value}).");
        }
        if (errors.Count > 0)
            throw new Configuration.ApplianceConfigurationException(string.Join(Environment.NewLine, errors));
    }
}
