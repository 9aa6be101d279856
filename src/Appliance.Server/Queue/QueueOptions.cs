using Appliance.Server.Configuration;

namespace Appliance.Server.Queue;

/// <summary>The outbound queue (Appliance:Queue). Each default says where it comes from.</summary>
public sealed class QueueOptions
{
    /// <summary>First retry delay after a 4xx or a connection failure: Postfix's minimal_backoff_time is 300 s.</summary>
    public TimeSpan MinimumBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest delay between retries: Postfix's maximal_backoff_time is 4000 s; we round to 4 hours as the issue asks.</summary>
    public TimeSpan MaximumBackoff { get; set; } = TimeSpan.FromHours(4);

    /// <summary>How long a message is retried before it bounces: Postfix's maximal_queue_lifetime is 5 days (RFC 5321 4.5.4.1 says at least 4-5 days).</summary>
    public TimeSpan MaximumLifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>
    /// Relay every outbound message through this host instead of MX delivery (a smarthost), or
    /// null for direct delivery.
    /// </summary>
    public SmarthostOptions? Smarthost { get; set; }

    /// <summary>
    /// Connections open at once to one destination domain (or smarthost). Postfix's
    /// default_destination_concurrency_limit is 20; we take 5, a polite figure for a small server
    /// that large receivers (Gmail, Outlook) do not throttle.
    /// </summary>
    public int MaxConnectionsPerDomain { get; set; } = 5;

    /// <summary>Outbound connections (and local deliveries) open at once in all: Postfix's default_process_limit is 100; 20 suits a small appliance.</summary>
    public int MaxConnections { get; set; } = 20;

    /// <summary>
    /// How often the worker looks for due retries and for rows written by another process (the
    /// CLI's retry). Fresh mail wakes it at once; Postfix's queue_run_delay is 300 s, we look
    /// every 30 s because a look is one indexed query.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Addresses (of the MX hosts in order, IPv6 and IPv4) tried per delivery attempt before the
    /// recipients are deferred: Postfix's smtp_mx_address_limit is 5.
    /// </summary>
    public int MaxHostsPerAttempt { get; set; } = 5;

    /// <summary>
    /// Largest original returned whole in a DSN when the sender asked RET=FULL; larger ones are
    /// returned as headers only. Postfix's bounce_size_limit is 50000 octets.
    /// </summary>
    public long MaxReturnedMessageSize { get; set; } = 50_000;

    /// <summary>
    /// Recipients of one message sent in one SMTP transaction; more go in further transactions.
    /// RFC 5321 4.5.3.1.8 obliges servers to take at least 100; Postfix's
    /// smtp_destination_recipient_limit is 50, which we follow.
    /// </summary>
    public int MaxRecipientsPerTransaction { get; set; } = 50;

    /// <summary>
    /// Due recipients the worker takes per scan, oldest first; the rest wait for the next scan
    /// (which follows as soon as a delivery ends). Postfix's qmgr_message_recipient_limit is 20000
    /// in memory; 1000 keeps each scan one cheap indexed query.
    /// </summary>
    public int ScanBatchSize { get; set; } = 1000;

    /// <summary>The SMTP client's timeouts and reply limits.</summary>
    public SmtpClientOptions Client { get; set; } = new();

    /// <summary>
    /// FOR TESTS ONLY: connect to this port instead of 25 for MX delivery, so a test can point a
    /// domain's MX at a fake or real server on a loopback high port. Null (the default) in production.
    /// </summary>
    public int? RemotePortOverride { get; set; }

