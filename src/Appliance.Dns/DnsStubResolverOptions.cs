using System.Net;

namespace Appliance.Dns;

/// <summary>
/// Settings of <see cref="DnsStubResolver"/>. Null server settings come from resolv.conf
/// (<see cref="ResolvConfPath"/>); every limit names where its default comes from.
/// </summary>
public sealed class DnsStubResolverOptions
{
    /// <summary>
    /// Recursive servers to ask, in order ("127.0.0.1:53", "[::1]:5353" via <see cref="IPEndPoint.Parse(string)"/>).
    /// Empty: the nameserver lines of <see cref="ResolvConfPath"/>.
    /// </summary>
    public IReadOnlyList<IPEndPoint> Nameservers { get; init; } = [];

    /// <summary>Read when <see cref="Nameservers"/> is empty or a server setting below is null.</summary>
    public string ResolvConfPath { get; init; } = ResolvConf.DefaultPath;

    /// <summary>Wait for one server's answer to one attempt. Null: resolv.conf "timeout:", default 5 s (resolv.conf(5)).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Passes over the server list. Null: resolv.conf "attempts:", default 2 (resolv.conf(5)).</summary>
    public int? Attempts { get; init; }

    /// <summary>Start each query at the next server (round-robin). Null: resolv.conf "options rotate".</summary>
    public bool? Rotate { get; init; }

    /// <summary>
    /// EDNS0 UDP payload size we advertise (RFC 6891 6.2.5). 1232 is the DNS Flag Day 2020
    /// recommendation: it avoids IP fragmentation on an IPv6 minimum-MTU path (1280 - 48 header octets).
    /// 0 sends no OPT record, which limits UDP answers to 512 octets (RFC 1035 4.2.1).
    /// </summary>
    public ushort UdpPayloadSize { get; init; } = 1232;

    /// <summary>
    /// CNAMEs followed for one question before giving up with ServerFailure. 8 matches the cap
    /// BIND and unbound use for chains in one answer (max-restarts 8 / MAX_RESTART_COUNT 8) and the
    /// same cap <see cref="FakeDnsResolver.MaxCnameChain"/> uses.
    /// </summary>
    public int MaxCnameChain { get; init; } = 8;

    /// <summary>
    /// Answers kept in the cache (least recently used dropped first); 0 turns caching off. 10,000
    /// keeps the cache to a few megabytes while covering every domain a small mail server talks to.
    /// </summary>
    public int MaxCacheEntries { get; init; } = 10_000;

    /// <summary>Lower TTL clamp for cached answers. 0: honour the zone's TTL as is (unbound's cache-min-ttl default).</summary>
    public TimeSpan MinCacheTtl { get; init; } = TimeSpan.Zero;

    /// <summary>Upper TTL clamp for cached answers: one day, unbound's cache-max-ttl default (86400).</summary>
    public TimeSpan MaxCacheTtl { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Upper clamp for NXDOMAIN and NODATA answers. RFC 2308 5 advises 1 to 3 hours; one hour is
    /// unbound's cache-max-negative-ttl default (3600).
    /// </summary>
    public TimeSpan MaxNegativeCacheTtl { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The clock the cache expires entries by; tests inject their own.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
