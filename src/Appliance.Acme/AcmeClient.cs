using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Appliance.Acme;

/// <summary>
/// An RFC 8555 (ACME) client for one account key: directory, account, order, http-01 validation,
/// finalization and download. The caller owns the <see cref="HttpClient"/> (its trust, timeouts and
/// lifetime) and the account key (ECDSA P-256, signing ES256). Not for concurrent use: one
/// issuance at a time per instance (the nonce and account URL are per exchange).
/// </summary>
public sealed class AcmeClient
{
    private readonly AcmeTransport _transport;
    private readonly Uri _directoryUrl;
    private readonly AcmeClientOptions _options;
    private readonly TimeProvider _time;
    private AcmeDirectory? _directory;

    public AcmeClient(HttpClient http, Uri directoryUrl, ECDsa accountKey, AcmeClientOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(directoryUrl);
        ArgumentNullException.ThrowIfNull(accountKey);
        _options = options ?? new AcmeClientOptions();
        _options.Validate();
        _time = time ?? TimeProvider.System;
        _directoryUrl = directoryUrl;
        _transport = new AcmeTransport(http, accountKey, _options, _time);
    }

    /// <summary>The account URL, the "kid" of every request after <see cref="CreateAccountAsync"/> or <see cref="FindAccountAsync"/> (RFC 8555 6.2).</summary>
    public Uri? AccountUrl { get; private set; }

    /// <summary>RFC 8555 7.1.1: the directory, fetched once per client.</summary>
    public async Task<AcmeDirectory> GetDirectoryAsync(CancellationToken cancellationToken = default)
    {
        if (_directory is not null)
            return _directory;
        var response = await _transport.GetAsync(_directoryUrl, $"Fetching the ACME directory {_directoryUrl}", cancellationToken).ConfigureAwait(false);
        using var document = AcmeJson.Parse(response.Body, "the directory");
        return _directory = AcmeDirectory.Parse(document.RootElement);
    }

    /// <summary>
    /// RFC 8555 7.3: creates the account of this key, or finds it when the key already has one
    /// (the CA answers 200 with its URL instead of 201). Contacts are mailto: URLs (7.3).
    /// </summary>
    public async Task<AcmeAccount> CreateAccountAsync(IReadOnlyList<string> contactEmails, bool termsOfServiceAgreed, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contactEmails);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        if (directory.ExternalAccountRequired)
            throw new AcmeException("The CA requires external account binding (RFC 8555 7.3.4), which this client does not do.");
        byte[] payload = Json(writer =>
        {
            writer.WriteBoolean("termsOfServiceAgreed", termsOfServiceAgreed);
            writer.WriteStartArray("contact");
            foreach (string email in contactEmails)
                writer.WriteStringValue(MailtoUrl(email));
            writer.WriteEndArray();
        });
        return await AccountRequestAsync(directory, payload, "Creating the ACME account", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 8555 7.3.1: the existing account of this key; the CA answers accountDoesNotExist when there is none.</summary>
    public async Task<AcmeAccount> FindAccountAsync(CancellationToken cancellationToken = default)
    {
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        byte[] payload = Json(writer => writer.WriteBoolean("onlyReturnExisting", true));
        return await AccountRequestAsync(directory, payload, "Looking up the ACME account", cancellationToken).ConfigureAwait(false);
    }

    private async Task<AcmeAccount> AccountRequestAsync(AcmeDirectory directory, byte[] payload, string action, CancellationToken cancellationToken)
    {
        // RFC 8555 6.2: newAccount is signed with the "jwk" header, since there is no kid yet.
        var response = await _transport.PostAsync(directory.NewNonce, directory.NewAccount, payload, keyId: null, action, cancellationToken).ConfigureAwait(false);
        var url = response.Location ?? throw AcmeJson.Malformed("newAccount answered without a Location header (RFC 8555 7.3)");
        using var document = AcmeJson.Parse(response.Body, "the account");
        var account = AcmeAccount.Parse(url, document.RootElement);
        if (account.Status != AcmeAccountStatus.Valid)
            throw new AcmeException($"{action}: the CA says the account {url} is {account.Status.ToString().ToLowerInvariant()} (RFC 8555 7.1.6); a new account key is needed.");
        AccountUrl = url;
        return account;
    }

    /// <summary>RFC 8555 7.4: a new order for <paramref name="dnsNames"/> ("dns" identifiers, 9.7.7).</summary>
    public async Task<AcmeOrder> CreateOrderAsync(IReadOnlyList<string> dnsNames, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dnsNames);
        if (dnsNames.Count == 0)
            throw new ArgumentException("An order needs at least one name.", nameof(dnsNames));
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        byte[] payload = Json(writer =>
        {
            writer.WriteStartArray("identifiers");
            foreach (string name in dnsNames)
                AcmeIdentifier.Dns(name).Write(writer);
            writer.WriteEndArray();
        });
        var response = await _transport.PostAsync(directory.NewNonce, directory.NewOrder, payload, RequireAccount(), $"Ordering a certificate for {string.Join(", ", dnsNames)}", cancellationToken).ConfigureAwait(false);
        var url = response.Location ?? throw AcmeJson.Malformed("newOrder answered without a Location header (RFC 8555 7.4)");
        using var document = AcmeJson.Parse(response.Body, "the order");
        return AcmeOrder.Parse(url, document.RootElement);
    }

