using System.Text.Json;

namespace Appliance.Acme;

/// <summary>RFC 8555 7.1.6: a challenge's status.</summary>
public enum AcmeChallengeStatus
{
    Pending,
    Processing,
    Valid,
    Invalid,
}

/// <summary>
/// A challenge (RFC 8555 8): its type, its URL (POSTed to when the answer is in place, 7.5.1), its
/// token (8.3 for http-01), and the CA's error when validation failed (8, "error").
/// </summary>
public sealed record AcmeChallenge(Uri Url, string Type, AcmeChallengeStatus Status, string? Token, AcmeProblem? Error)
{
    internal static AcmeChallenge Parse(JsonElement json) => new(
        AcmeJson.RequiredUri(json, "url"),
        AcmeJson.RequiredString(json, "type"),
        AcmeJson.Status<AcmeChallengeStatus>(json, "challenge"),
        AcmeJson.OptionalString(json, "token"),
        AcmeJson.OptionalProblem(json, "error"));
}
