using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Acme;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Certificates;

/// <summary>
/// Issues certificates from the configured ACME CA (RFC 8555) with http-01 validation: the
/// account key from {DataDirectory}/acme/account-key.pem, the account found or created with
/// Appliance:Acme:ContactEmail, one order for all names, each challenge's key authorization offered
/// through <see cref="AcmeChallengeResponses"/> (served by the web host's plain HTTP listener) while
/// the CA validates, a CSR for a fresh P-256 key, and the chain the CA returns. CA errors become
/// <see cref="CertificateIssuanceException"/>s saying what to fix.
/// </summary>
public sealed partial class AcmeCertificateIssuer : ICertificateIssuer, IDisposable
{
    /// <summary>
    /// The limit on each request to the CA, connection included. Our choice: Let's Encrypt answers
    /// in well under a second; polling (AcmeClientOptions) covers the slow parts, not a single request.
    /// </summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The largest answer read from the CA: 1 MiB. A certificate chain is a few kilobytes and the
    /// largest ACME object (an order with the 100 names Let's Encrypt allows) some tens.
    /// </summary>
    public const int MaxResponseBytes = 1 << 20;

    private readonly ApplianceOptions _options;
    private readonly AcmeChallengeResponses _responses;
    private readonly ILogger _logger;
    private readonly AcmeClientOptions _clientOptions;
    private readonly TimeProvider _time;
    // Made at the first issuance (under _oneAtATime), so that a bad DirectoryTrustPath is
    // reported as an issuance failure rather than breaking the service's construction.
    private HttpClient? _http;
    // One issuance at a time: the account key file is made once, and the CA's per-account limits
    // are better met one order after another.
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    public AcmeCertificateIssuer(ApplianceOptions options, AcmeChallengeResponses responses, ILogger<AcmeCertificateIssuer> logger)
        : this(options, responses, logger, new AcmeClientOptions(), TimeProvider.System)
    {
    }

    /// <summary>For tests: other client limits, a clock, and optionally an HttpClient of the test's (a scripted CA).</summary>
    internal AcmeCertificateIssuer(ApplianceOptions options, AcmeChallengeResponses responses, ILogger logger, AcmeClientOptions clientOptions, TimeProvider time, HttpClient? http = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(responses);
        _options = options;
        _responses = responses;
        _logger = logger;
        _clientOptions = clientOptions;
        _time = time;
        _http = http;
    }

    /// <summary>Where the account key is kept: {DataDirectory}/acme/account-key.pem.</summary>
    public string AccountKeyPath => AcmeAccountKey.PathFor(_options.DataPath);

