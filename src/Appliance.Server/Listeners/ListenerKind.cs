using Appliance.Server.Configuration;

namespace Appliance.Server.Listeners;

/// <summary>The listening endpoints, named as in the configuration (Appliance:Listeners:&lt;name&gt;).</summary>
public enum ListenerKind
{
    Http,
    Https,
    /// <summary>SMTP relay/MX, port 25 (RFC 5321), STARTTLS (RFC 3207).</summary>
    Smtp,
    /// <summary>Message submission, port 587 (RFC 6409), STARTTLS.</summary>
    Submission,
    /// <summary>Submission over implicit TLS, port 465 (RFC 8314 section 3.3).</summary>
    Smtps,
    /// <summary>IMAP, port 143 (RFC 9051), STARTTLS.</summary>
    Imap,
    /// <summary>IMAP over implicit TLS, port 993 (RFC 8314).</summary>
    Imaps,
    /// <summary>POP3, port 110 (RFC 1939), STLS (RFC 2595).</summary>
    Pop3,
    /// <summary>POP3 over implicit TLS, port 995 (RFC 8314).</summary>
    Pop3s,
}

/// <summary>The protocol family spoken on a mail endpoint; it decides reply texts and limits.</summary>
internal enum MailProtocol
{
    Smtp,
    Imap,
    Pop3,
}

internal static class ListenerKinds
{
    public static IReadOnlyList<ListenerKind> All { get; } = Enum.GetValues<ListenerKind>();

    public static bool IsMail(this ListenerKind kind) => kind is not (ListenerKind.Http or ListenerKind.Https);

    /// <summary>TLS from the first byte (the HTTPS-style ports), rather than plaintext with STARTTLS.</summary>
    public static bool IsImplicitTls(this ListenerKind kind) =>
        kind is ListenerKind.Https or ListenerKind.Smtps or ListenerKind.Imaps or ListenerKind.Pop3s;

    public static MailProtocol Protocol(this ListenerKind kind) => kind switch
    {
        ListenerKind.Smtp or ListenerKind.Submission or ListenerKind.Smtps => MailProtocol.Smtp,
        ListenerKind.Imap or ListenerKind.Imaps => MailProtocol.Imap,
        ListenerKind.Pop3 or ListenerKind.Pop3s => MailProtocol.Pop3,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a mail endpoint."),
    };

    public static ListenerEndpointOptions Endpoint(this ListenersOptions listeners, ListenerKind kind) => kind switch
    {
        ListenerKind.Http => listeners.Http,
        ListenerKind.Https => listeners.Https,
        ListenerKind.Smtp => listeners.Smtp,
        ListenerKind.Submission => listeners.Submission,
        ListenerKind.Smtps => listeners.Smtps,
        ListenerKind.Imap => listeners.Imap,
        ListenerKind.Imaps => listeners.Imaps,
        ListenerKind.Pop3 => listeners.Pop3,
        ListenerKind.Pop3s => listeners.Pop3s,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static int ConnectionsPerAddress(this ListenerLimitsOptions limits, MailProtocol protocol) => protocol switch
    {
        MailProtocol.Smtp => limits.SmtpConnectionsPerAddress,
        MailProtocol.Imap => limits.ImapConnectionsPerAddress,
        _ => limits.Pop3ConnectionsPerAddress,
    };

    public static TimeSpan IdleTimeout(this ListenerLimitsOptions limits, MailProtocol protocol) => protocol switch
    {
        MailProtocol.Smtp => limits.SmtpIdleTimeout,
        MailProtocol.Imap => limits.ImapIdleTimeout,
        _ => limits.Pop3IdleTimeout,
    };
}
