namespace Appliance.Acme;

/// <summary>The client's limits. RFC 8555 sets none of these numbers; each default says where it comes from.</summary>
public sealed class AcmeClientOptions
{
    /// <summary>
    /// How often one request is re-signed with a fresh nonce after badNonce (RFC 8555 6.5: "the
    /// client SHOULD retry"). Real CAs reject a nonce rarely (a restarted front end, an expired
    /// nonce); Pebble rejects 5% on purpose. With 5 retries a request fails only when six nonces in
    /// a row are rejected: 0.05^6 at Pebble's default rate.
    /// </summary>
    public int MaxBadNonceRetries { get; set; } = 5;

    /// <summary>
    /// How many times an authorization or order is polled before giving up (RFC 8555 7.5.1 and 7.4
    /// leave the bound to the client). 60 polls at the default interval is a minute without
    /// Retry-After; Let's Encrypt validates within seconds.
    /// </summary>
    public int MaxPollAttempts { get; set; } = 60;

    /// <summary>The wait between polls when the CA sends no Retry-After (RFC 8555 7.5.1 asks clients to honour it when present). One second: our choice, short against a CA that validates in seconds.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest Retry-After honoured while polling (RFC 8555 7.4 and 7.5.1): a longer one is
    /// shortened to this, so that one odd header cannot stall issuance for hours. A minute: our choice.
    /// </summary>
    public TimeSpan MaxPollRetryAfter { get; set; } = TimeSpan.FromMinutes(1);

    internal void Validate()
    {
        if (MaxBadNonceRetries < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxBadNonceRetries), "must be 0 or more");
        if (MaxPollAttempts < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxPollAttempts), "must be at least 1");
        if (PollInterval < TimeSpan.Zero || MaxPollRetryAfter < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(PollInterval), "waits must not be negative");
    }
}
