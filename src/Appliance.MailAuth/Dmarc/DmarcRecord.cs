// RFC 7489 (DMARC) section 6.3 (general record format), 6.4 (formal definition), 6.6.3 (invalid p/sp).
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Appliance.MailAuth.Dmarc;

/// <summary>The requested handling of failing mail (RFC 7489 6.3 "p").</summary>
public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

/// <summary>Identifier alignment mode (RFC 7489 3.1, tags adkim and aspf).</summary>
public enum DmarcAlignment
{
    Relaxed,
    Strict,
}

/// <summary>A reporting URI of rua or ruf (RFC 7489 6.2) with its optional size limit ("!10m").</summary>
public sealed record DmarcReportUri(Uri Uri, long? MaxBytes);

/// <summary>
/// A DMARC policy record (RFC 7489 6.3). Tags with invalid values take their defaults, as 6.3 says
/// ("Syntax errors in the remainder of the record SHOULD be discarded in favor of default values");
/// <see cref="Warnings"/> lists what was discarded.
/// </summary>
public sealed record DmarcRecord
{
    public DmarcPolicy Policy { get; init; }

    /// <summary>sp: the policy for subdomains when the record was found at the organizational domain; null means "as p".</summary>
    public DmarcPolicy? SubdomainPolicy { get; init; }

    public DmarcAlignment DkimAlignment { get; init; } = DmarcAlignment.Relaxed;

    public DmarcAlignment SpfAlignment { get; init; } = DmarcAlignment.Relaxed;

    /// <summary>pct: 0 to 100, default 100.</summary>
    public int Percent { get; init; } = 100;

    public IReadOnlyList<DmarcReportUri> AggregateReportUris { get; init; } = [];

    public IReadOnlyList<DmarcReportUri> FailureReportUris { get; init; } = [];

    /// <summary>fo: colon-separated options among 0, 1, d, s; default "0".</summary>
    public IReadOnlyList<string> FailureOptions { get; init; } = ["0"];

    /// <summary>rf: report formats, default "afrf".</summary>
    public IReadOnlyList<string> ReportFormats { get; init; } = ["afrf"];

    /// <summary>ri: seconds between aggregate reports, default 86400.</summary>
    public uint ReportInterval { get; init; } = 86400;

