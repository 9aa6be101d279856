using System.Text.Json;

namespace Appliance.Acme;

/// <summary>RFC 8555 7.1.2: the account's status.</summary>
public enum AcmeAccountStatus
{
    Valid,
    Deactivated,
    Revoked,
}

/// <summary>An account (RFC 8555 7.1.2). <see cref="Url"/> is the "kid" of every later request (RFC 8555 6.2).</summary>
public sealed record AcmeAccount(Uri Url, AcmeAccountStatus Status, IReadOnlyList<string> Contact)
{
    internal static AcmeAccount Parse(Uri url, JsonElement json) => new(
        url,
        AcmeJson.Status<AcmeAccountStatus>(json, "account"),
        AcmeJson.Strings(json, "contact"));
}
