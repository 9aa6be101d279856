using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Appliance.Dns;

/// <summary>
/// An in-memory resolver for tests of everything that uses DNS: zone data added in code, failure
/// injection per name and type (SERVFAIL, timeout, ...), CNAME chains, and a log of the questions
/// asked (SPF's lookup limits are counted in questions). Thread-safe.
/// </summary>
public sealed class FakeDnsResolver : IDnsResolver
{
    private readonly ConcurrentDictionary<string, List<DnsRecord>> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Name, DnsRecordType? Type), DnsResponseStatus> _failures = new();
    private readonly ConcurrentQueue<(string Name, DnsRecordType Type)> _queries = new();

    /// <summary>TTL given to records added through the helpers.</summary>
    public uint DefaultTtl { get; set; } = 300;

    /// <summary>CNAMEs followed before answering ServerFailure, as a real resolver gives up on loops.</summary>
    public int MaxCnameChain { get; set; } = 8;

    /// <summary>The AD bit every answer carries.</summary>
    public bool AuthenticatedData { get; set; }

    /// <summary>Every question asked so far, in order, with normalized names.</summary>
    public IReadOnlyList<(string Name, DnsRecordType Type)> Queries => _queries.ToArray();

    public int QueryCount => _queries.Count;

    public FakeDnsResolver Add(DnsRecord record)
    {
        var list = _names.GetOrAdd(DnsName.Normalize(record.Name), _ => []);
        lock (list)
            list.Add(record with { Name = DnsName.Normalize(record.Name) });
        return this;
    }

    /// <summary>Adds A or AAAA records, by the address family of each address.</summary>
    public FakeDnsResolver AddAddress(string name, params string[] addresses)
    {
        foreach (string text in addresses)
        {
            var address = IPAddress.Parse(text);
            Add(address.AddressFamily == AddressFamily.InterNetworkV6
                ? new AaaaRecord(name, DefaultTtl, address)
                : new ARecord(name, DefaultTtl, address));
        }
        return this;
    }

    public FakeDnsResolver AddMx(string name, ushort preference, string exchange) =>
        Add(new MxRecord(name, DefaultTtl, preference, exchange.TrimEnd('.').ToLowerInvariant()));

    /// <summary>Adds one TXT record per text; a text over 255 octets is split into several strings.</summary>
    public FakeDnsResolver AddTxt(string name, params string[] texts)
    {
        foreach (string text in texts)
            Add(TxtRecord.FromText(name, DefaultTtl, text));
        return this;
    }

    public FakeDnsResolver AddCname(string name, string target) =>
        Add(new CnameRecord(name, DefaultTtl, DnsName.Normalize(target)));

    public FakeDnsResolver AddPtr(string name, string target) =>
        Add(new PtrRecord(name, DefaultTtl, DnsName.Normalize(target)));

    /// <summary>Every question for <paramref name="name"/> (of <paramref name="type"/>, or of any type when null) ends with <paramref name="status"/>.</summary>
    public FakeDnsResolver Fail(string name, DnsResponseStatus status, DnsRecordType? type = null)
    {
        if (status is DnsResponseStatus.Success or DnsResponseStatus.NoData)
            throw new ArgumentOutOfRangeException(nameof(status), status, "Inject a failure, or add records for a success.");
        _failures[(DnsName.Normalize(name), type)] = status;
        return this;
    }

    public Task<DnsResponse> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        string normalized;
        try
        {
            normalized = DnsName.Normalize(name);
        }
        catch (ArgumentException)
        {
            return Task.FromResult(DnsResponse.Failure(name, type, DnsResponseStatus.FormatError));
        }
        _queries.Enqueue((normalized, type));
        return Task.FromResult(Answer(normalized, type));
    }

    private DnsResponse Answer(string name, DnsRecordType type)
    {
        string current = name;
        for (int hop = 0; hop <= MaxCnameChain; hop++)
        {
            if (_failures.TryGetValue((current, type), out var failure) || _failures.TryGetValue((current, null), out failure))
                return DnsResponse.Failure(name, type, failure);

            List<DnsRecord> records = [];
            if (_names.TryGetValue(current, out var list))
            {
                lock (list)
                    records = [.. list];
            }
            var matching = records.Where(r => r.Type == type).ToList();
            if (matching.Count > 0)
                return new DnsResponse(name, type, DnsResponseStatus.Success, matching, AuthenticatedData) { CanonicalName = current };

            // RFC 1034 3.6.2: a CNAME stands for the whole name; follow it for any other type.
            var cname = records.OfType<CnameRecord>().FirstOrDefault();
            if (cname is null || type == DnsRecordType.CNAME)
            {
                var status = records.Count > 0 ? DnsResponseStatus.NoData : DnsResponseStatus.NxDomain;
                return new DnsResponse(name, type, status, [], AuthenticatedData) { CanonicalName = current };
            }
            current = cname.Target;
        }
        return DnsResponse.Failure(name, type, DnsResponseStatus.ServerFailure);
    }
}