    public async Task<IssuedCertificate> IssueAsync(IReadOnlyList<string> dnsNames, CancellationToken cancellationToken = default)
    {
        var names = NormalizeNames(dnsNames);
        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await IssueOneAsync(names, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<IssuedCertificate> IssueOneAsync(IReadOnlyList<string> names, CancellationToken cancellationToken)
    {
        string directoryUrl = _options.Acme.DirectoryUrl;
        if (!Uri.TryCreate(directoryUrl, UriKind.Absolute, out var directory) || directory.Scheme != Uri.UriSchemeHttps)
            throw new CertificateIssuanceException($"Appliance:Acme:DirectoryUrl \"{directoryUrl}\" is not an https:// URL (RFC 8555 6.1 requires HTTPS).");

        LogIssuing(_logger, string.Join(", ", names), directoryUrl);
        bool existed = File.Exists(AccountKeyPath);
        using var accountKey = AcmeAccountKey.LoadOrCreate(_options.DataPath);
        if (!existed)
            LogAccountKeyCreated(_logger, AccountKeyPath);
        _http ??= CreateHttpClient(_options.Acme);
        var client = new AcmeClient(_http, directory, accountKey, _clientOptions, _time);
        try
        {
            string[] contact = string.IsNullOrWhiteSpace(_options.Acme.ContactEmail) ? [] : [_options.Acme.ContactEmail.Trim()];
            // RFC 8555 7.3: with a key the CA knows, newAccount returns the existing account.
            // termsOfServiceAgreed is required there: turning Appliance:Acme:Enabled on is taken
            // as the administrator's agreement to the CA's terms.
            var account = await client.CreateAccountAsync(contact, termsOfServiceAgreed: true, cancellationToken).ConfigureAwait(false);
            LogAccount(_logger, account.Url.AbsoluteUri);

            var order = await client.CreateOrderAsync(names, cancellationToken).ConfigureAwait(false);
            foreach (var authorizationUrl in order.Authorizations)
                await AuthorizeAsync(client, authorizationUrl, cancellationToken).ConfigureAwait(false);

            using var certificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            order = await client.FinalizeAsync(order, SigningRequest(names, certificateKey), cancellationToken).ConfigureAwait(false);
            var chain = await client.DownloadCertificateAsync(order.Certificate!, cancellationToken).ConfigureAwait(false);
            var issued = Assemble(chain, certificateKey, names);
            LogIssued(_logger, issued.Certificate.Subject, issued.Certificate.Thumbprint, issued.Certificate.NotAfter.ToUniversalTime());
            return issued;
        }
        catch (AcmeException e)
        {
            throw Failed(Explain(e, names), e.RetryAfter, e);
        }
        catch (HttpRequestException e)
        {
            throw Failed($"The ACME CA at {directoryUrl} could not be reached: {e.Message}. Check this server's outbound HTTPS and DNS, " +
                         "and Appliance:Acme:DirectoryTrustPath if the CA is a private one.", null, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed($"The ACME CA at {directoryUrl} did not answer within {RequestTimeout.TotalSeconds:0} seconds. Try again later.", null, e);
        }
    }

    /// <summary>
    /// RFC 8555 7.5: a pending authorization is proved by its http-01 challenge (8.3). The answer
    /// is offered before the CA is told to look (7.5.1) and withdrawn afterwards, failed or not.
    /// </summary>
    private async Task AuthorizeAsync(AcmeClient client, Uri authorizationUrl, CancellationToken cancellationToken)
    {
        var authorization = await client.GetAuthorizationAsync(authorizationUrl, cancellationToken).ConfigureAwait(false);
        string name = authorization.Identifier.Value;
        if (authorization.Status == AcmeAuthorizationStatus.Valid)
            return; // RFC 8555 7.1.4: the CA may reuse an earlier valid authorization.
        if (authorization.Status != AcmeAuthorizationStatus.Pending)
            throw Failed($"The CA's authorization for {name} is {authorization.Status.ToString().ToLowerInvariant()}; try again to get a new order.", null, null);
        var challenge = authorization.Challenge(AcmeHttp01.ChallengeType)
            ?? throw Failed($"The CA offers no http-01 challenge for {name} (only {string.Join(", ", authorization.Challenges.Select(c => c.Type))}); " +
                            "this server proves control over names by http-01 only.", null, null);
        if (!AcmeHttp01.IsValidToken(challenge.Token))
            throw Failed($"The CA's http-01 token for {name} is not base64url (RFC 8555 8.3).", null, null);

        string token = challenge.Token!;
        _responses.Add(token, client.KeyAuthorization(token));
        try
        {
            await client.CompleteChallengeAsync(authorization, challenge, cancellationToken).ConfigureAwait(false);
            LogValidated(_logger, name);
        }
        catch (AcmeException e) when (e.Problem is not null)
        {
            throw Failed(ExplainChallenge(e.Problem, name, AcmeHttp01.Url(name, token)), e.RetryAfter, e);
        }
        finally
        {
            _responses.Remove(token);
        }
    }

    /// <summary>RFC 8555 7.4: the CSR names every identifier in its subjectAltName; the subject is the first.</summary>
    private static byte[] SigningRequest(IReadOnlyList<string> names, ECDsa key)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + names[0]), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in names)
            san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        return request.CreateSigningRequest();
    }

    /// <summary>
    /// The leaf with our key, checked to be ours and to cover every name asked for, and its issuers.
    /// The PKCS#12 round trip gives a certificate that owns its key, independent of <paramref name="key"/>'s lifetime.
    /// </summary>
    private static IssuedCertificate Assemble(X509Certificate2Collection chain, ECDsa key, IReadOnlyList<string> names)
    {
        var leaf = chain[0];
        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new CertificateIssuanceException("The CA returned a certificate for another key than the one in our request.");
        var covered = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (names.FirstOrDefault(n => !covered.Contains(n)) is { } missing)
            throw new CertificateIssuanceException($"The CA's certificate does not cover {missing}, which was ordered.");

        using var withKey = leaf.CopyWithPrivateKey(key);
        var certificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        var issuers = new X509Certificate2Collection();
        for (int i = 1; i < chain.Count; i++)
            issuers.Add(chain[i]);
        leaf.Dispose();
        return new IssuedCertificate(certificate, issuers);
    }

