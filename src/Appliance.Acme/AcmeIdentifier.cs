using System.Text.Json;

namespace Appliance.Acme;

/// <summary>What a certificate is for (RFC 8555 9.7.7): here always a "dns" name.</summary>
public sealed record AcmeIdentifier(string Type, string Value)
{
    /// <summary>RFC 8555 9.7.7: the identifier type of a DNS name.</summary>
    public const string DnsType = "dns";

    public static AcmeIdentifier Dns(string name) => new(DnsType, name);

    internal static AcmeIdentifier Parse(JsonElement json) =>
        new(AcmeJson.RequiredString(json, "type"), AcmeJson.RequiredString(json, "value"));

    internal void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("type", Type);
        writer.WriteString("value", Value);
        writer.WriteEndObject();
    }
}
