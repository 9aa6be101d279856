// RFC 6376 5 (signer actions), 5.4 (From must be signed), 3.4.2/3.4.4 (relaxed canonicalization);
// RFC 5322 3.6.2 (From: a mailbox-list; exactly one From field); RFC 8301, RFC 8463 via DkimSigner.
using System.Collections.Concurrent;
using System.Security.Cryptography;
using Appliance.MailAuth.Dkim;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Delivery;
using Appliance.Server.Security;
using Appliance.Storage.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Dkim;

/// <summary>
/// Signs outgoing mail with the active key of its From: domain (d= is the From domain, so the
/// signature aligns for DMARC, RFC 7489 3.1.1).
/// </summary>
/// <remarks>
/// Which key is active is asked of the database for every message (one indexed query), so a
/// rotation, retirement or domain removal made anywhere (the web admin, the CLI in another
/// process, the grace period running out) applies to the very next message. Only the decrypted
/// signer is cached, per domain and key id, and replaced when the active key changes.
/// </remarks>
internal sealed class OutboundSigner : IOutboundSigner
{
    private readonly DkimKeyService keys;
    private readonly SecretProtector secrets;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrentDictionary<string, CacheEntry> cache = new(StringComparer.Ordinal);

    public OutboundSigner(DkimKeyService keys, SecretProtector secrets, TimeProvider time, ILogger<OutboundSigner>? logger = null)
    {
        this.keys = keys;
        this.secrets = secrets;
        this.time = time;
        this.logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    public async Task<string?> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        string? domain = FromDomain(message.Span);
        if (domain is null)
        {
            return null;
        }
        CacheEntry? entry = await GetEntryAsync(domain, cancellationToken).ConfigureAwait(false);
        if (entry?.Signer is null)
        {
            return null;
        }
        try
        {
            // RSA objects are not documented as safe for concurrent use; signing takes about a millisecond.
            lock (entry)
            {
                return entry.Signer.Sign(message.Span);
            }
        }
        catch (ArgumentException e)
        {
            DkimLog.NotSigned(logger, domain, e.Message); // a header over HeaderLimits.Default
            return null;
        }
    }

    /// <summary>
    /// The A-label of the one address in the one From field, or null: no From, several From fields,
    /// a list of authors, a group, or a domain that is not a valid name. (RFC 5322 3.6.2 allows
    /// several authors with a Sender field, but then no single domain owns the message.)
    /// </summary>
    internal static string? FromDomain(ReadOnlySpan<byte> message)
    {
        HeaderBlock headers = HeaderBlock.Parse(message);
        HeaderField? from = null;
        foreach (HeaderField field in headers.GetAll("From"))
        {
            if (from is not null)
            {
                return null;
            }
            from = field;
        }
        if (from is null)
        {
            return null;
        }
        IReadOnlyList<MailboxAddress> authors = MailboxAddress.ParseList(from.Value);
        if (authors.Count != 1 || authors[0].Group is not null || authors[0].LocalPart.Length == 0)
        {
            return null;
        }
        return AddressRules.TryNormalizeDomain(authors[0].Domain, out string domain, out _) ? domain : null;
    }

    private async Task<CacheEntry?> GetEntryAsync(string domain, CancellationToken ct)
    {
        DkimKey? key = await keys.FindSigningKeyAsync(domain, ct).ConfigureAwait(false);
        if (key is null)
        {
            // Not ours (any more), or no key.
            cache.TryRemove(domain, out _);
            return null;
        }
        DateTimeOffset now = time.GetUtcNow();
        if (cache.TryGetValue(domain, out CacheEntry? cached) && cached.KeyId == key.Id && (cached.Signer is not null || now < cached.RetryAfter))
        {
            return cached;
        }
        DkimSigner? signer = null;
        try
        {
            DkimSigningKey signingKey = DkimKeyMaterial.Open(key, secrets);
            signer = new DkimSigner(signingKey, domain, key.Selector, new DkimSignerOptions
            {
                HeaderCanonicalization = DkimCanonicalization.Relaxed,
                BodyCanonicalization = DkimCanonicalization.Relaxed,
                TimeProvider = time,
            });
        }
        catch (CryptographicException e)
        {
            // Remembered as unusable for a while, so a lost key ring is not logged for every message.
            DkimLog.KeyUnreadable(logger, e, domain, key.Selector);
        }
        CacheEntry entry = new(key.Id, signer, now + keys.Options.UnreadableKeyRetryInterval);
        cache[domain] = entry;
        return entry;
    }

    /// <param name="RetryAfter">For a key that could not be decrypted (Signer null): when to try again.</param>
    private sealed record CacheEntry(int KeyId, DkimSigner? Signer, DateTimeOffset RetryAfter);
}
