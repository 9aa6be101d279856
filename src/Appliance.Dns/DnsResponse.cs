namespace Appliance.Dns;

/// <summary>
/// The outcome of one question. <see cref="Answers"/> holds the records of the asked type at the
/// end of any CNAME chain the resolver followed (<see cref="CanonicalName"/> names that end).
/// </summary>
/// <param name="AuthenticatedData">The AD bit (RFC 4035 3.2.3) of the answer: DNSSEC-validated by a trusted resolver. DANE needs it.</param>
public sealed record DnsResponse(
    string Name,
    DnsRecordType Type,
    DnsResponseStatus Status,
    IReadOnlyList<DnsRecord> Answers,
    bool AuthenticatedData = false)
{
    /// <summary>The name the answers belong to after following CNAMEs; <see cref="Name"/> when there were none.</summary>
    public string CanonicalName { get; init; } = Name;

    public IEnumerable<T> Records<T>() where T : DnsRecord => Answers.OfType<T>();

    public static DnsResponse Failure(string name, DnsRecordType type, DnsResponseStatus status) => new(name, type, status, []);
}