    /// <summary>True when p (or sp) was missing or invalid and the record stands as "p=none" because rua was valid (6.6.3).</summary>
    public bool PolicyDefaulted { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// RFC 7489 6.6.3 step 3: a record is a DMARC record when it begins with "v=DMARC1" (the v tag first;
    /// whitespace around "=" allowed by 6.4's ABNF).
    /// </summary>
    public static bool IsDmarcRecord(string text)
    {
        string first = text.Split(';')[0];
        int eq = first.IndexOf('=');
        return eq > 0 && first[..eq].Trim() == "v" && first[(eq + 1)..].Trim() == "DMARC1";
    }

    /// <summary>
    /// Parses a record. False when it is not a DMARC record, or when p (or sp) is invalid and there is
    /// no valid rua URI: RFC 7489 6.6.3 says to apply "no DMARC processing" then. With a valid rua the
    /// record is kept as "p=none" (<see cref="PolicyDefaulted"/>).
    /// </summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out DmarcRecord? record, out string error)
    {
        record = null;
        error = "";
        if (!IsDmarcRecord(text))
        {
            error = "not a DMARC record (v=DMARC1 must come first)";
            return false;
        }
        var warnings = new List<string>();
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        // RFC 7489 6.4: dmarc-record = dmarc-version dmarc-sep *(dmarc-tag dmarc-sep); dmarc-sep = *WSP ";" *WSP
        foreach (string part in text.Split(';').Skip(1))
        {
            if (part.Trim().Length == 0)
            {
                continue;
            }
            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                warnings.Add($"ignored malformed tag '{part.Trim()}'");
                continue;
            }
            string name = part[..eq].Trim();
            // RFC 7489 6.3: a repeated tag is a syntax error in the remainder; the first one stands.
            if (!tags.TryAdd(name, part[(eq + 1)..].Trim()))
            {
                warnings.Add($"ignored repeated tag '{name}'");
            }
        }

        var aggregate = ParseUris(tags.GetValueOrDefault("rua"), "rua", warnings);
        var failure = ParseUris(tags.GetValueOrDefault("ruf"), "ruf", warnings);
        DmarcPolicy? policy = ParsePolicy(tags.GetValueOrDefault("p"));
        DmarcPolicy? subdomain = null;
        bool spInvalid = false;
        if (tags.TryGetValue("sp", out string? sp))
        {
            subdomain = ParsePolicy(sp);
            spInvalid = subdomain is null;
        }
        bool defaulted = false;
        if (policy is null || spInvalid)
        {
            // RFC 7489 6.6.3: invalid p or sp: act as "p=none" when rua has a valid URI, else no DMARC processing.
            if (aggregate.Count == 0)
            {
                error = policy is null ? "missing or invalid p tag and no valid rua" : "invalid sp tag and no valid rua";
                return false;
            }
            warnings.Add(policy is null ? "missing or invalid p tag: treated as p=none" : "invalid sp tag: treated as p=none");
            policy = DmarcPolicy.None;
            subdomain = null;
            defaulted = true;
        }

        int percent = 100;
        if (tags.TryGetValue("pct", out string? pct))
        {
            if (pct.Length is > 0 and <= 3 && pct.All(char.IsAsciiDigit) && int.Parse(pct, CultureInfo.InvariantCulture) <= 100)
            {
                percent = int.Parse(pct, CultureInfo.InvariantCulture);
            }
            else
            {
                warnings.Add($"invalid pct '{pct}': default 100");
            }
        }
        uint interval = 86400;
        if (tags.TryGetValue("ri", out string? ri) && !uint.TryParse(ri, NumberStyles.None, CultureInfo.InvariantCulture, out interval))
        {
            warnings.Add($"invalid ri '{ri}': default 86400");
            interval = 86400;
        }
        IReadOnlyList<string> fo = ["0"];
        if (tags.TryGetValue("fo", out string? foText))
        {
            // RFC 7489 6.3 fo: "0" / "1" / "d" / "s" separated by ":".
            string[] options = foText.Split(':').Select(o => o.Trim().ToLowerInvariant()).ToArray();
            if (options.All(o => o is "0" or "1" or "d" or "s"))
            {
                fo = options;
            }
            else
            {
                warnings.Add($"invalid fo '{foText}': default 0");
            }
        }
        IReadOnlyList<string> rf = ["afrf"];
        if (tags.TryGetValue("rf", out string? rfText))
        {
            // RFC 7489 6.3 rf: a colon-separated list of format names (6.4 Keyword); "afrf" is the only one defined.
            string[] formats = rfText.Split(':').Select(f => f.Trim().ToLowerInvariant()).ToArray();
            if (formats.All(f => f.Length > 0 && f.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')))
            {
                rf = formats;
            }
            else
            {
                warnings.Add($"invalid rf '{rfText}': default afrf");
            }
        }

        record = new DmarcRecord
        {
            Policy = policy.Value,
            SubdomainPolicy = subdomain,
            DkimAlignment = ParseAlignment(tags.GetValueOrDefault("adkim"), "adkim", warnings),
            SpfAlignment = ParseAlignment(tags.GetValueOrDefault("aspf"), "aspf", warnings),
            Percent = percent,
            AggregateReportUris = aggregate,
            FailureReportUris = failure,
            FailureOptions = fo,
            ReportFormats = rf,
            ReportInterval = interval,
            PolicyDefaulted = defaulted,
            Warnings = warnings,
        };
        return true;
    }

    private static DmarcPolicy? ParsePolicy(string? value) => value?.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };

    private static DmarcAlignment ParseAlignment(string? value, string tag, List<string> warnings)
    {
        switch (value?.ToLowerInvariant())
        {
            case null or "r":
                return DmarcAlignment.Relaxed;
            case "s":
                return DmarcAlignment.Strict;
            default:
                warnings.Add($"invalid {tag} '{value}': default r");
                return DmarcAlignment.Relaxed;
        }
    }

    // RFC 7489 6.4: dmarc-uri = URI [ "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] ], comma-separated.
    private static List<DmarcReportUri> ParseUris(string? value, string tag, List<string> warnings)
    {
        var result = new List<DmarcReportUri>();
        if (string.IsNullOrWhiteSpace(value))
        {
            return result;
        }
        foreach (string item in value.Split(','))
        {
            string text = item.Trim();
            long? max = null;
            int bang = text.LastIndexOf('!');
            if (bang > 0 && TryParseSize(text[(bang + 1)..], out long size))
            {
                max = size;
                text = text[..bang];
            }
            if (Uri.TryCreate(text, UriKind.Absolute, out Uri? uri))
            {
                result.Add(new DmarcReportUri(uri, max));
            }
            else
            {
                warnings.Add($"ignored invalid {tag} URI '{item.Trim()}'");
            }
        }
        return result;
    }

    private static bool TryParseSize(string text, out long size)
    {
        size = 0;
        long unit = 1;
        if (text.Length > 1 && char.ToLowerInvariant(text[^1]) is 'k' or 'm' or 'g' or 't')
        {
            unit = char.ToLowerInvariant(text[^1]) switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, _ => 1L << 40 };
            text = text[..^1];
        }
        if (text.Length is 0 or > 12 || !text.All(char.IsAsciiDigit))
        {
            return false;
        }
        size = long.Parse(text, CultureInfo.InvariantCulture) * unit;
        return true;
    }
}
