using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Certificates;

/// <summary>A certificate with its private key, and the intermediates to send with it.</summary>
/// <param name="Certificate">The leaf, with its private key.</param>
/// <param name="Chain">The issuer chain from the CA, leaf excluded, nearest issuer first.</param>
public sealed record IssuedCertificate(X509Certificate2 Certificate, X509Certificate2Collection Chain);

/// <summary>
/// Gets a certificate for a set of DNS names from a CA. In production the ACME client
/// (<c>AcmeCertificateIssuer</c>); tests may use a local CA.
/// </summary>
public interface ICertificateIssuer
{
    /// <summary>Issues one certificate covering every name in <paramref name="dnsNames"/> (the first is the subject).</summary>
    /// <exception cref="CertificateIssuanceException">The CA refused or a challenge failed; the message says why in words an admin can act on.</exception>
    Task<IssuedCertificate> IssueAsync(IReadOnlyList<string> dnsNames, CancellationToken cancellationToken = default);
}

/// <summary>Issuance failed. <see cref="RetryAfter"/> is the CA's wait (rate limits, Retry-After) when it gave one.</summary>
public sealed class CertificateIssuanceException(string message, TimeSpan? retryAfter = null, Exception? inner = null)
    : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The HTTP-01 answers currently being offered (RFC 8555 8.3): token to key authorization. The
/// ACME issuer adds one before it asks the CA to validate and removes it after; the web host
/// serves them on the plain HTTP listener at /.well-known/acme-challenge/{token}.
/// </summary>
public sealed class AcmeChallengeResponses
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _answers = new(StringComparer.Ordinal);

    public void Add(string token, string keyAuthorization) => _answers[token] = keyAuthorization;

    public void Remove(string token) => _answers.TryRemove(token, out _);

    public bool TryGet(string token, out string keyAuthorization) =>
        _answers.TryGetValue(token, out keyAuthorization!);
}
