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
