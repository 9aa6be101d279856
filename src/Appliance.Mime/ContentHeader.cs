// RFC 2045 5.1 (Content-Type syntax), RFC 2183 (Content-Disposition), RFC 2231 (parameter names
// with "*" sections).
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// A Content-Type or Content-Disposition value: the leading token(s) and the parameters as written
/// (names lower-cased). <see cref="GetParameter"/> applies RFC 2231 and RFC 2047 decoding.
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

    /// <summary>
    /// A parameter's decoded value: RFC 2231 4 (name*=charset'language'%XX), 3 (sections name*0,
    /// name*1* ... joined in order), else the plain value with RFC 2047 encoded-words decoded, which
    /// RFC 2047 5 forbids in parameters but Outlook and others write for file names anyway.
    /// </summary>
    public string? GetParameter(string name)
    {
        if (Parameters.TryGetValue(name + "*", out string? extended))
        {
            return DecodeSections([(extended, true)]);
        }
        var sections = new SortedDictionary<int, (string Value, bool Encoded)>();
        string prefix = name + "*";
        foreach ((string key, string value) in Parameters)
        {
            if (!key.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }
            string rest = key[prefix.Length..];
            bool encoded = rest.EndsWith('*');
            string number = encoded ? rest[..^1] : rest;
            // RFC 2231 3: section numbers are decimal without leading zeros; a bound keeps junk small.
            if (number.Length is > 0 and <= 3 && number.All(char.IsAsciiDigit) && (number == "0" || number[0] != '0'))
            {
                sections.TryAdd(int.Parse(number, System.Globalization.CultureInfo.InvariantCulture), (value, encoded));
            }
        }
        if (sections.ContainsKey(0))
        {
            return DecodeSections(sections.Values.ToList());
        }
        return Parameters.TryGetValue(name, out string? plain) ? EncodedWords.Decode(plain) : null;
    }

    /// <summary>
    /// RFC 2231 4: the first encoded section starts with charset'language'; encoded sections are
    /// %XX-escaped bytes in that charset; unencoded sections are literal text.
    /// </summary>
    private static string DecodeSections(List<(string Value, bool Encoded)> sections)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        string? charset = null;
        for (int s = 0; s < sections.Count; s++)
        {
            (string value, bool encoded) = sections[s];
            if (!encoded)
            {
                FlushBytes();
                text.Append(value);
                continue;
            }
            if (s == 0)
            {
                string[] pieces = value.Split('\'', 3);
                if (pieces.Length == 3)
                {
                    charset = pieces[0];
                    value = pieces[2];
                }
            }
            for (int i = 0; i < value.Length; i++)
            {
                if (value[i] == '%' && i + 2 < value.Length && char.IsAsciiHexDigit(value[i + 1]) && char.IsAsciiHexDigit(value[i + 2]))
                {
                    bytes.Add(Convert.ToByte(value.Substring(i + 1, 2), 16));
                    i += 2;
                }
                else
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(value[i].ToString()));
                }
            }
        }
        FlushBytes();
        return text.ToString();

        void FlushBytes()
        {
            if (bytes.Count > 0)
            {
                text.Append(Charsets.Decode(bytes.ToArray(), charset));
                bytes.Clear();
            }
        }
    }

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
            string name = ParameterName(text.AsSpan(nameStart, i - nameStart).Trim());
            if (i >= text.Length || text[i] == ';')
            {
                continue;
            }
            i++; // '='
            while (i < text.Length && char.IsWhiteSpace(text[i]))
            {
                i++;
            }
            string parameterValue;
            if (i < text.Length && text[i] == '"')
            {
                // RFC 2045 5.1 / RFC 5322 3.2.4 quoted-string with quoted-pairs.
                int valueStart = i + 1;
                int end = text.IndexOfAny(['"', '\\'], valueStart);
                if (end >= 0 && text[end] == '"')
                {
                    parameterValue = text[valueStart..end]; // no quoted-pair: one substring, no builder
                    i = end;
                }
                else
                {
                    var builder = new StringBuilder();
                    for (i++; i < text.Length && text[i] != '"'; i++)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length)
                        {
                            i++;
                        }
                        builder.Append(text[i]);
                    }
                    parameterValue = builder.ToString();
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
                parameterValue = text.AsSpan(valueStart, i - valueStart).Trim().ToString();
            }
            if (name.Length > 0)
            {
                parameters.TryAdd(name, parameterValue);
            }
        }
        return new ContentHeader(value, parameters);
    }

    // Shared names for the parameters almost every part has, instead of a new string per parse.
    private static readonly string[] CommonParameters = ["charset", "boundary", "name", "filename", "format", "type", "delsp"];

    private static string ParameterName(ReadOnlySpan<char> name)
    {
        foreach (string common in CommonParameters)
        {
            if (name.Equals(common, StringComparison.OrdinalIgnoreCase))
            {
                return common;
            }
        }
        return name.ToString().ToLowerInvariant();
    }
}
