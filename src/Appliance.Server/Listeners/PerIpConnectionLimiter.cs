using System.Net;
using Appliance.Server.Configuration;

namespace Appliance.Server.Listeners;

/// <summary>
/// Counts open connections per (protocol family, client address) and refuses those over
/// <see cref="ListenerLimitsOptions"/>. One address flooding SMTP must not lock it out of IMAP, so
/// each family has its own count. IPv4-mapped IPv6 addresses count as the IPv4 address (the
/// dual-stack listener on "::" reports IPv4 clients that way).
/// </summary>
internal sealed class PerIpConnectionLimiter
{
    private readonly ListenerLimitsOptions _limits;
    private readonly Dictionary<(MailProtocol, IPAddress), int> _counts = [];
    private readonly Lock _lock = new();

    public PerIpConnectionLimiter(ApplianceOptions options) => _limits = options.Listeners.Limits;

    /// <summary>
    /// Takes a slot for the address; dispose the lease when the connection ends. A null address
    /// (not an IP connection) is not limited.
    /// </summary>
    public bool TryAcquire(MailProtocol protocol, IPAddress? address, out Lease lease, out int current)
    {
        lease = default;
        current = 0;
        if (address is null)
            return true;
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();

        int limit = _limits.ConnectionsPerAddress(protocol);
        var key = (protocol, address);
        lock (_lock)
        {
            _counts.TryGetValue(key, out current);
            if (current >= limit)
                return false;
            _counts[key] = current + 1;
        }
        lease = new Lease(this, key);
        return true;
    }

    public int CountFor(MailProtocol protocol, IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        lock (_lock)
            return _counts.GetValueOrDefault((protocol, address));
    }

    private void Release((MailProtocol, IPAddress) key)
    {
        lock (_lock)
        {
            int count = _counts[key] - 1;
            if (count == 0)
                _counts.Remove(key); // keep the table as small as the set of connected clients
            else
                _counts[key] = count;
        }
    }

    internal readonly struct Lease : IDisposable
    {
        private readonly PerIpConnectionLimiter? _owner;
        private readonly (MailProtocol, IPAddress) _key;

        public Lease(PerIpConnectionLimiter owner, (MailProtocol, IPAddress) key)
        {
            _owner = owner;
            _key = key;
        }

        public void Dispose() => _owner?.Release(_key);
    }
}
