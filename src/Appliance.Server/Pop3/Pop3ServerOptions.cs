using Appliance.Server.Configuration;

namespace Appliance.Server.Pop3;

/// <summary>Limits of the POP3 server (Appliance:Pop3), ports 110 and 995. Each default says where it comes from.</summary>
public sealed class Pop3ServerOptions
{
    /// <summary>Longest command line, CRLF included: RFC 2449 section 4 sets 255 octets.</summary>
    public int MaxCommandLineLength { get; set; } = 255;

    /// <summary>Bad commands before we disconnect: as for SMTP, Postfix's smtpd_hard_error_limit (20); Dovecot's pop3 has no such limit but closes on 10 bad commands in a row.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Failed logins in one session before we disconnect: Dovecot's auth allows 3 before slowing further.</summary>
    public int MaxAuthFailures { get; set; } = 3;

    /// <summary>Delay before answering a failed login: Dovecot's auth_failure_delay, 2 seconds.</summary>
    public TimeSpan AuthFailureDelay { get; set; } = TimeSpan.FromSeconds(2);

    internal void Validate()
    {
        var errors = new List<string>();
        if (MaxCommandLineLength < 255)
            errors.Add($"Appliance:Pop3:MaxCommandLineLength must be at least 255 (RFC 2449 section 4); it is {MaxCommandLineLength}.");
        if (MaxErrors < 1)
            errors.Add($"Appliance:Pop3:MaxErrors must be at least 1; it is {MaxErrors}.");
        if (MaxAuthFailures < 1)
            errors.Add($"Appliance:Pop3:MaxAuthFailures must be at least 1; it is {MaxAuthFailures}.");
        if (AuthFailureDelay < TimeSpan.Zero || AuthFailureDelay.TotalMilliseconds > int.MaxValue)
            errors.Add($"Appliance:Pop3:AuthFailureDelay must be a time span from 0 to 24 days (it is {AuthFailureDelay}).");
        if (errors.Count > 0)
            throw new ApplianceConfigurationException(string.Join(Environment.NewLine, errors));
    }
}
