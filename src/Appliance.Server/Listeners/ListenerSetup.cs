using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Appliance.Server.Listeners;

/// <summary>Wiring of the listener plumbing into DI and into Kestrel's ListenOptions.</summary>
internal static class ListenerSetup
{
    /// <summary>Registers the certificate provider and its status, STARTTLS helper, per-address limiter and session tracker.</summary>
    public static IServiceCollection AddMailListeners(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ServerCertificateProvider>();
        services.TryAddSingleton<CertificateStatus>();
        services.TryAddSingleton<StartTlsUpgrader>();
        services.TryAddSingleton<PerIpConnectionLimiter>();
        services.TryAddSingleton<MailSessionTracker>();
        return services;
    }

    /// <summary>
    /// TLS with the provider's certificate for the client's SNI name (RFC 6066 3), chosen per
    /// handshake so that a newly installed certificate (ACME) is used from the next connection on.
    /// The per-connection callback rather than ServerCertificateSelector: it returns the certificate
    /// context with its chain, so browsers get the intermediates too.
    /// </summary>
    public static ListenOptions UseServerCertificate(this ListenOptions listen)
    {
        var services = listen.ApplicationServices;
        var certificates = services.GetRequiredService<ServerCertificateProvider>();
        var limits = services.GetRequiredService<ApplianceOptions>().Listeners.Limits;
        return listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context => ValueTask.FromResult(certificates.CreateServerAuthenticationOptions(context.ClientHelloInfo.ServerName)),
            HandshakeTimeout = limits.TlsHandshakeTimeout,
        });
    }

    /// <summary>
    /// Makes <paramref name="listen"/> a mail endpoint served by the engine of its protocol (each
    /// engine's handler is registered by AddSmtpServer, AddImapServer and AddPop3Server).
    /// </summary>
    public static ListenOptions UseMailEndpoint(this ListenOptions listen, ListenerKind kind) => kind.Protocol() switch
    {
        MailProtocol.Smtp => listen.UseMailEndpoint<Smtp.SmtpHandler>(kind),
        MailProtocol.Imap => listen.UseMailEndpoint<Imap.ImapHandler>(kind),
        _ => listen.UseMailEndpoint<Pop3.Pop3Handler>(kind),
    };

    /// <summary>The mail middleware (which does implicit TLS on 465/993/995 itself), then the handler.</summary>
    public static ListenOptions UseMailEndpoint<THandler>(this ListenOptions listen, ListenerKind kind)
        where THandler : ConnectionHandler
    {
        if (!kind.IsMail())
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a mail endpoint.");
        // Mail endpoints speak no HTTP; HTTP/1.1 only keeps Kestrel from offering h2 in ALPN.
        listen.Protocols = HttpProtocols.Http1;
        var services = listen.ApplicationServices;
        listen.Use(next => new MailConnectionMiddleware(next, kind, services).OnConnectionAsync);
        listen.UseConnectionHandler<THandler>();
        return listen;
    }
}
