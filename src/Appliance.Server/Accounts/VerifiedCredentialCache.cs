using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Appliance.Server.Configuration;

namespace Appliance.Server.Accounts;

/// <summary>
/// Remembers which (mailbox, password) pairs passed the PBKDF2 check recently, in the spirit of
/// Dovecot's auth_cache, so a client that logs in again and again (IMAP clients open several
/// connections, often every few minutes) does not pay 100,000 PBKDF2 iterations each time.
/// <para>
/// What is kept is never the password: an HMAC-SHA256 of the mailbox id and password under a key
/// drawn at random for this process (so the entries are useless outside it and after a restart),
/// the stored PasswordHash the password was verified against, and when. An entry is only honoured
/// while the mailbox row still carries that same hash (a password change or a rehash makes it
/// stale at once) and it is younger than the TTL. Only successes are stored; failures always cost
/// a full verification.
/// </para>
/// </summary>
internal sealed class VerifiedCredentialCache
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly TimeSpan _ttl;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    // Least recently used at the tail; the map finds a mailbox's node.
    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<int, LinkedListNode<Entry>> _byMailbox = new();

    public VerifiedCredentialCache(AuthenticationOptions options, TimeProvider time)
    {
        _ttl = options.CredentialCacheTtl;
        _capacity = options.CredentialCacheSize;
        _time = time;
    }

    private bool Enabled => _ttl > TimeSpan.Zero && _capacity > 0;

    public int Count
    {
        get
        {
            lock (_lock)
                return _byMailbox.Count;
        }
    }

    /// <summary>
    /// True when <paramref name="password"/> was verified for this mailbox against
    /// <paramref name="currentPasswordHash"/> (the row's hash now) less than the TTL ago.
    /// </summary>
    public bool IsVerified(int mailboxId, string currentPasswordHash, string password)
    {
        if (!Enabled)
            return false;
        Entry entry;
        lock (_lock)
        {
            if (!_byMailbox.TryGetValue(mailboxId, out var node))
                return false;
            entry = node.Value;
            if (_time.GetUtcNow() - entry.VerifiedAt >= _ttl || !string.Equals(entry.PasswordHash, currentPasswordHash, StringComparison.Ordinal))
            {
                // Stale for good: the TTL only grows and a replaced hash never comes back.
                _recency.Remove(node);
                _byMailbox.Remove(mailboxId);
                return false;
            }
            _recency.Remove(node);
            _recency.AddFirst(node);
        }
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        ComputeMac(mailboxId, password, mac);
        return CryptographicOperations.FixedTimeEquals(mac, entry.Mac);
    }

    /// <summary>Records a successful verification of <paramref name="password"/> against <paramref name="passwordHash"/>.</summary>
    public void RememberVerified(int mailboxId, string passwordHash, string password)
    {
        if (!Enabled)
            return;
        byte[] mac = new byte[HMACSHA256.HashSizeInBytes];
        ComputeMac(mailboxId, password, mac);
        var entry = new Entry(mailboxId, mac, passwordHash, _time.GetUtcNow());
        lock (_lock)
        {
            if (_byMailbox.Remove(mailboxId, out var old))
                _recency.Remove(old);
            while (_byMailbox.Count >= _capacity && _recency.Last is { } leastRecent)
            {
                _recency.RemoveLast();
                _byMailbox.Remove(leastRecent.Value.MailboxId);
            }
            _byMailbox[mailboxId] = _recency.AddFirst(entry);
        }
    }

    private void ComputeMac(int mailboxId, string password, Span<byte> mac)
    {
        byte[] input = new byte[4 + Encoding.UTF8.GetByteCount(password)];
        BinaryPrimitives.WriteInt32BigEndian(input, mailboxId);
        Encoding.UTF8.GetBytes(password, input.AsSpan(4));
        HMACSHA256.HashData(_key, input, mac);
        CryptographicOperations.ZeroMemory(input); // the password's bytes do not linger in the heap
    }

    private sealed record Entry(int MailboxId, byte[] Mac, string PasswordHash, DateTimeOffset VerifiedAt);
}
