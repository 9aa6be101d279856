using System.Net.Security;
using System.Security.Authentication;

namespace Appliance.Server.Listeners;

/// <summary>
/// What was negotiated on a TLS connection, whether TLS came first (465/993/995) or after
/// STARTTLS; both are our own <see cref="SslStream"/>. The
/// SMTP Received header and the logs need it (RFC 8314 section 4.3 asks to record TLS use).
/// </summary>
internal sealed record TlsInfo(SslProtocols Protocol, TlsCipherSuite? CipherSuite, string? ServerName, bool Implicit)
{
    /// <summary>The protocol as OpenSSL names it (TLSv1.3), which is how Postfix writes it in Received headers.</summary>
    public string ProtocolName => Protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => Protocol.ToString(),
    };

    /// <summary>The IANA cipher suite name (TLS_AES_256_GCM_SHA384), or null when the platform did not say.</summary>
    public string? CipherName => CipherSuite?.ToString();

    /// <summary>"TLSv1.3 with cipher TLS_AES_256_GCM_SHA384", the clause for a Received header's comment.</summary>
    public override string ToString() =>
        CipherName is null ? ProtocolName : $"{ProtocolName} with cipher {CipherName}";

    public static TlsInfo FromStream(SslStream stream, bool implicitTls) =>
        new(stream.SslProtocol, stream.NegotiatedCipherSuite, NullIfEmpty(stream.TargetHostName), implicitTls);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
