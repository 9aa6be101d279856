using System.Text.Json;

namespace Appliance.Acme;

/// <summary>The CA's directory (RFC 8555 7.1.1): the URLs of its resources and its metadata.</summary>
public sealed record AcmeDirectory(
    Uri NewNonce,
    Uri NewAccount,
    Uri NewOrder,
    Uri? RevokeCert,
    Uri? KeyChange,
    Uri? TermsOfService,
    bool ExternalAccountRequired)
{
    internal static AcmeDirectory Parse(JsonElement json)
    {
        var meta = json.TryGetProperty("meta", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        return new AcmeDirectory(
            AcmeJson.RequiredUri(json, "newNonce"),
            AcmeJson.RequiredUri(json, "newAccount"),
            AcmeJson.RequiredUri(json, "newOrder"),
            AcmeJson.OptionalUri(json, "revokeCert"),
            AcmeJson.OptionalUri(json, "keyChange"),
            AcmeJson.OptionalUri(meta, "termsOfService"),
            meta.ValueKind == JsonValueKind.Object && meta.TryGetProperty("externalAccountRequired", out var ear) && ear.ValueKind == JsonValueKind.True);
    }
}
