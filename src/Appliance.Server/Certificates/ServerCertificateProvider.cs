using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Certificates;

/// <summary>Where a served certificate came from.</summary>
public enum CertificateSource
{
    /// <summary>The bootstrap certificate made on first start: served until the first issuance, and for names nothing else covers.</summary>
    SelfSigned,
    /// <summary>Issued by the ACME CA (or a stand-in for it) and renewed by <see cref="CertificateManager"/>.</summary>
    Acme,
}

/// <summary>One certificate as served: its names, and the TLS context (leaf plus chain) built once for it.</summary>
internal sealed class ServedCertificate
{
    public ServedCertificate(X509Certificate2 certificate, X509Certificate2Collection chain, CertificateSource source)
    {
        Certificate = certificate;
        Chain = chain;
        Source = source;
        Names = CertificateNames.Of(certificate);
        // Built once per certificate, not per handshake. The chain goes in as additional certificates
        // so that clients are sent the intermediates (RFC 8446 4.4.2: the server's chain follows its
        // certificate). offline: nothing here may wait on the network to fetch issuers.
        Context = SslStreamCertificateContext.Create(certificate, chain, offline: true);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>The intermediates sent after the leaf, nearest issuer first.</summary>
    public X509Certificate2Collection Chain { get; }

    public CertificateSource Source { get; }

    /// <summary>The SAN's DNS names, lower case.</summary>
    public IReadOnlyList<string> Names { get; }

    public SslStreamCertificateContext Context { get; }

    public DateTimeOffset NotBefore => new(Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);

    public DateTimeOffset NotAfter => new(Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);

    public bool Covers(string hostname) => CertificateNames.Covers(Names, hostname);
}

/// <summary>
/// The one source of server certificates for every TLS path (HTTPS, implicit TLS on 465/993/995,
/// STARTTLS on 25/587/143/110). It holds the self-signed bootstrap certificate and the issued one;
/// each handshake picks by the client's server name indication (RFC 6066 3), so installing a new
/// certificate (ACME renewal) takes effect on the next handshake without a restart.
/// </summary>
internal sealed partial class ServerCertificateProvider
{
    /// <summary>
    /// TLS 1.2 and 1.3 only: RFC 8996 deprecates TLS 1.0 and 1.1, and RFC 8314 4.1 asks mail
    /// servers for TLS 1.2 or later.
    /// </summary>
    public const SslProtocols EnabledProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>What handshakes choose from; replaced whole, so a handshake never sees half an update.</summary>
    private sealed record Snapshot(ServedCertificate Bootstrap, ServedCertificate? Issued);

    private readonly ApplianceOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ServerCertificateProvider> _logger;
    private readonly Lock _loadLock = new();
    private volatile Snapshot? _snapshot;

