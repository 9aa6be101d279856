// RFC 2045 5.1 (Content-Type syntax), RFC 2183 (Content-Disposition), RFC 2231 (parameter names
// with "*" sections).
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// A Content-Type or Content-Disposition value: the leading token(s) and the parameters. Parameter
/// names are lower-cased; RFC 2231 sections are not joined yet (only presence is needed so far).
/// </summary>
internal sealed class ContentHeader
{
    private ContentHeader(string value, Dictionary<string, string> parameters)
    {
        Value = value;
        Parameters = parameters;
    }

    /// <summary>"text/plain", "attachment" ...: lower-cased, or empty when missing.</summary>
    public string Value { get; }

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public string MediaType => Value.Split('/')[0];

    public string? this[string name] => Parameters.GetValueOrDefault(name);

    /// <summary>True when a parameter of this name exists, plain or in RFC 2231 form ("filename*", "filename*0*").</summary>
    public bool HasParameter(string name) =>
        Parameters.Keys.Any(k => k == name || (k.StartsWith(name, StringComparison.Ordinal) && k.Length > name.Length && k[name.Length] == '*'));

    /// <summary>Parses leniently: unquoted values may hold spaces, a missing "=" skips the parameter.</summary>
    public static ContentHeader Parse(string? text)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text))
        {
            return new ContentHeader("", parameters);
        }
        int semicolon = text.IndexOf(';');
        string value = (semicolon < 0 ? text : text[..semicolon]).Trim().ToLowerInvariant();
        // RFC 2045 5.1 allows comments around the type; drop a trailing one ("text/plain (text)").
        int comment = value.IndexOf('(');
        value = (comment < 0 ? value : value[..comment]).Replace(" ", "", StringComparison.Ordinal);
        int i = semicolon < 0 ? text.Length : semicolon + 1;
        while (i < text.Length)
        {
            while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == ';'))
            {
                i++;
            }
            int nameStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ';')
            {
                i++;
            }
            string name = text[nameStart..i].Trim().ToLowerInvariant();
            if (i >= text.Length || text[i] == ';')
            {
                continue;
            }
            i++; // '='
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            var parameterValue = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                // RFC 2045 5.1 / RFC 5322 3.2.4 quoted-string with quoted-pairs.
                for (i++; i < text.Length && text[i] != '"'; i++)
                {
                    if (text[i] == '\\' && i + 1 < text.Length)
                    {
                        i++;
                    }
                    parameterValue.Append(text[i]);
                }
                while (i < text.Length && text[i] != ';')
                {
                    i++;
                }
            }
            else
            {
                int valueStart = i;
                while (i < text.Length && text[i] != ';')
                {
                    i++;
                }
                parameterValue.Append(text.AsSpan(valueStart, i - valueStart).Trim());
            }
            if (name.Length > 0)
            {
                parameters.TryAdd(name, parameterValue.ToString());
            }
        }
        return new ContentHeader(value, parameters);
    }
}
