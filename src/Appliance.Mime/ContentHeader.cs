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
    // Parameters as a small array in the order written: a part has two or three, and a Dictionary
    // per Content-Type was the largest single allocation per part on the mime benchmark. The
    // dictionary view is built only when someone asks for it (BODYSTRUCTURE).
    private readonly KeyValuePair<string, string>[] parameters;
    private Dictionary<string, string>? dictionary;

    private ContentHeader(string value, KeyValuePair<string, string>[] parameters)
    {
        Value = value;
        this.parameters = parameters;
    }

    /// <summary>"text/plain", "attachment" ...: lower-cased, or empty when missing.</summary>
    public string Value { get; }

    /// <summary>Parameters in the order written, names lower-cased; a repeated name keeps its first value.</summary>
    public IReadOnlyDictionary<string, string> Parameters => dictionary ??= new Dictionary<string, string>(parameters, StringComparer.Ordinal);

    /// <summary>The value of a parameter exactly as named, without RFC 2231 or RFC 2047 decoding.</summary>
    private string? Raw(ReadOnlySpan<char> name, ReadOnlySpan<char> suffix = default)
    {
        foreach ((string key, string value) in parameters)
        {
            if (key.Length == name.Length + suffix.Length && key.AsSpan().StartsWith(name) && key.AsSpan(name.Length).SequenceEqual(suffix))
            {
                return value;
            }
        }
        return null;
    }

    /// <summary>
    /// A parameter's decoded value: RFC 2231 4 (name*=charset'language'%XX), 3 (sections name*0,
    /// name*1* ... joined in order), else the plain value with RFC 2047 encoded-words decoded, which
    /// RFC 2047 5 forbids in parameters but Outlook and others write for file names anyway.
    /// </summary>
    public string? GetParameter(string name)
    {
        if (Raw(name, "*") is { } extended)
        {
            return DecodeSections([(extended, true)]);
        }
        SortedDictionary<int, (string Value, bool Encoded)>? sections = null;
        foreach ((string key, string value) in parameters)
        {
            if (key.Length <= name.Length + 1 || key[name.Length] != '*' || !key.StartsWith(name, StringComparison.Ordinal))
            {
                continue;
            }
            string rest = key[(name.Length + 1)..];
            bool encoded = rest.EndsWith('*');
            string number = encoded ? rest[..^1] : rest;
            // RFC 2231 3: section numbers are decimal without leading zeros; a bound keeps junk small.
            if (number.Length is > 0 and <= 3 && number.All(char.IsAsciiDigit) && (number == "0" || number[0] != '0'))
            {
                sections ??= [];
                sections.TryAdd(int.Parse(number, System.Globalization.CultureInfo.InvariantCulture), (value, encoded));
            }
        }
        if (sections is not null && sections.ContainsKey(0))
        {
            return DecodeSections(sections.Values.ToList());
        }
        return Raw(name) is { } plain ? EncodedWords.Decode(plain) : null;
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
    public bool HasParameter(string name)
    {
        foreach ((string key, _) in parameters)
        {
            if (key.StartsWith(name, StringComparison.Ordinal) && (key.Length == name.Length || key[name.Length] == '*'))
            {
                return true;
            }
        }
        return false;
    }

    private static readonly ContentHeader Missing = new("", []);

    /// <summary>Parses leniently: unquoted values may hold spaces, a missing "=" skips the parameter.</summary>
    public static ContentHeader Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return Missing;
        }
        int semicolon = text.IndexOf(';');
        string value = Token(semicolon < 0 ? text : text.AsSpan(0, semicolon));
        var found = new Collected();
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
            ReadOnlySpan<char> nameSpan = text.AsSpan(nameStart, i - nameStart).Trim();
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
            if (!nameSpan.IsEmpty)
            {
                found.Add(ParameterName(nameSpan), parameterValue);
            }
        }
        return new ContentHeader(value, found.ToArray());
    }

    /// <summary>
    /// The leading token, lower-cased, without spaces or a trailing comment (RFC 2045 5.1 allows
    /// comments around the type: "text/plain (text)"); the common ones without a new string.
    /// </summary>
    private static string Token(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        int comment = text.IndexOf('(');
        if (comment >= 0)
        {
            text = text[..comment];
        }
        foreach (string common in CommonValues)
        {
            if (text.Equals(common, StringComparison.OrdinalIgnoreCase))
            {
                return common;
            }
        }
        return text.ToString().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
    }

    private static readonly string[] CommonValues =
    [
        "text/plain", "text/html", "multipart/mixed", "multipart/alternative", "multipart/related", "multipart/signed",
        "message/rfc822", "application/octet-stream", "application/pdf", "image/png", "image/jpeg", "attachment", "inline",
    ];

    /// <summary>
    /// Parameters in order, the first of a repeated name winning. The first eight (nearly every
    /// header) collect inline, checked for repeats by a scan; past that a list and a set keep
    /// hostile input with thousands of parameters linear.
    /// </summary>
    private struct Collected
    {
        private const int InlineCount = 8;
        private Inline first;
        private int count;
        private List<KeyValuePair<string, string>>? more;
        private HashSet<string>? names;

        public void Add(string name, string value)
        {
            if (count < InlineCount)
            {
                for (int k = 0; k < count; k++)
                {
                    if (first[k].Key == name)
                    {
                        return;
                    }
                }
                first[count++] = new(name, value);
                return;
            }
            if (names is null)
            {
                names = new HashSet<string>(StringComparer.Ordinal);
                more = [];
                for (int k = 0; k < InlineCount; k++)
                {
                    names.Add(first[k].Key);
                }
            }
            if (names.Add(name))
            {
                more!.Add(new(name, value));
            }
        }

        public readonly KeyValuePair<string, string>[] ToArray()
        {
            if (count == 0)
            {
                return [];
            }
            var result = new KeyValuePair<string, string>[count + (more?.Count ?? 0)];
            ((ReadOnlySpan<KeyValuePair<string, string>>)first)[..count].CopyTo(result);
            more?.CopyTo(result, count);
            return result;
        }

        [System.Runtime.CompilerServices.InlineArray(InlineCount)]
        private struct Inline
        {
            private KeyValuePair<string, string> element;
        }
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