    public ServerCertificateProvider(ApplianceOptions options, TimeProvider time, ILogger<ServerCertificateProvider> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>Where the bootstrap certificate is stored: {DataDirectory}/certs/server.pfx.</summary>
    public string CertificatePath => CertificateStore.PathFor(_options.DataPath);

    /// <summary>The certificate for the mail host name: what a client that sends no SNI gets.</summary>
    public X509Certificate2 Current => Select(null).Certificate;

    /// <summary>The issued certificate now served, or null while only the bootstrap one is.</summary>
    public ServedCertificate? Issued => Loaded.Issued;

    /// <summary>Every certificate now served: the issued one (when there is one), then the bootstrap.</summary>
    public IReadOnlyList<ServedCertificate> All => Loaded is { Issued: { } issued } snapshot ? [issued, snapshot.Bootstrap] : [Loaded.Bootstrap];

    /// <summary>True once <see cref="LoadOrCreate"/> has run.</summary>
    public bool IsLoaded => _snapshot is not null;

    private Snapshot Loaded => _snapshot ?? throw NotLoaded();

    /// <summary>
    /// Refuses to start while a key file is readable by others; then loads the bootstrap certificate
    /// (creating a self-signed one when it is missing, expired, unreadable or for another name) and
    /// the stored issued certificate when it is still valid. Runs once, before the listeners serve;
    /// later calls return the certificate for the mail host name.
    /// </summary>
    /// <exception cref="ApplianceConfigurationException">A private key file is readable by group or others.</exception>
    public X509Certificate2 LoadOrCreate()
    {
        lock (_loadLock)
        {
            if (_snapshot is not null)
                return Current;
            CertificateStore.RefuseKeysReadableByOthers(_options.DataPath);
            var stored = CertificateStore.LoadOrCreate(_options.DataPath, _options.Hostname, _time.GetUtcNow());
            LogCertificate(stored.Origin, stored.Path, stored.Certificate.Subject, stored.Certificate.Thumbprint, stored.Certificate.NotAfter.ToUniversalTime());
            var bootstrap = new ServedCertificate(stored.Certificate, [], CertificateSource.SelfSigned);
            _snapshot = new Snapshot(bootstrap, LoadIssued());
            return Current;
        }
    }

    private ServedCertificate? LoadIssued()
    {
        string path = CertificateStore.IssuedPathFor(_options.DataPath);
        IssuedCertificate? issued;
        try
        {
            issued = CertificateStore.LoadIssued(_options.DataPath);
        }
        catch (CryptographicException e)
        {
            // The renewal will order a new one; until then the bootstrap certificate serves.
            LogIssuedUnreadable(path, e.Message);
            return null;
        }
        if (issued is null)
            return null;
        var now = _time.GetUtcNow().UtcDateTime;
        if (now >= issued.Certificate.NotAfter.ToUniversalTime())
        {
            LogIssuedExpired(path, issued.Certificate.NotAfter.ToUniversalTime());
            return null;
        }
        LogIssuedLoaded(path, issued.Certificate.Subject, issued.Certificate.Thumbprint, issued.Certificate.NotAfter.ToUniversalTime());
        return new ServedCertificate(issued.Certificate, issued.Chain, CertificateSource.Acme);
    }

    /// <summary>
    /// Serves <paramref name="issued"/> from the next handshake on, in place of the previous issued
    /// certificate. The previous one is not disposed: a handshake that already picked it may still
    /// be using it.
    /// </summary>
    public void Install(IssuedCertificate issued)
    {
        ArgumentNullException.ThrowIfNull(issued);
        if (!issued.Certificate.HasPrivateKey)
            throw new ArgumentException("A server certificate needs its private key.", nameof(issued));
        var served = new ServedCertificate(issued.Certificate, issued.Chain, CertificateSource.Acme);
        lock (_loadLock)
            _snapshot = Loaded with { Issued = served };
        LogInstalled(issued.Certificate.Subject, issued.Certificate.Thumbprint, issued.Certificate.NotAfter.ToUniversalTime());
        Installed?.Invoke(served);
    }

    /// <summary>Raised after a certificate is installed (it is served from then on): the dashboard and tests follow it.</summary>
    public event Action<ServedCertificate>? Installed;

    /// <summary>
    /// The certificate for a handshake whose client asked for <paramref name="serverName"/> (SNI,
    /// RFC 6066 3): the issued certificate when its SAN covers that name; otherwise the certificate
    /// for the mail host name (the issued one when it covers it), which is also what a client
    /// without SNI gets; otherwise the self-signed bootstrap certificate.
    /// </summary>
    public ServedCertificate Select(string? serverName)
    {
        var snapshot = Loaded;
        if (snapshot.Issued is { } issued)
        {
            if (!string.IsNullOrEmpty(serverName) && issued.Covers(serverName))
                return issued;
            if (issued.Covers(_options.Hostname))
                return issued;
        }
        return snapshot.Bootstrap;
    }

    /// <summary>
    /// The server side of one handshake, with the certificate for the client's SNI name; the
    /// STARTTLS and implicit TLS paths and Kestrel's HTTPS call it from their ClientHello callbacks.
    /// A new object per handshake: the caller may set ALPN on it.
    /// </summary>
    public SslServerAuthenticationOptions CreateServerAuthenticationOptions(string? serverName = null) => new()
    {
        ServerCertificateContext = Select(serverName).Context,
        EnabledSslProtocols = EnabledProtocols,
        ClientCertificateRequired = false,
        // Revocation of client certificates does not apply (none are requested); skip the network.
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
    };

    private static InvalidOperationException NotLoaded() =>
        new("The server certificates are not loaded yet; call LoadOrCreate() first.");

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information,
        Message = "Server certificate {Origin}: {Path}, subject {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    private partial void LogCertificate(CertificateOrigin origin, string path, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information,
        Message = "Issued certificate installed for the next handshakes: subject {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    private partial void LogInstalled(string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information,
        Message = "Issued certificate loaded: {Path}, subject {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    private partial void LogIssuedLoaded(string path, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning,
        Message = "Issued certificate {Path} expired at {NotAfter:u}; serving the self-signed one until a new one is issued")]
    private partial void LogIssuedExpired(string path, DateTime notAfter);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning,
        Message = "Issued certificate {Path} could not be read ({Reason}); serving the self-signed one until a new one is issued")]
    private partial void LogIssuedUnreadable(string path, string reason);
}
