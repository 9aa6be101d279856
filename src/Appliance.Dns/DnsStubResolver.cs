// A stub resolver (RFC 1034 5.3.1): asks recursive servers over UDP, falls back to TCP on
// truncation (RFC 7766 5), and hardens UDP against forged answers as RFC 5452 9 advises.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Appliance.Dns.Wire;

namespace Appliance.Dns;

/// <summary>
/// The real <see cref="IDnsResolver"/>: asks the configured recursive servers (options, else
/// /etc/resolv.conf), follows CNAME chains, and caches answers by TTL including negative ones.
/// Thread-safe; one instance per process.
/// </summary>
public sealed class DnsStubResolver : IDnsResolver
{
    private readonly DnsStubResolverOptions _options;
    private readonly IReadOnlyList<IPEndPoint> _servers;
    private readonly TimeSpan _timeout;
    private readonly int _attempts;
    private readonly bool _rotate;
    private int _nextServer = -1;

    public DnsStubResolver(DnsStubResolverOptions? options = null)
    {
        _options = options ?? new DnsStubResolverOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxCnameChain);
        bool needFile = _options.Nameservers.Count == 0 || _options.Timeout is null || _options.Attempts is null || _options.Rotate is null;
        ResolvConf? file = needFile ? ResolvConf.Load(_options.ResolvConfPath) : null;
        _servers = _options.Nameservers.Count > 0 ? [.. _options.Nameservers] : file!.Nameservers;
        _timeout = _options.Timeout ?? file!.Timeout;
        _attempts = Math.Max(1, _options.Attempts ?? file!.Attempts);
        _rotate = _options.Rotate ?? file!.Rotate;
        Cache = new DnsCache(_options);
    }

    /// <summary>The servers asked, in order (before rotation).</summary>
    public IReadOnlyList<IPEndPoint> Nameservers => _servers;

    internal DnsCache Cache { get; }

    public async Task<DnsResponse> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        string normalized;
        try
        {
            normalized = DnsName.Normalize(name);
        }
        catch (ArgumentException)
        {
            return DnsResponse.Failure(name, type, DnsResponseStatus.FormatError);
        }
        if (Cache.TryGet(normalized, type, out var cached))
            return cached!;

        var (response, ttl) = await ResolveAsync(normalized, type, cancellationToken).ConfigureAwait(false);
        Cache.Store(response, ttl);
        return response;
    }

    /// <summary>
    /// One question, following CNAMEs (RFC 1034 3.6.2, 5.3.3): the recursive server normally
    /// returns the whole chain in one answer; when a chain ends without the asked type and without
    /// an SOA saying the target has none, the target is asked for again.
    /// </summary>
    private async Task<(DnsResponse Response, uint? CacheTtl)> ResolveAsync(string name, DnsRecordType type, CancellationToken ct)
    {
        string current = name;
        var visited = new HashSet<string>(StringComparer.Ordinal) { name };
        int followed = 0;
        uint chainTtl = uint.MaxValue;
        bool authenticated = true;

        while (true)
        {
            // A CNAME target can hold escapes that do not make a name (\300) or be too long once
            // prefixed; the caller's own name was checked by DnsName.Normalize.
            if (!DnsMessageBuilder.IsEncodable(current))
                return (DnsResponse.Failure(name, type, DnsResponseStatus.FormatError), null);
            var (message, failure) = await ExchangeAsync(current, type, ct).ConfigureAwait(false);
            if (message is null)
                return (DnsResponse.Failure(name, type, failure), null);
            // RFC 4035 3.2.3: the AD bit vouches for this one answer; a chain is only as
            // authenticated as its least authenticated part.
            authenticated &= message.AuthenticatedData;
            string asked = current;

            while (true)
            {
                var matching = message.Answers.Where(r => r.Type == type && r.Name == current).ToList();
                if (matching.Count > 0)
                {
                    uint ttl = Math.Min(chainTtl, matching.Min(r => r.Ttl));
                    var success = new DnsResponse(name, type, DnsResponseStatus.Success, matching, authenticated) { CanonicalName = current };
                    return (success, ttl);
                }
                if (type == DnsRecordType.CNAME)
                    break;
                var cname = message.Answers.OfType<CnameRecord>().FirstOrDefault(c => c.Name == current);
                if (cname is null)
                    break;
                // A chain longer than the cap, or one that comes back to a name already seen, is a
                // misconfigured zone: the same SERVFAIL a recursive server gives for it.
                if (++followed > _options.MaxCnameChain || !visited.Add(cname.Target))
                    return (DnsResponse.Failure(name, type, DnsResponseStatus.ServerFailure), null);
                chainTtl = Math.Min(chainTtl, cname.Ttl);
                current = cname.Target;
            }

            var soa = message.Authority.OfType<SoaRecord>().FirstOrDefault();
            // RFC 2308 5: the negative TTL is the smaller of the SOA's own TTL and its MINIMUM field.
            uint? negativeTtl = soa is null ? null : Math.Min(Math.Min(soa.Ttl, soa.Minimum), chainTtl);
            // RFC 6604 3: with a CNAME chain, the RCODE speaks of the last name in it.
            if (message.Rcode == (int)DnsRcode.NxDomain)
                return (new DnsResponse(name, type, DnsResponseStatus.NxDomain, [], authenticated) { CanonicalName = current }, negativeTtl);
            if (current != asked && soa is null)
                continue; // the server stopped at a CNAME it did not chase: ask for the target
            return (new DnsResponse(name, type, DnsResponseStatus.NoData, [], authenticated) { CanonicalName = current }, negativeTtl);
        }
    }

    /// <summary>
    /// Asks the servers in turn, <see cref="DnsStubResolverOptions.Attempts"/> passes over the list
    /// (resolv.conf(5)). Returns the first NOERROR or NXDOMAIN answer; SERVFAIL, REFUSED, FORMERR,
    /// NOTIMP, malformed answers and timeouts move on to the next server. When all fail, the status
    /// says what the servers said, Timeout only when none answered at all.
    /// </summary>
    private async Task<(DnsMessage? Message, DnsResponseStatus Failure)> ExchangeAsync(string name, DnsRecordType type, CancellationToken ct)
    {
        int start = _rotate ? (int)((uint)Interlocked.Increment(ref _nextServer) % (uint)_servers.Count) : 0;
        var failure = DnsResponseStatus.Timeout;
        for (int attempt = 0; attempt < _attempts; attempt++)
        {
            for (int i = 0; i < _servers.Count; i++)
            {
                var server = _servers[(start + i) % _servers.Count];
                var (message, status) = await ExchangeWithServerAsync(server, name, type, ct).ConfigureAwait(false);
                if (message is null)
                {
                    if (status != DnsResponseStatus.Timeout)
                        failure = status;
                    continue;
                }
                switch ((DnsRcode)message.Rcode)
                {
                    case DnsRcode.NoError or DnsRcode.NxDomain:
                        return (message, DnsResponseStatus.Success);
                    case DnsRcode.Refused or DnsRcode.NotImp:
                        failure = DnsResponseStatus.Refused;
                        break;
                    case DnsRcode.FormErr:
                        failure = DnsResponseStatus.FormatError;
                        break;
                    default:
                        failure = DnsResponseStatus.ServerFailure;
                        break;
                }
            }
        }
        return (null, failure);
    }

    /// <summary>One exchange with one server: UDP, then TCP if the UDP answer was truncated.</summary>
    private async Task<(DnsMessage? Message, DnsResponseStatus Failure)> ExchangeWithServerAsync(IPEndPoint server, string name, DnsRecordType type, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            ushort payload = _options.UdpPayloadSize;
            var (udp, truncated) = await UdpExchangeAsync(server, name, type, payload, timeout.Token).ConfigureAwait(false);
            if (payload > 0 && udp.Message is { Rcode: (int)DnsRcode.FormErr, HasEdns: false })
            {
                // RFC 6891 7: a FORMERR without an OPT record is a server that does not know EDNS;
                // ask it once more without the OPT record.
                payload = 0;
                (udp, truncated) = await UdpExchangeAsync(server, name, type, payload, timeout.Token).ConfigureAwait(false);
            }
            if (!truncated)
                return udp;
            // RFC 7766 5: a truncated UDP answer is asked again over TCP; it gets its own timeout.
            timeout.CancelAfter(_timeout);
            return await TcpExchangeAsync(server, name, type, payload, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, DnsResponseStatus.Timeout);
        }
        catch (SocketException)
        {
            // ICMP port unreachable on UDP, a refused or reset TCP connection: this server gives no
            // answer, which counts like a timeout (try the next one) but without the wait.
            return (null, DnsResponseStatus.Timeout);
        }
    }

    /// <summary>
    /// RFC 5452 9.1: a fresh socket (so a fresh random ephemeral source port) and a random ID per
    /// query; the socket is connected, so the kernel drops datagrams from other addresses; and a
    /// datagram only counts when ID, QR, opcode and the whole question match. Anything else is
    /// dropped and we keep listening until the timeout, so a forged answer cannot end the query.
    /// </summary>
    private static async Task<((DnsMessage? Message, DnsResponseStatus Failure), bool Truncated)> UdpExchangeAsync(IPEndPoint server, string name, DnsRecordType type, ushort payload, CancellationToken ct)
    {
        ushort id = NewId();
        byte[] query = DnsMessageBuilder.BuildQuery(id, name, (ushort)type, payload);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
        await socket.SendAsync(query, SocketFlags.None, ct).ConfigureAwait(false);
        // 65535: the largest UDP payload, so an answer over our advertised size is still read whole.
        byte[] buffer = new byte[ushort.MaxValue];
        while (true)
        {
            int length = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
            var datagram = buffer.AsSpan(0, length);
            if (!Matches(datagram, id, name, type, out ushort flags))
                continue;
            if ((flags & DnsMessage.TcFlag) != 0)
                return ((null, DnsResponseStatus.Timeout), true);
            return DnsMessageParser.TryParse(datagram, out var message)
                ? ((message, DnsResponseStatus.Success), false)
                : ((null, DnsResponseStatus.FormatError), false);
        }
    }

    /// <summary>RFC 7766 8 and RFC 1035 4.2.2: each message is prefixed with its two-octet length.</summary>
    private static async Task<(DnsMessage?, DnsResponseStatus)> TcpExchangeAsync(IPEndPoint server, string name, DnsRecordType type, ushort payload, CancellationToken ct)
    {
        ushort id = NewId();
        // The payload size means nothing over TCP (RFC 6891 6.2.5 is about UDP), but the OPT record
        // is sent as it was over UDP so the server answers the same way.
        byte[] query = DnsMessageBuilder.BuildQuery(id, name, (ushort)type, payload);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server, ct).ConfigureAwait(false);
        byte[] framed = new byte[query.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);
        await socket.SendAsync(framed, SocketFlags.None, ct).ConfigureAwait(false);

        byte[] prefix = new byte[2];
        if (!await ReadExactlyAsync(socket, prefix, ct).ConfigureAwait(false))
            return (null, DnsResponseStatus.FormatError);
        byte[] response = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
        if (!await ReadExactlyAsync(socket, response, ct).ConfigureAwait(false))
            return (null, DnsResponseStatus.FormatError);
        // Over TCP nobody can inject into the connection without breaking it: a response that does
        // not answer our question is a broken server, not a forgery to wait out.
        if (!Matches(response, id, name, type, out _) || !DnsMessageParser.TryParse(response, out var message))
            return (null, DnsResponseStatus.FormatError);
        return (message, DnsResponseStatus.Success);
    }

    private static async Task<bool> ReadExactlyAsync(Socket socket, byte[] buffer, CancellationToken ct)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0)
                return false;
            read += n;
        }
        return true;
    }

    /// <summary>RFC 5452 9.1 and RFC 1035 7.3: the answer must be a response to exactly our question.</summary>
    private static bool Matches(ReadOnlySpan<byte> datagram, ushort id, string name, DnsRecordType type, out ushort flags)
    {
        if (!DnsMessageParser.TryParseQuestion(datagram, out ushort gotId, out flags, out var question))
            return false;
        // The parser lower-cases names, so this comparison is the case-insensitive one RFC 4343 asks for.
        return gotId == id
            && (flags & DnsMessage.QrFlag) != 0
            && ((flags >> 11) & 0xF) == 0 // opcode QUERY
            && question.Name == name
            && question.Type == (ushort)type
            && question.Class == DnsMessageBuilder.ClassIn;
    }

    /// <summary>RFC 5452 9.2: IDs from a cryptographic generator, so they cannot be predicted.</summary>
    private static ushort NewId()
    {
        Span<byte> bytes = stackalloc byte[2];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt16BigEndian(bytes);
    }
}
