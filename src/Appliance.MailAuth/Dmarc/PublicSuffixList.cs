// The Public Suffix List format and matching algorithm (https://publicsuffix.org/list/, "Formal
// Algorithm"), as RFC 7489 (DMARC) section 3.2 uses it to find organizational domains.
using System.Globalization;

namespace Appliance.MailAuth.Dmarc;

/// <summary>Which part of the list a rule came from (the list's "===BEGIN ICANN DOMAINS===" / "PRIVATE" markers).</summary>
public enum PublicSuffixSection
{
    Icann,
    Private,
}

/// <summary>
/// A parsed Public Suffix List: normal rules ("com", "co.uk"), wildcards ("*.ck") and exceptions
/// ("!www.ck"). Rules are held as lower-case A-labels so they compare with names from DNS. Immutable
/// and thread-safe once built.
/// </summary>
public sealed class PublicSuffixList
{
    /// <summary>Where Debian's and Ubuntu's "publicsuffix" package installs the list.</summary>
    public const string DefaultPath = "/usr/share/publicsuffix/public_suffix_list.dat";

    private static readonly IdnMapping Idn = new() { AllowUnassigned = true };

    private enum RuleKind { Normal, Wildcard, Exception }

    private readonly record struct Rule(RuleKind Kind, PublicSuffixSection Section);

    // Keyed by the rule's labels without "*." or "!": "ck" holds the wildcard of "*.ck", "www.ck" the exception "!www.ck".
    private readonly Dictionary<string, List<Rule>> rules;

    private PublicSuffixList(Dictionary<string, List<Rule>> rules, bool includePrivate)
    {
        this.rules = rules;
        IncludePrivateDomains = includePrivate;
    }

    /// <summary>
    /// Whether rules of the PRIVATE section (blogspot.com, github.io ...) count. DMARC (RFC 7489 3.2)
    /// names no section; both are used by default so that tenants of shared hosting domains are separate organizations.
    /// </summary>
    public bool IncludePrivateDomains { get; }

    /// <summary>Number of rules read (both sections).</summary>
    public int Count => rules.Values.Sum(l => l.Count);

    public static PublicSuffixList Load(string path, bool includePrivateDomains = true) =>
        Parse(File.ReadAllText(path), includePrivateDomains);

    /// <summary>
    /// Parses the list's text format: one rule per line, "//" comments, blank lines ignored, only the
    /// text up to the first whitespace of a line counts; the section markers switch ICANN/PRIVATE.
    /// Malformed rules (bad IDN) are skipped rather than failing the whole list.
    /// </summary>
    public static PublicSuffixList Parse(string text, bool includePrivateDomains = true)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new Dictionary<string, List<Rule>>(StringComparer.Ordinal);
        var section = PublicSuffixSection.Icann;
        using var reader = new StringReader(text);
        while (reader.ReadLine() is { } line)
        {
            string trimmed = line.Trim();
            if (trimmed.StartsWith("//", StringComparison.Ordinal))
            {
                if (trimmed.Contains("===BEGIN PRIVATE DOMAINS===", StringComparison.Ordinal))
                {
                    section = PublicSuffixSection.Private;
                }
                else if (trimmed.Contains("===BEGIN ICANN DOMAINS===", StringComparison.Ordinal))
                {
                    section = PublicSuffixSection.Icann;
                }
                continue;
            }
            int space = trimmed.IndexOfAny([' ', '\t']);
            string rule = space < 0 ? trimmed : trimmed[..space];
            if (rule.Length == 0)
            {
                continue;
            }
            RuleKind kind = RuleKind.Normal;
            if (rule.StartsWith('!'))
            {
                kind = RuleKind.Exception;
                rule = rule[1..];
            }
            else if (rule.StartsWith("*.", StringComparison.Ordinal))
            {
                kind = RuleKind.Wildcard;
                rule = rule[2..];
            }
            if (!TryNormalize(rule, out string key))
            {
                continue;
            }
            if (!rules.TryGetValue(key, out var list))
            {
                rules[key] = list = [];
            }
            list.Add(new Rule(kind, section));
        }
        return new PublicSuffixList(rules, includePrivateDomains);
    }

    /// <summary>
    /// The public suffix of <paramref name="domain"/> by the list's algorithm: the matching rule with
    /// most labels prevails, an exception rule beats all and stands for its name minus the leftmost
    /// label, and with no match the implicit rule "*" makes the last label the suffix.
    /// </summary>
    public string GetPublicSuffix(string domain)
    {
        string[] labels = Labels(domain);
        if (labels.Length == 0)
        {
            return "";
        }
        int suffixLabels = 1; // the implicit "*" rule
        // Names are tried from the shortest suffix up; an exception anywhere ends the search.
        for (int n = 1; n <= labels.Length; n++)
        {
            string name = string.Join('.', labels[^n..]);
            if (Has(name, RuleKind.Exception))
            {
                // An exception rule prevails over every other match: the suffix is the rule minus its leftmost label.
                suffixLabels = n - 1;
                return string.Join('.', labels[^suffixLabels..]);
            }
            if (Has(name, RuleKind.Normal))
            {
                suffixLabels = Math.Max(suffixLabels, n);
            }
            // "*.name" matches one more label to the left of name.
            if (n < labels.Length && Has(name, RuleKind.Wildcard))
            {
                suffixLabels = Math.Max(suffixLabels, n + 1);
            }
        }
        return string.Join('.', labels[^suffixLabels..]);
    }

    /// <summary>
    /// RFC 7489 3.2: the organizational domain is the public suffix plus one label. A name that is
    /// itself a public suffix has none; it is returned unchanged so that it aligns only with itself.
    /// </summary>
    public string GetOrganizationalDomain(string domain)
    {
        string[] labels = Labels(domain);
        string suffix = GetPublicSuffix(domain);
        int suffixLabels = suffix.Length == 0 ? 0 : suffix.Split('.').Length;
        return labels.Length > suffixLabels ? string.Join('.', labels[^(suffixLabels + 1)..]) : string.Join('.', labels);
    }

    private bool Has(string name, RuleKind kind) =>
        rules.TryGetValue(name, out var list)
        && list.Any(r => r.Kind == kind && (IncludePrivateDomains || r.Section == PublicSuffixSection.Icann));

    private static string[] Labels(string domain)
    {
        if (!TryNormalize(domain, out string normalized) || normalized.Length == 0)
        {
            return [];
        }
        return normalized.Split('.');
    }

    private static bool TryNormalize(string name, out string normalized)
    {
        normalized = "";
        string trimmed = name.Trim().TrimEnd('.');
        if (trimmed.Length == 0 || trimmed.Contains(".."))
        {
            return false;
        }
        try
        {
            normalized = (trimmed.All(char.IsAscii) ? trimmed : Idn.GetAscii(trimmed)).ToLowerInvariant();
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
