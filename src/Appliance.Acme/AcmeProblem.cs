using System.Text;
using System.Text.Json;

namespace Appliance.Acme;

/// <summary>
/// An ACME error document: an RFC 7807 problem with the ACME types of RFC 8555 6.7, and, for
/// requests about several identifiers, the subproblems of RFC 8555 6.7.1 (each naming its identifier).
/// </summary>
public sealed record AcmeProblem(string Type, string? Detail, int? Status, AcmeIdentifier? Identifier, IReadOnlyList<AcmeProblem> Subproblems)
{
    /// <summary>RFC 8555 6.7: the namespace of ACME's own error types.</summary>
    public const string AcmeErrorPrefix = "urn:ietf:params:acme:error:";

    public const string BadNonce = AcmeErrorPrefix + "badNonce";
    public const string RateLimited = AcmeErrorPrefix + "rateLimited";
    public const string Connection = AcmeErrorPrefix + "connection";
    public const string Dns = AcmeErrorPrefix + "dns";
    public const string IncorrectResponse = AcmeErrorPrefix + "incorrectResponse";
    public const string Unauthorized = AcmeErrorPrefix + "unauthorized";
    public const string Caa = AcmeErrorPrefix + "caa";
    public const string RejectedIdentifier = AcmeErrorPrefix + "rejectedIdentifier";
    public const string AccountDoesNotExist = AcmeErrorPrefix + "accountDoesNotExist";
    public const string Tls = AcmeErrorPrefix + "tls";

    /// <summary>RFC 7807 3.1: a problem without a "type" is "about:blank".</summary>
    public const string Blank = "about:blank";

    /// <summary>The ACME error's short name ("badNonce"), or the whole type when it is not an ACME one.</summary>
    public string Name => Type.StartsWith(AcmeErrorPrefix, StringComparison.Ordinal) ? Type[AcmeErrorPrefix.Length..] : Type;

    public bool Is(string type) => string.Equals(Type, type, StringComparison.Ordinal);

    /// <summary>Parses a problem document; members of the wrong type are ignored rather than fatal (the error must still be reported).</summary>
    public static AcmeProblem Parse(JsonElement json)
    {
        string type = AcmeJson.OptionalString(json, "type") ?? Blank;
        string? detail = AcmeJson.OptionalString(json, "detail");
        int? status = json.TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt32(out int n) ? n : null;
        AcmeIdentifier? identifier = json.TryGetProperty("identifier", out var id) && id.ValueKind == JsonValueKind.Object ? AcmeIdentifier.Parse(id) : null;
        var subproblems = new List<AcmeProblem>();
        if (json.TryGetProperty("subproblems", out var subs) && subs.ValueKind == JsonValueKind.Array)
        {
            foreach (var sub in subs.EnumerateArray())
            {
                if (sub.ValueKind == JsonValueKind.Object)
                    subproblems.Add(Parse(sub));
            }
        }
        return new AcmeProblem(type, detail, status, identifier, subproblems);
    }

    /// <summary>
    /// One line for a log or an admin: "rateLimited: too many certificates (mail.example.org:
    /// caa: CAA record forbids issuance)". The detail is the CA's own text (RFC 7807 3.1 says it is
    /// meant for humans).
    /// </summary>
    public string Describe()
    {
        var text = new StringBuilder();
        if (Identifier is not null)
            text.Append(Identifier.Value).Append(": ");
        text.Append(Name);
        if (!string.IsNullOrWhiteSpace(Detail))
            text.Append(": ").Append(Detail.Trim());
        if (Subproblems.Count > 0)
            text.Append(" (").AppendJoin("; ", Subproblems.Select(p => p.Describe())).Append(')');
        return text.ToString();
    }
}