    /// <summary>RFC 8555 7.1.3 and 6.3: the order's current state, by POST-as-GET.</summary>
    public async Task<AcmeOrder> GetOrderAsync(Uri orderUrl, CancellationToken cancellationToken = default) =>
        (await GetOrderResponseAsync(orderUrl, cancellationToken).ConfigureAwait(false)).Order;

    /// <summary>RFC 8555 7.5 and 6.3: an authorization, by POST-as-GET.</summary>
    public async Task<AcmeAuthorization> GetAuthorizationAsync(Uri authorizationUrl, CancellationToken cancellationToken = default) =>
        (await GetAuthorizationResponseAsync(authorizationUrl, cancellationToken).ConfigureAwait(false)).Authorization;

    /// <summary>RFC 8555 8.1: token || '.' || base64url(JWK thumbprint of the account key, RFC 7638).</summary>
    public string KeyAuthorization(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return token + "." + _transport.Jwk.Thumbprint();
    }

    /// <summary>
    /// RFC 8555 7.5.1: tells the CA the answer to <paramref name="challenge"/> is in place (POST
    /// of "{}"), then polls the authorization until it is no longer pending. Returns it when
    /// valid; an invalid one throws with the challenge's error (RFC 8555 8: "error"), which names
    /// what the CA saw (connection refused, wrong content, DNS).
    /// </summary>
    public async Task<AcmeAuthorization> CompleteChallengeAsync(AcmeAuthorization authorization, AcmeChallenge challenge, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        ArgumentNullException.ThrowIfNull(challenge);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        string what = $"Validating {authorization.Identifier.Value} by {challenge.Type}";
        await _transport.PostAsync(directory.NewNonce, challenge.Url, "{}"u8.ToArray(), RequireAccount(), what, cancellationToken).ConfigureAwait(false);

        for (int attempt = 1; ; attempt++)
        {
            var (current, retryAfter) = await GetAuthorizationResponseAsync(authorization.Url, cancellationToken).ConfigureAwait(false);
            switch (current.Status)
            {
                case AcmeAuthorizationStatus.Valid:
                    return current;
                case AcmeAuthorizationStatus.Pending:
                    await WaitBeforePollAsync(attempt, retryAfter, what, cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    var failed = current.Challenges.FirstOrDefault(c => c.Url == challenge.Url && c.Error is not null)
                        ?? current.Challenges.FirstOrDefault(c => c.Error is not null);
                    if (failed?.Error is { } problem)
                        throw AcmeException.FromProblem(what, problem with { Identifier = problem.Identifier ?? current.Identifier });
                    throw new AcmeException($"{what}: the authorization became {current.Status.ToString().ToLowerInvariant()} without an error from the CA.");
            }
        }
    }

    /// <summary>
    /// RFC 8555 7.4: waits for the order to be ready, sends the CSR (DER, base64url), and polls
    /// until the certificate is issued. Returns the valid order, whose Certificate is the download URL.
    /// </summary>
    public async Task<AcmeOrder> FinalizeAsync(AcmeOrder order, byte[] certificateSigningRequestDer, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(certificateSigningRequestDer);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        string names = string.Join(", ", order.Identifiers.Select(i => i.Value));

        // The order turns ready once every authorization is valid (7.1.6), which a CA may do a moment later.
        order = await PollOrderAsync(order, AcmeOrderStatus.Pending, $"Waiting for the order for {names} to be ready", cancellationToken).ConfigureAwait(false);
        if (order.Status != AcmeOrderStatus.Ready)
            throw OrderFailed(order, $"Finalizing the order for {names}");

        byte[] payload = Json(writer => writer.WriteString("csr", Base64Url.EncodeToString(certificateSigningRequestDer)));
        var response = await _transport.PostAsync(directory.NewNonce, order.Finalize, payload, RequireAccount(), $"Finalizing the order for {names}", cancellationToken).ConfigureAwait(false);
        using (var document = AcmeJson.Parse(response.Body, "the finalized order"))
            order = AcmeOrder.Parse(order.Url, document.RootElement);

        order = await PollOrderAsync(order, AcmeOrderStatus.Processing, $"Waiting for the certificate for {names}", cancellationToken).ConfigureAwait(false);
        if (order.Status != AcmeOrderStatus.Valid || order.Certificate is null)
            throw OrderFailed(order, $"Issuing the certificate for {names}");
        return order;
    }

    /// <summary>
    /// RFC 8555 7.4.2: downloads the certificate as application/pem-certificate-chain (POST-as-GET)
    /// and parses it: the leaf first, then its issuers.
    /// </summary>
    public async Task<X509Certificate2Collection> DownloadCertificateAsync(Uri certificateUrl, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(certificateUrl);
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var response = await _transport.PostAsync(directory.NewNonce, certificateUrl, null, RequireAccount(), "Downloading the certificate", cancellationToken, accept: AcmeCertificateChain.MediaType).ConfigureAwait(false);
        return AcmeCertificateChain.Parse(Encoding.ASCII.GetString(response.Body));
    }

    private async Task<AcmeOrder> PollOrderAsync(AcmeOrder order, AcmeOrderStatus whileStatus, string what, CancellationToken cancellationToken)
    {
        TimeSpan? retryAfter = null;
        for (int attempt = 1; order.Status == whileStatus; attempt++)
        {
            await WaitBeforePollAsync(attempt, retryAfter, what, cancellationToken).ConfigureAwait(false);
            (order, retryAfter) = await GetOrderResponseAsync(order.Url, cancellationToken).ConfigureAwait(false);
        }
        return order;
    }

    /// <summary>
    /// RFC 8555 7.4 and 7.5.1: waits the CA's Retry-After (bounded by MaxPollRetryAfter) or
    /// PollInterval, and gives up after MaxPollAttempts.
    /// </summary>
    private Task WaitBeforePollAsync(int attempt, TimeSpan? retryAfter, string what, CancellationToken cancellationToken)
    {
        if (attempt > _options.MaxPollAttempts)
            throw new AcmeException($"{what}: still not done after {_options.MaxPollAttempts} polls; the CA may be overloaded, try again later.");
        var wait = retryAfter is { } requested ? (requested > _options.MaxPollRetryAfter ? _options.MaxPollRetryAfter : requested) : _options.PollInterval;
        return wait <= TimeSpan.Zero ? Task.CompletedTask : Task.Delay(wait, _time, cancellationToken);
    }

    private async Task<(AcmeOrder Order, TimeSpan? RetryAfter)> GetOrderResponseAsync(Uri orderUrl, CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var response = await _transport.PostAsync(directory.NewNonce, orderUrl, null, RequireAccount(), "Fetching the order", cancellationToken).ConfigureAwait(false);
        using var document = AcmeJson.Parse(response.Body, "the order");
        return (AcmeOrder.Parse(orderUrl, document.RootElement), response.RetryAfter);
    }

    private async Task<(AcmeAuthorization Authorization, TimeSpan? RetryAfter)> GetAuthorizationResponseAsync(Uri authorizationUrl, CancellationToken cancellationToken)
    {
        var directory = await GetDirectoryAsync(cancellationToken).ConfigureAwait(false);
        var response = await _transport.PostAsync(directory.NewNonce, authorizationUrl, null, RequireAccount(), "Fetching the authorization", cancellationToken).ConfigureAwait(false);
        using var document = AcmeJson.Parse(response.Body, "the authorization");
        return (AcmeAuthorization.Parse(authorizationUrl, document.RootElement), response.RetryAfter);
    }

    private static AcmeException OrderFailed(AcmeOrder order, string what) => order.Error is { } problem
        ? AcmeException.FromProblem(what, problem)
        : new AcmeException($"{what}: the order is {order.Status.ToString().ToLowerInvariant()} (RFC 8555 7.1.6) without an error from the CA.");

    private Uri RequireAccount() =>
        AccountUrl ?? throw new InvalidOperationException("Create or find the account first (RFC 8555 7.3): later requests are signed with its URL as kid.");

    /// <summary>RFC 8555 7.3: contacts are mailto: URLs (RFC 6068) with a single address and no header fields.</summary>
    private static string MailtoUrl(string email)
    {
        string address = email.Trim();
        if (address.Length == 0 || address.IndexOfAny([',', '?', ' ']) >= 0 || !address.Contains('@'))
            throw new ArgumentException($"\"{email}\" is not a single e-mail address (RFC 8555 7.3 allows one address per mailto: URL, without header fields).", nameof(email));
        return "mailto:" + address;
    }

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            members(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
