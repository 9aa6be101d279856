namespace Appliance.Server.Configuration;

/// <summary>
/// Password sign-in (Appliance:Authentication): the in-memory cache of verified credentials that
/// lets a repeated LOGIN skip the deliberately slow PBKDF2 check.
/// </summary>
public sealed class AuthenticationOptions
{
    /// <summary>
    /// How long a successful verification is remembered. The default is Dovecot's auth_cache_ttl
    /// (1 hour). A password change, a rehash, a disabled user or domain take effect at once
    /// regardless, because every sign-in still reads the mailbox row. Zero turns the cache off.
    /// </summary>
    public TimeSpan CredentialCacheTtl { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// At most this many mailboxes are remembered; the least recently used is forgotten first.
    /// Dovecot's auth_cache_size is in bytes (off by default; its documentation's example is 10M).
    /// One of our entries is about 0.5 KB (a 32-byte HMAC, the stored hash string, list and map
    /// nodes), so 20,000 entries are about that 10 MB. Zero turns the cache off.
    /// </summary>
    public int CredentialCacheSize { get; set; } = 20_000;
}
