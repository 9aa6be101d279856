using System.Text.Json;

namespace Appliance.Acme;

/// <summary>RFC 8555 7.1.6: an authorization is pending until one challenge succeeds (valid) or fails (invalid).</summary>
public enum AcmeAuthorizationStatus
{
    Pending,
    Valid,
    Invalid,
    Deactivated,
    Expired,
    Revoked,
}

/// <summary>An authorization (RFC 8555 7.1.4): proof of control over one identifier, by one of its challenges.</summary>
public sealed record AcmeAuthorization(
    Uri Url,
    AcmeIdentifier Identifier,
    AcmeAuthorizationStatus Status,
    DateTimeOffset? Expires,
    IReadOnlyList<AcmeChallenge> Challenges,
    bool Wildcard)
{
    /// <summary>The challenge of <paramref name="type"/> ("http-01"), or null when the CA did not offer it.</summary>
    public AcmeChallenge? Challenge(string type) => Challenges.FirstOrDefault(c => c.Type == type);

    internal static AcmeAuthorization Parse(Uri url, JsonElement json) => new(
        url,
        json.TryGetProperty("identifier", out var id) && id.ValueKind == JsonValueKind.Object
            ? AcmeIdentifier.Parse(id)
            : throw AcmeJson.Malformed("the authorization has no \"identifier\""),
        AcmeJson.Status<AcmeAuthorizationStatus>(json, "authorization"),
        AcmeJson.OptionalTime(json, "expires"),
        json.TryGetProperty("challenges", out var challenges) && challenges.ValueKind == JsonValueKind.Array
            ? challenges.EnumerateArray().Select(AcmeChallenge.Parse).ToList()
            : throw AcmeJson.Malformed("the authorization has no \"challenges\""),
        json.TryGetProperty("wildcard", out var wildcard) && wildcard.ValueKind == JsonValueKind.True);
}
