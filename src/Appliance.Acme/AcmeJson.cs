using System.Text.Json;

namespace Appliance.Acme;

/// <summary>Reading the members of ACME's JSON objects (RFC 8555 7.1), with the member named when one is missing.</summary>
internal static class AcmeJson
{
    public static string RequiredString(JsonElement json, string name) =>
        OptionalString(json, name) ?? throw Malformed($"the member \"{name}\" is missing or not a string");

    public static string? OptionalString(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    public static Uri RequiredUri(JsonElement json, string name) =>
        OptionalUri(json, name) ?? throw Malformed($"the member \"{name}\" is missing or not a URL");

    public static Uri? OptionalUri(JsonElement json, string name) =>
        OptionalString(json, name) is { } text && Uri.TryCreate(text, UriKind.Absolute, out var url) ? url : null;

    public static IReadOnlyList<string> Strings(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array
            ? value.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).ToList()
            : [];

    public static DateTimeOffset? OptionalTime(JsonElement json, string name) =>
        OptionalString(json, name) is { } text && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal, out var time) ? time : null;

    public static AcmeProblem? OptionalProblem(JsonElement json, string name) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? AcmeProblem.Parse(value)
            : null;

    /// <summary>
    /// RFC 8555 7.1.6: a "status" member, one of the lower-case words the enum's members spell
    /// (pending, valid, …). An unknown one is an error rather than a guess.
    /// </summary>
    public static TStatus Status<TStatus>(JsonElement json, string what) where TStatus : struct, Enum
    {
        string status = RequiredString(json, "status");
        return status.Length > 0 && status.All(char.IsAsciiLetterLower) && Enum.TryParse(status, ignoreCase: true, out TStatus parsed)
            ? parsed
            : throw Malformed($"unknown {what} status \"{status}\"");
    }

    public static JsonDocument Parse(byte[] body, string what)
    {
        try
        {
            var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Malformed($"{what} is not a JSON object");
            }
            return document;
        }
        catch (JsonException e)
        {
            throw new AcmeException($"The CA's answer ({what}) is not JSON: {e.Message}", inner: e);
        }
    }

    public static AcmeException Malformed(string what) => new($"The CA's answer is not what RFC 8555 describes: {what}.");
}
