using System.Text.Json;

namespace Appliance.Acme;

/// <summary>RFC 8555 7.1.6: an order's life: pending, ready (all authorizations valid), processing (finalized), valid (issued) or invalid.</summary>
public enum AcmeOrderStatus
{
    Pending,
    Ready,
    Processing,
    Valid,
    Invalid,
}

/// <summary>An order (RFC 8555 7.1.3): the identifiers asked for, their authorizations, and where to finalize and download.</summary>
public sealed record AcmeOrder(
    Uri Url,
    AcmeOrderStatus Status,
    DateTimeOffset? Expires,
    IReadOnlyList<AcmeIdentifier> Identifiers,
    IReadOnlyList<Uri> Authorizations,
    Uri Finalize,
    Uri? Certificate,
    AcmeProblem? Error)
{
    internal static AcmeOrder Parse(Uri url, JsonElement json) => new(
        url,
        AcmeJson.Status<AcmeOrderStatus>(json, "order"),
        AcmeJson.OptionalTime(json, "expires"),
        json.TryGetProperty("identifiers", out var ids) && ids.ValueKind == JsonValueKind.Array
            ? ids.EnumerateArray().Select(AcmeIdentifier.Parse).ToList()
            : throw AcmeJson.Malformed("the order has no \"identifiers\""),
        AcmeJson.Strings(json, "authorizations").Select(a => Uri.TryCreate(a, UriKind.Absolute, out var u) ? u : throw AcmeJson.Malformed($"authorization URL \"{a}\"")).ToList(),
        AcmeJson.RequiredUri(json, "finalize"),
        AcmeJson.OptionalUri(json, "certificate"),
        AcmeJson.OptionalProblem(json, "error"));
}
