// RFC 6376 section 3.2: tag=value lists, used by the DKIM-Signature field (3.5) and key records (3.6.1).
using System.Diagnostics.CodeAnalysis;

namespace Appliance.MailAuth.Dkim;

internal sealed class DkimTagList
{
    private readonly Dictionary<string, string> tags;

    private DkimTagList(Dictionary<string, string> tags) => this.tags = tags;

    public string? this[string name] => tags.TryGetValue(name, out string? value) ? value : null;

    public bool Contains(string name) => tags.ContainsKey(name);

    /// <summary>
    /// RFC 6376 3.2: tag-list = tag-spec *( ";" tag-spec ) [ ";" ], tag-spec = [FWS] tag-name [FWS] "="
    /// [FWS] tag-value [FWS]. Values are returned with surrounding whitespace removed (folds inside are
    /// kept; base64 callers strip them). A duplicate tag or a malformed spec is an error (3.2: "Tags
    /// with duplicate names MUST NOT occur within a single tag-list").
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out DkimTagList? list, [NotNullWhen(false)] out string? error)
    {
        list = null;
        Dictionary<string, string> tags = new(StringComparer.Ordinal); // 3.2: tag names are case-sensitive
        string[] specs = text.Split(';');
        for (int i = 0; i < specs.Length; i++)
        {
            string spec = specs[i].Trim(' ', '\t', '\r', '\n');
            if (spec.Length == 0)
            {
                if (i == specs.Length - 1)
                {
                    break; // the optional trailing ";"
                }
                error = "empty tag-spec";
                return false;
            }
            int equals = spec.IndexOf('=');
            if (equals <= 0)
            {
                error = $"tag-spec without '=': {Shorten(spec)}";
                return false;
            }
            string name = spec[..equals].TrimEnd(' ', '\t', '\r', '\n');
            // 3.2: tag-name = ALPHA *ALNUMPUNC (ALNUMPUNC = ALPHA / DIGIT / "_").
            if (name.Length == 0 || !char.IsAsciiLetter(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                error = $"invalid tag name: {Shorten(name)}";
                return false;
            }
            if (!tags.TryAdd(name, spec[(equals + 1)..].Trim(' ', '\t', '\r', '\n')))
            {
                error = $"duplicate tag {name}=";
                return false;
            }
        }
        list = new DkimTagList(tags);
        error = null;
        return true;
    }

    /// <summary>A base64 value with its folding whitespace removed (RFC 6376 3.5 b= and bh=, 3.6.1 p=).</summary>
    public static string StripWhitespace(string value) =>
        string.Concat(value.Where(c => c is not (' ' or '\t' or '\r' or '\n')));

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
