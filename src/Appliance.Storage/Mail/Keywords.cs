namespace Appliance.Storage.Mail;

/// <summary>IMAP keywords (user flags, RFC 9051 section 2.3.2), stored space-separated in the index.</summary>
internal static class Keywords
{
    /// <summary>Upper bound per keyword; RFC 9051 sets none, this keeps the index rows small.</summary>
    public const int MaxLength = 100;

    public static IReadOnlyList<string> Normalize(IEnumerable<string>? keywords)
    {
        if (keywords is null)
        {
            return [];
        }

        var result = new List<string>();
        foreach (var keyword in keywords)
        {
            Validate(keyword);

            // Keywords compare case-insensitively, like IMAP flags; the first spelling wins.
            if (!result.Contains(keyword, StringComparer.OrdinalIgnoreCase))
            {
                result.Add(keyword);
            }
        }

        return result;
    }

    public static string Join(IReadOnlyList<string> keywords) => string.Join(' ', keywords);

    public static IReadOnlyList<string> Split(string stored) =>
        stored.Length == 0 ? [] : stored.Split(' ');

    public static IReadOnlyList<string> Apply(IReadOnlyList<string> current, FlagOperation operation, IReadOnlyList<string> given) =>
        operation switch
        {
            FlagOperation.Replace => given,
            FlagOperation.Add => current.Concat(given.Where(k => !current.Contains(k, StringComparer.OrdinalIgnoreCase))).ToList(),
            _ => current.Where(k => !given.Contains(k, StringComparer.OrdinalIgnoreCase)).ToList(),
        };

    public static bool SameSet(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && a.All(k => b.Contains(k, StringComparer.OrdinalIgnoreCase));

    private static void Validate(string? keyword)
    {
        // atom-specials of RFC 9051 section 9 (formal syntax), plus '\' which starts system flags.
        if (string.IsNullOrEmpty(keyword) || keyword.Length > MaxLength || keyword[0] == '\\')
        {
            throw new InvalidKeywordException(keyword ?? "");
        }

        foreach (var c in keyword)
        {
            if (c <= 0x20 || c >= 0x7F || c is '(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']')
            {
                throw new InvalidKeywordException(keyword);
            }
        }
    }
}
