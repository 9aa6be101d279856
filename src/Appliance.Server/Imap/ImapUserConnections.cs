// Per-user connection limit (ImapServerOptions.MaxConnectionsPerUser; Dovecot's
// mail_max_userip_connections is the model). RFC 9051 section 7.1 leaves refusals to the server; the
// refusal uses RFC 5530's LIMIT response code.
namespace Appliance.Server.Imap;

/// <summary>
/// Counts the logged-in IMAP sessions of each user (by store account) in this process. A session
/// takes a slot at login and gives it back when it ends; over the limit the login is refused.
/// </summary>
internal sealed class ImapUserConnections
{
    private readonly Dictionary<Guid, int> _counts = [];
    private readonly Lock _lock = new();

    /// <summary>Takes a slot for <paramref name="user"/> unless it holds <paramref name="limit"/> already; dispose the lease at the session's end.</summary>
    public bool TryAcquire(Guid user, int limit, out Lease lease)
    {
        lease = default;
        lock (_lock)
        {
            int current = _counts.GetValueOrDefault(user);
            if (current >= limit)
                return false;
            _counts[user] = current + 1;
        }
        lease = new Lease(this, user);
        return true;
    }

    /// <summary>The user's logged-in sessions now.</summary>
    public int CountFor(Guid user)
    {
        lock (_lock)
            return _counts.GetValueOrDefault(user);
    }

    private void Release(Guid user)
    {
        lock (_lock)
        {
            int count = _counts[user] - 1;
            if (count == 0)
                _counts.Remove(user); // the table holds only users who are connected
            else
                _counts[user] = count;
        }
    }

    internal readonly struct Lease(ImapUserConnections? owner, Guid user) : IDisposable
    {
        public void Dispose() => owner?.Release(user);
    }
}