    /// <summary>
    /// The names as the CA will see them (lower-case A-labels, no trailing dot), each once.
    /// Wildcards are refused: RFC 8555 7.1.3 and 8.3, http-01 cannot prove them (dns-01 would).
    /// </summary>
    private static List<string> NormalizeNames(IReadOnlyList<string> dnsNames)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        if (dnsNames.Count == 0)
            throw new ArgumentException("At least one name is needed.", nameof(dnsNames));
        var names = new List<string>();
        foreach (string input in dnsNames)
        {
            if (input.Contains('*'))
                throw new CertificateIssuanceException($"{input}: wildcard certificates need the dns-01 challenge; this server uses http-01 only.");
            if (!AddressRules.TryNormalizeDomain(input, out string name, out string error))
                throw new CertificateIssuanceException(error);
            if (!names.Contains(name))
                names.Add(name);
        }
        return names;
    }

    /// <summary>A failed challenge in words that say what to fix, by the problem type of RFC 8555 6.7.</summary>
    private static string ExplainChallenge(AcmeProblem problem, string name, Uri url)
    {
        string detail = string.IsNullOrWhiteSpace(problem.Detail) ? problem.Name : problem.Detail.Trim();
        return problem.Type switch
        {
            AcmeProblem.Connection =>
                $"The CA could not fetch {url}: {detail}. Port 80 of {name} must reach this server's HTTP listener (Appliance:Listeners:Http), through any firewall or port forwarding.",
            AcmeProblem.Unauthorized or AcmeProblem.IncorrectResponse =>
                $"The CA fetched {url} but did not get this server's answer: {detail}. The A and AAAA records of {name} must point at this server, and port 80 must reach it rather than another web server.",
            AcmeProblem.Dns =>
                $"The CA could not look up {name}: {detail}. Check the A and AAAA records of {name} in its DNS.",
            AcmeProblem.Caa =>
                $"CAA records forbid the CA to issue for {name}: {detail}. Allow this CA in the domain's CAA records or remove them.",
            AcmeProblem.Tls =>
                $"The CA was redirected from {url} to HTTPS and could not complete the TLS connection: {detail}. Serve {AcmeHttp01.PathPrefix} over plain HTTP without a redirect.",
            _ => $"The CA could not validate {name} ({url}): {problem.Describe()}.",
        };
    }

    /// <summary>Any other CA error, by its problem type (RFC 8555 6.7).</summary>
    private static string Explain(AcmeException e, IReadOnlyList<string> names)
    {
        var problem = e.Problem;
        string detail = problem?.Detail?.Trim() is { Length: > 0 } d ? d : e.Message;
        return problem?.Type switch
        {
            AcmeProblem.RateLimited => e.RetryAfter is { } wait
                ? $"The CA's rate limit was reached: {detail}. Try again after {wait.TotalMinutes:0} minutes."
                : $"The CA's rate limit was reached: {detail}. Try again later.",
            AcmeProblem.RejectedIdentifier =>
                $"The CA will not issue a certificate for {string.Join(", ", names)}: {detail}.",
            AcmeProblem.Caa =>
                $"CAA records forbid the CA to issue for {string.Join(", ", names)}: {detail}.",
            AcmeProblem.BadNonce =>
                $"The CA kept rejecting the request's nonce: {detail}. Try again later.",
            null => e.Message,
            _ => $"The ACME CA refused: {e.Message}",
        };
    }

    private CertificateIssuanceException Failed(string message, TimeSpan? retryAfter, Exception? inner)
    {
        LogFailed(_logger, message);
        return new CertificateIssuanceException(message, retryAfter, inner);
    }

    private static HttpClient CreateHttpClient(AcmeOptions acme)
    {
        var handler = new SocketsHttpHandler();
        if (!string.IsNullOrWhiteSpace(acme.DirectoryTrustPath))
            handler.SslOptions.RemoteCertificateValidationCallback = AcmeDirectoryTrust.FromPemFile(acme.DirectoryTrustPath).Validate;
        return new HttpClient(handler) { Timeout = RequestTimeout, MaxResponseContentBufferSize = MaxResponseBytes };
    }

    public void Dispose()
    {
        _http?.Dispose();
        _oneAtATime.Dispose();
    }

    [LoggerMessage(EventId = 1250, Level = LogLevel.Information, Message = "ACME: ordering a certificate for {Names} from {DirectoryUrl}")]
    private static partial void LogIssuing(ILogger logger, string names, string directoryUrl);

    [LoggerMessage(EventId = 1251, Level = LogLevel.Information, Message = "ACME: created the account key {Path}")]
    private static partial void LogAccountKeyCreated(ILogger logger, string path);

    [LoggerMessage(EventId = 1252, Level = LogLevel.Information, Message = "ACME: account {AccountUrl}")]
    private static partial void LogAccount(ILogger logger, string accountUrl);

    [LoggerMessage(EventId = 1253, Level = LogLevel.Information, Message = "ACME: {Name} validated by http-01")]
    private static partial void LogValidated(ILogger logger, string name);

    [LoggerMessage(EventId = 1254, Level = LogLevel.Information, Message = "ACME: issued {Subject}, thumbprint {Thumbprint}, valid until {NotAfter:u}")]
    private static partial void LogIssued(ILogger logger, string subject, string thumbprint, DateTime notAfter);

    [LoggerMessage(EventId = 1255, Level = LogLevel.Warning, Message = "ACME: issuance failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
