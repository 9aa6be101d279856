// RFC 1035 7.4 (caching by TTL), RFC 2308 5 (negative caching), RFC 2181 8 (TTL semantics).
namespace Appliance.Dns;

/// <summary>
/// A size-capped, least-recently-used cache of final answers keyed by (name, type).
///
/// Only Success, NoData and NxDomain are stored. ServerFailure, Timeout, Refused and FormatError
/// are never cached: the recursive server behind us already caches its own failures (RFC 9520
/// requires it to, for 1 s to 5 min), and our callers (the outbound queue, SPF temperror) have their
/// own retry schedule; caching a failure here would only stretch a short outage into a longer one.
/// </summary>
internal sealed class DnsCache(DnsStubResolverOptions options)
{
    private sealed record Entry((string Name, DnsRecordType Type) Key, DnsResponse Response, DateTimeOffset Expires);

    private readonly Dictionary<(string, DnsRecordType), LinkedListNode<Entry>> _map = [];
    private readonly LinkedList<Entry> _lru = new(); // most recently used first
    private readonly Lock _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
                return _map.Count;
        }
    }

    public bool TryGet(string name, DnsRecordType type, out DnsResponse? response)
    {
        response = null;
        if (options.MaxCacheEntries <= 0)
            return false;
        DateTimeOffset now = options.TimeProvider.GetUtcNow();
        lock (_lock)
        {
            if (!_map.TryGetValue((name, type), out var node))
                return false;
            if (node.Value.Expires <= now)
            {
                _lru.Remove(node);
                _map.Remove((name, type));
                return false;
            }
            _lru.Remove(node);
            _lru.AddFirst(node);
            response = node.Value.Response;
            return true;
        }
    }

    /// <summary>Stores a final answer for as long as its TTL allows; see the class remarks for what is not stored.</summary>
    /// <param name="ttlSeconds">
    /// Success: the smallest TTL of the answer and the CNAMEs leading to it (RFC 2181 5.2: a chain
    /// lives as long as its shortest link). NoData/NxDomain: the RFC 2308 5 TTL from the authority
    /// SOA, or null when there was none: "Negative responses without SOA records SHOULD NOT be cached".
    /// </param>
    public void Store(DnsResponse response, uint? ttlSeconds)
    {
        if (options.MaxCacheEntries <= 0 || ttlSeconds is not { } seconds)
            return;
        TimeSpan ttl = TimeSpan.FromSeconds(seconds);
        switch (response.Status)
        {
            case DnsResponseStatus.Success:
                ttl = Clamp(ttl, options.MinCacheTtl, options.MaxCacheTtl);
                break;
            case DnsResponseStatus.NoData or DnsResponseStatus.NxDomain:
                ttl = Clamp(ttl, options.MinCacheTtl, options.MaxNegativeCacheTtl);
                break;
            default:
                return;
        }
        if (ttl <= TimeSpan.Zero)
            return;

        var key = (response.Name, response.Type);
        var entry = new Entry(key, response, options.TimeProvider.GetUtcNow() + ttl);
        lock (_lock)
        {
            if (_map.Remove(key, out var old))
                _lru.Remove(old);
            while (_map.Count >= options.MaxCacheEntries && _lru.Last is { } oldest)
            {
                _lru.RemoveLast();
                _map.Remove(oldest.Value.Key);
            }
            _map[key] = _lru.AddFirst(entry);
        }
    }

    private static TimeSpan Clamp(TimeSpan value, TimeSpan min, TimeSpan max) =>
        value < min ? min : value > max ? max : value;
}
