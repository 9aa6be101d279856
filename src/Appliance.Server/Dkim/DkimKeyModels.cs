// RFC 6376 3.6.1 (key record), 3.6.2.1 (the name selector._domainkey.domain), RFC 1035 3.3.14 (255-octet strings).
using Appliance.Storage.Entities;

namespace Appliance.Server.Dkim;

/// <summary>Where a key is in its life; see <see cref="DkimKeyService"/> for the transitions.</summary>
public enum DkimKeyState
{
    /// <summary>Made by a rotation: to be published in DNS now; signs once the grace period ends or the active key is retired.</summary>
    Pending,
    /// <summary>Signs outgoing mail. Exactly one per domain that has keys.</summary>
    Active,
    /// <summary>A newer key has taken over; keep the record published until mail signed with it has been delivered, then retire it.</summary>
    Superseded,
    /// <summary>No longer signs; its DNS record can be removed.</summary>
    Retired,
}

/// <summary>One DKIM key of a domain, as the admin UI and the CLI show it. Never carries the private key.</summary>
/// <param name="Domain">The domain's A-label.</param>
/// <param name="RecordName">The TXT record's owner name: <c>selector._domainkey.domain</c> (RFC 6376 3.6.2.1).</param>
/// <param name="RecordValue">The TXT value <c>v=DKIM1; k=rsa; p=...</c> (RFC 6376 3.6.1).</param>
/// <param name="RecordStrings">The value split into strings of at most 255 octets (RFC 1035 3.3.14), as DNS providers want it.</param>
/// <param name="ActivatesUtc">For a pending key: when it takes over by itself.</param>
public sealed record DkimKeyInfo(
    string Domain,
    string Selector,
    DkimAlgorithm Algorithm,
    DkimKeyState State,
    DateTime CreatedUtc,
    DateTime? RetiredUtc,
    DateTime? ActivatesUtc,
    string RecordName,
    string RecordValue,
    IReadOnlyList<string> RecordStrings);

/// <summary>A DKIM key operation that the key's state refuses (the last key of a domain cannot be retired, ...). Nothing was saved.</summary>
public sealed class DkimKeyException(string message) : Exception(message);