    /// <summary>Fails start-up with the setting's name rather than a timer or semaphore error at the first delivery.</summary>
    internal void Validate()
    {
        const string Prefix = "Appliance:Queue:";
        var errors = new List<string>();
        foreach (var (name, value) in new[]
        {
            (nameof(MaxConnectionsPerDomain), MaxConnectionsPerDomain),
            (nameof(MaxConnections), MaxConnections),
            (nameof(MaxHostsPerAttempt), MaxHostsPerAttempt),
            (nameof(ScanBatchSize), ScanBatchSize),
            (nameof(MaxRecipientsPerTransaction), MaxRecipientsPerTransaction),
            ("Client:" + nameof(SmtpClientOptions.MaxReplyLineLength), Client.MaxReplyLineLength),
            ("Client:" + nameof(SmtpClientOptions.MaxReplyLines), Client.MaxReplyLines),
        })
        {
            if (value < 1)
                errors.Add($"{Prefix}{name} must be 1 or more (it is {value}).");
        }
        foreach (var (name, value) in new[]
        {
            (nameof(MinimumBackoff), MinimumBackoff),
            (nameof(MaximumBackoff), MaximumBackoff),
            (nameof(PollInterval), PollInterval),
            ("Client:" + nameof(SmtpClientOptions.ConnectTimeout), Client.ConnectTimeout),
            ("Client:" + nameof(SmtpClientOptions.GreetingTimeout), Client.GreetingTimeout),
            ("Client:" + nameof(SmtpClientOptions.CommandTimeout), Client.CommandTimeout),
            ("Client:" + nameof(SmtpClientOptions.TlsHandshakeTimeout), Client.TlsHandshakeTimeout),
            ("Client:" + nameof(SmtpClientOptions.MailTimeout), Client.MailTimeout),
            ("Client:" + nameof(SmtpClientOptions.RcptTimeout), Client.RcptTimeout),
            ("Client:" + nameof(SmtpClientOptions.DataInitiationTimeout), Client.DataInitiationTimeout),
            ("Client:" + nameof(SmtpClientOptions.DataBlockTimeout), Client.DataBlockTimeout),
            ("Client:" + nameof(SmtpClientOptions.DataTerminationTimeout), Client.DataTerminationTimeout),
        })
        {
            // CancellationTokenSource.CancelAfter and Task.Delay accept at most int.MaxValue milliseconds (about 24.8 days).
            if (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue)
                errors.Add($"{Prefix}{name} must be a positive time span of at most 24 days (it is {value}).");
        }
        if (MaximumBackoff < MinimumBackoff)
            errors.Add($"{Prefix}{nameof(MaximumBackoff)} ({MaximumBackoff}) must not be less than {nameof(MinimumBackoff)} ({MinimumBackoff}).");
        if (MaximumLifetime < TimeSpan.Zero)
            errors.Add($"{Prefix}{nameof(MaximumLifetime)} must not be negative (it is {MaximumLifetime}).");
        if (Smarthost is { } smarthost && (string.IsNullOrWhiteSpace(smarthost.Host) || smarthost.Port is < 1 or > 65535))
            errors.Add($"{Prefix}Smarthost needs a Host and a Port from 1 to 65535.");
        if (RemotePortOverride is < 1 or > 65535)
            errors.Add($"{Prefix}{nameof(RemotePortOverride)} must be a port from 1 to 65535 (it is {RemotePortOverride}).");
        if (errors.Count > 0)
            throw new ApplianceConfigurationException(string.Join(Environment.NewLine, errors));
    }
}

/// <summary>The SMTP client of outbound delivery (Appliance:Queue:Client). Each default says where it comes from.</summary>
public sealed class SmtpClientOptions
{
    /// <summary>Connecting to one address (TCP handshake): Postfix's smtp_connect_timeout is 30 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Waiting for the 220 greeting: RFC 5321 4.5.3.2.1, initial 220 message, 5 minutes.</summary>
    public TimeSpan GreetingTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reply to EHLO/HELO, STARTTLS, AUTH, RSET, QUIT: RFC 5321 gives no figure; Postfix's smtp_helo_timeout is 300 s.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>TLS handshake after STARTTLS or on port 465: Postfix's smtp_starttls_timeout is 300 s; a minute is plenty.</summary>
    public TimeSpan TlsHandshakeTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Reply to MAIL: RFC 5321 4.5.3.2.2, 5 minutes.</summary>
    public TimeSpan MailTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Reply to each RCPT: RFC 5321 4.5.3.2.3, 5 minutes.</summary>
    public TimeSpan RcptTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The 354 reply to DATA: RFC 5321 4.5.3.2.4, 2 minutes.</summary>
    public TimeSpan DataInitiationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Each write of message data: RFC 5321 4.5.3.2.5, data block, 3 minutes.</summary>
    public TimeSpan DataBlockTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The reply after the final dot: RFC 5321 4.5.3.2.6, DATA termination, 10 minutes.</summary>
    public TimeSpan DataTerminationTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Longest reply line we accept, CRLF included: RFC 5321 4.5.3.1.5 sets 512; Postfix's line_length_limit is 2048.</summary>
    public int MaxReplyLineLength { get; set; } = 2048;

    /// <summary>Lines of one multi-line reply (EHLO lists extensions): no RFC limit; 100 is far above any real EHLO reply.</summary>
    public int MaxReplyLines { get; set; } = 100;
}

/// <summary>A relay host for all outbound mail (Postfix relayhost with smtp_sasl_auth_enable).</summary>
public sealed class SmarthostOptions
{
    public string Host { get; set; } = "";

    /// <summary>587 is the submission port (RFC 6409); 465 means implicit TLS (RFC 8314).</summary>
    public int Port { get; set; } = 587;

    public string? Username { get; set; }

    public string? Password { get; set; }

    /// <summary>Refuse to send (and defer) when the smarthost offers no TLS or its certificate does not verify.</summary>
    public bool RequireTls { get; set; } = true;
}
