using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Appliance.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Certificates;

/// <summary>
/// The one source of the server certificate for every TLS path (HTTPS, implicit TLS on 465/993/995,
/// STARTTLS on 25/587/143/110). Each handshake asks for <see cref="Current"/>, so replacing it
/// (ACME renewal, an administrator's upload) takes effect on the next connection without a restart.
/// </summary>
internal sealed partial class ServerCertificateProvider
{
    /// <summary>
    /// TLS 1.2 and 1.3 only: RFC 8996 deprecates TLS 1.0 and 1.1, and RFC 8314 4.1 asks mail
    /// servers for TLS 1.2 or later.
    /// </summary>
    public const SslProtocols EnabledProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    private sealed record Snapshot(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    private readonly ApplianceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ServerCertificateProvider> _logger;
    private readonly Lock _loadLock = new();
    private volatile Snapshot? _current;

    public ServerCertificateProvider(ApplianceOptions options, TimeProvider time, ILogger<ServerCertificateProvider> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Where the certificate is stored: {DataDirectory}/certs/server.pfx.</summary>
    public string CertificatePath => CertificateStore.PathFor(_options.DataPath);

    /// <summary>The certificate to present now. <see cref="LoadOrCreate"/> must have run (the host does it before serving).</summary>
    public X509Certificate2 Current => (_current ?? throw NotLoaded()).Certificate;

    /// <summary>
    /// Loads {DataDirectory}/certs/server.pfx, or creates a self-signed certificate for the configured
    /// host name when it is missing, expired, unreadable or for another name. Runs once; later calls
    /// return the current certificate.
    /// </summary>
    public X509Certificate2 LoadOrCreate()
    {
        lock (_loadLock)
        {
            if (_current is { } loaded)
                return loaded.Certificate;
            var stored = CertificateStore.LoadOrCreate(_options.DataPath, _options.Hostname, _time.GetUtcNow());
            LogCertificate(stored.Origin, stored.Path, stored.Certificate.Subject, stored.Certificate.Thumbprint, stored.Certificate.NotAfter.ToUniversalTime());
            Swap(stored.Certificate);
            return stored.Certificate;
        }
    }

    /// <summary>
    /// Atomically replaces the certificate for all later handshakes. The previous one is not
    /// disposed: a handshake that already picked it may still be using it.
    /// </summary>
    public void Replace(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!certificate.HasPrivateKey)
            throw new ArgumentException("The server certificate needs its private key.", nameof(certificate));
        Swap(certificate);
        LogReplaced(certificate.Subject, certificate.Thumbprint, certificate.NotAfter.ToUniversalTime());
    }

    /// <summary>The server side of a handshake with the current certificate; the STARTTLS path uses it.</summary>
    public SslServerAuthenticationOptions CreateServerAuthenticationOptions() => new()
    {
        ServerCertificateContext = (_current ?? throw NotLoaded()).Context,
        EnabledSslProtocols = EnabledProtocols,
        ClientCertificateRequired = false,
        // Revocation of client certificates does not apply (none are requested); skip the network.
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private void Swap(X509Certificate2 certificate)
    {
        // The context (certificate plus chain) is built once per certificate, not per handshake.
        // offline: the chain of a self-signed or freshly issued certificate must not wait on the network.
        var context = SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true);
        _current = new Snapshot(certificate, context);
    }

    private static InvalidOperationException NotLoaded() =>
        new("The server certificate is not loaded yet; call LoadOrCreate() first.");

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information,
        Message = "Server certificate {Origin}: {Path}, subject {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    private partial void LogCertificate(CertificateOrigin origin, string path, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information,
        Message = "Server certificate replaced: subject {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    private partial void LogReplaced(string subject, string thumbprint, DateTime notAfter);
}
