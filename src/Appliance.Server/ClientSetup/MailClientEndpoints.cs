// Which services a mail client should use, most preferred first: implicit TLS before STARTTLS
// (RFC 8314 section 3.3 and 4.1 recommend implicit TLS for submission and access), IMAP before POP3.
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;

namespace Appliance.Server.ClientSetup;

public enum MailClientProtocol
{
    Imap,
    Pop3,
    Smtp,
}

public enum MailClientSecurity
{
    /// <summary>TLS from the first byte (ports 993, 995, 465).</summary>
    ImplicitTls,
    /// <summary>Plain connection upgraded with STARTTLS/STLS before any password (ports 143, 110, 587).</summary>
    StartTls,
}

/// <summary>One service a client can be set up with.</summary>
public sealed record MailClientEndpoint(MailClientProtocol Protocol, string Host, int Port, MailClientSecurity Security);

public static class MailClientEndpoints
{
    /// <summary>
    /// The enabled client-facing listeners of this server with their configured ports (the
    /// installed configuration uses the standard ones), most preferred first.
    /// </summary>
    /// <param name="boundPort">The port a listener really got, when the configuration says 0 (tests); null uses the configured ports.</param>
    public static IReadOnlyList<MailClientEndpoint> From(ApplianceOptions options, Func<ListenerKind, int?>? boundPort = null)
    {
        var listeners = options.Listeners;
        var all = new (ListenerKind Kind, ListenerEndpointOptions Listener, MailClientProtocol Protocol, MailClientSecurity Security)[]
        {
            (ListenerKind.Imaps, listeners.Imaps, MailClientProtocol.Imap, MailClientSecurity.ImplicitTls),
            (ListenerKind.Imap, listeners.Imap, MailClientProtocol.Imap, MailClientSecurity.StartTls),
            (ListenerKind.Pop3s, listeners.Pop3s, MailClientProtocol.Pop3, MailClientSecurity.ImplicitTls),
            (ListenerKind.Pop3, listeners.Pop3, MailClientProtocol.Pop3, MailClientSecurity.StartTls),
            (ListenerKind.Smtps, listeners.Smtps, MailClientProtocol.Smtp, MailClientSecurity.ImplicitTls),
            (ListenerKind.Submission, listeners.Submission, MailClientProtocol.Smtp, MailClientSecurity.StartTls),
        };
        return [.. all.Where(e => e.Listener.Enabled).Select(e =>
            new MailClientEndpoint(e.Protocol, options.Hostname, boundPort?.Invoke(e.Kind) ?? e.Listener.Port, e.Security))];
    }

    /// <summary>The RFC 6186 section 3 SRV service label: _imaps, _imap, _pop3s, _pop3, _submissions (RFC 8314 5.1), _submission.</summary>
    public static string SrvService(MailClientEndpoint endpoint) => (endpoint.Protocol, endpoint.Security) switch
    {
        (MailClientProtocol.Imap, MailClientSecurity.ImplicitTls) => "_imaps",
        (MailClientProtocol.Imap, _) => "_imap",
        (MailClientProtocol.Pop3, MailClientSecurity.ImplicitTls) => "_pop3s",
        (MailClientProtocol.Pop3, _) => "_pop3",
        (_, MailClientSecurity.ImplicitTls) => "_submissions",
        _ => "_submission",
    };
}

/// <summary>The port each listener really bound (the host knows it once started); null when unknown or disabled.</summary>
public interface IBoundListenerPorts
{
    int? PortOf(ListenerKind kind);
}
