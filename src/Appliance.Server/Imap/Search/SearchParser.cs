// RFC 9051 section 6.4.4 and section 9 (search, search-program, search-key, date, charset); RFC 3501
// section 6.4.4 (NEW, OLD, RECENT, UNKEYWORD for rev1 clients); RFC 4731 section 3.1 and RFC 4466
// section 2.6 (search-return-opts: RETURN (MIN MAX ALL COUNT)); RFC 5182 section 2 (RETURN (SAVE) and
// "$"); RFC 7162 section 3.1.5 (MODSEQ [entry-name entry-type-req] mod-sequence-valzer); RFC 5256
// section 3 (SORT and THREAD take a charset before their criteria); RFC 6855 / RFC 9051 6.4.4
// (CHARSET UTF-8 and US-ASCII must be supported; others get NO [BADCHARSET]).
using System.Globalization;
using System.Text;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Search;

/// <summary>RFC 4731 / RFC 5182 search-return-opt values.</summary>
[Flags]
internal enum SearchReturn
{
    None = 0,
    Min = 1,
    Max = 2,
    All = 4,
    Count = 8,
    Save = 16,
}

/// <summary>Why criteria were refused: a syntax error (BAD), or a charset we do not know (NO [BADCHARSET]).</summary>
internal sealed record SearchParseError(string Text, bool BadCharset = false);

/// <summary>A parsed SEARCH command: what to return and the criteria.</summary>
internal sealed record SearchProgram(SearchReturn Return, bool ReturnGiven, SearchKey Criteria);

/// <summary>
/// Turns the generic arguments of SEARCH, SORT and THREAD into a <see cref="SearchKey"/> tree. Pure:
/// no store access. NOT, OR and parenthesized lists each add a level, bounded by the depth given,
/// so hostile input ("NOT NOT NOT ...") cannot exhaust the stack of this parser or of the evaluator.
/// </summary>
internal sealed class SearchParser
{
    /// <summary>The charsets RFC 9051 6.4.4 requires; the BADCHARSET response code lists them.</summary>
    public const string SupportedCharsets = "(UTF-8 US-ASCII)";

    private readonly IReadOnlyList<ImapArgument> _args;
    private readonly int _maxDepth;
    private int _next;

    private SearchParser(IReadOnlyList<ImapArgument> args, int start, int maxDepth)
    {
        _args = args;
        _next = start;
        _maxDepth = Math.Max(1, maxDepth);
    }

    /// <summary>SEARCH [RETURN (...)] [CHARSET charset] search-key *(SP search-key).</summary>
    public static SearchProgram? ParseSearch(IReadOnlyList<ImapArgument> args, int maxDepth, out SearchParseError? error)
    {
        var parser = new SearchParser(args, 0, maxDepth);
        var returns = SearchReturn.None;
        bool returnGiven = false;
        if (args.Count > 0 && args[0].IsAtom("RETURN"))
        {
            // RFC 4466 2.6: search-return-opts = SP "RETURN" SP "(" [search-return-opt *(SP search-return-opt)] ")".
            if (args.Count < 2 || args[1].Kind != ImapArgumentKind.List)
            {
                error = new SearchParseError("RETURN needs a list of options, e.g. RETURN (MIN MAX COUNT)");
                return null;
            }
            foreach (var option in args[1].Items)
            {
                SearchReturn one = option.Kind == ImapArgumentKind.Atom ? option.Text.ToUpperInvariant() switch
                {
                    "MIN" => SearchReturn.Min,
                    "MAX" => SearchReturn.Max,
                    "ALL" => SearchReturn.All,
                    "COUNT" => SearchReturn.Count,
                    "SAVE" => SearchReturn.Save,
                    _ => SearchReturn.None,
                } : SearchReturn.None;
                if (one == SearchReturn.None)
                {
                    error = new SearchParseError($"Unknown RETURN option {option}");
                    return null;
                }
                returns |= one;
            }
            // RFC 4731 3.1: "RETURN ()" is the same as RETURN (ALL).
            if (returns == SearchReturn.None)
                returns = SearchReturn.All;
            returnGiven = true;
            parser._next = 2;
        }
        if (parser._next < args.Count && args[parser._next].IsAtom("CHARSET"))
        {
            parser._next++;
            if (!parser.TryCharset(out error))
                return null;
        }
        var criteria = parser.ParseCriteria(out error);
        return criteria is null ? null : new SearchProgram(returns, returnGiven, criteria);
    }

    /// <summary>RFC 5256: charset SP search-key *(SP search-key), from <paramref name="start"/> (SORT and THREAD, where the charset is required).</summary>
    public static SearchKey? ParseCharsetAndCriteria(IReadOnlyList<ImapArgument> args, int start, int maxDepth, out SearchParseError? error)
    {
        var parser = new SearchParser(args, start, maxDepth);
        if (!parser.TryCharset(out error))
            return null;
        return parser.ParseCriteria(out error);
    }

    private bool TryCharset(out SearchParseError? error)
    {
        error = null;
        if (_next >= _args.Count || !_args[_next].TryGetAString(out byte[] name))
        {
            error = new SearchParseError("A charset name is missing, e.g. CHARSET UTF-8");
            return false;
        }
        _next++;
        string charset = Encoding.ASCII.GetString(name);
        if (!charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase))
        {
            error = new SearchParseError($"Charset {charset} is not supported", BadCharset: true);
            return false;
        }
        return true;
    }

    private SearchKey? ParseCriteria(out SearchParseError? error)
    {
        error = null;
        if (_next >= _args.Count)
        {
            error = new SearchParseError("Search criteria are missing");
            return null;
        }
        var keys = new List<SearchKey>();
        while (_next < _args.Count)
        {
            var key = ParseKey(depth: 1, ref error);
            if (key is null)
                return null;
            keys.Add(key);
        }
        return keys.Count == 1 ? keys[0] : new AndKey(keys);
    }

    private SearchKey? ParseKey(int depth, ref SearchParseError? error)
    {
        if (depth > _maxDepth)
        {
            error = new SearchParseError($"Search criteria nested deeper than {_maxDepth} levels");
            return null;
        }
        if (_next >= _args.Count)
        {
            error = new SearchParseError("A search key is missing");
            return null;
        }
        var argument = _args[_next++];
        if (argument.Kind == ImapArgumentKind.List)
        {
            // "(" search-key *(SP search-key) ")"
            if (argument.Items.Count == 0)
            {
                error = new SearchParseError("An empty list is not a search key");
                return null;
            }
            var inner = new SearchParser(argument.Items, 0, _maxDepth);
            var keys = new List<SearchKey>();
            while (inner._next < argument.Items.Count)
            {
                var key = inner.ParseKey(depth + 1, ref error);
                if (key is null)
                    return null;
                keys.Add(key);
            }
            return keys.Count == 1 ? keys[0] : new AndKey(keys);
        }
        if (argument.Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number))
        {
            error = new SearchParseError($"Expected a search key, got {argument}");
            return null;
        }
        string name = argument.Text.ToUpperInvariant();
        switch (name)
        {
            case "ALL": return new AllKey();
            case "OLD": return new AllKey();
            case "NEW" or "RECENT": return new NothingKey();
            case "ANSWERED": return new FlagKey(MessageFlags.Answered, true);
            case "DELETED": return new FlagKey(MessageFlags.Deleted, true);
            case "DRAFT": return new FlagKey(MessageFlags.Draft, true);
            case "FLAGGED": return new FlagKey(MessageFlags.Flagged, true);
            case "SEEN": return new FlagKey(MessageFlags.Seen, true);
            case "UNANSWERED": return new FlagKey(MessageFlags.Answered, false);
            case "UNDELETED": return new FlagKey(MessageFlags.Deleted, false);
            case "UNDRAFT": return new FlagKey(MessageFlags.Draft, false);
            case "UNFLAGGED": return new FlagKey(MessageFlags.Flagged, false);
            case "UNSEEN": return new FlagKey(MessageFlags.Seen, false);
            case "KEYWORD" or "UNKEYWORD":
                return Keyword(name, set: name == "KEYWORD", ref error);
            case "BEFORE": return Date(name, DateField.Internal, DateRelation.Before, ref error);
            case "ON": return Date(name, DateField.Internal, DateRelation.On, ref error);
            case "SINCE": return Date(name, DateField.Internal, DateRelation.Since, ref error);
            case "SENTBEFORE": return Date(name, DateField.Sent, DateRelation.Before, ref error);
            case "SENTON": return Date(name, DateField.Sent, DateRelation.On, ref error);
            case "SENTSINCE": return Date(name, DateField.Sent, DateRelation.Since, ref error);
            case "LARGER" or "SMALLER":
                return Number(name, out ulong size, ref error) ? new SizeKey(name == "LARGER", size) : null;
            case "FROM" or "TO" or "CC" or "BCC" or "SUBJECT":
                return String(name, out string value, ref error)
                    ? new HeaderKey(CultureInfo.InvariantCulture.TextInfo.ToTitleCase(name.ToLowerInvariant()), value) : null;
            case "HEADER":
                if (!FieldName(out string field, ref error) || !String(name, out string headerValue, ref error))
                    return null;
                return new HeaderKey(field, headerValue);
            case "BODY":
                return String(name, out string body, ref error) ? new TextKey(body, TextSearchScope.Body) : null;
            case "TEXT":
                return String(name, out string text, ref error) ? new TextKey(text, TextSearchScope.HeaderAndBody) : null;
            case "UID":
                if (_next >= _args.Count || !SequenceSet.TryParse(_args[_next].Bytes, out var uids))
                {
                    error = new SearchParseError("UID needs a UID set, e.g. UID 1:100");
                    return null;
                }
                _next++;
                return new SequenceKey(uids, ByUid: true);
            case "NOT":
                return ParseKey(depth + 1, ref error) is { } negated ? new NotKey(negated) : null;
            case "OR":
                if (ParseKey(depth + 1, ref error) is not { } left || ParseKey(depth + 1, ref error) is not { } right)
                    return null;
                return new OrKey(left, right);
            case "MODSEQ":
                return ModSeq(ref error);
        }
        if (SequenceSet.TryParse(argument.Bytes, out var set))
            return new SequenceKey(set, ByUid: false);
        error = new SearchParseError($"Unknown search key {argument.Text}");
        return null;
    }

    private KeywordKey? Keyword(string name, bool set, ref SearchParseError? error)
    {
        // RFC 9051 9: "KEYWORD" SP flag-keyword; a system flag ("\Seen") is not a keyword.
        if (_next >= _args.Count || _args[_next].Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number) || !ImapFlags.IsKeyword(_args[_next].Text))
        {
            error = new SearchParseError($"{name} needs a keyword, e.g. {name} $Forwarded");
            return null;
        }
        return new KeywordKey(_args[_next++].Text, set);
    }

    /// <summary>RFC 9051 9: date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year.</summary>
    private DateKey? Date(string name, DateField field, DateRelation relation, ref SearchParseError? error)
    {
        if (_next < _args.Count && _args[_next].Kind is ImapArgumentKind.Atom or ImapArgumentKind.String
            && TryParseDate(Encoding.ASCII.GetString(_args[_next].Bytes), out var date))
        {
            _next++;
            return new DateKey(field, relation, date);
        }
        error = new SearchParseError($"{name} needs a date, e.g. {name} 1-Feb-2026");
        return null;
    }

    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    /// <summary>date-day = 1*2DIGIT; date-month = "Jan" / ... (case-insensitive); date-year = 4DIGIT; the day must exist.</summary>
    internal static bool TryParseDate(string text, out DateOnly date)
    {
        date = default;
        var parts = text.Split('-');
        if (parts.Length != 3 || parts[0].Length is < 1 or > 2 || parts[2].Length != 4
            || !parts[0].All(char.IsAsciiDigit) || !parts[2].All(char.IsAsciiDigit))
            return false;
        int month = Array.IndexOf(Months, parts[1].ToUpperInvariant()) + 1;
        int day = int.Parse(parts[0], CultureInfo.InvariantCulture), year = int.Parse(parts[2], CultureInfo.InvariantCulture);
        if (month == 0 || year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month))
            return false;
        date = new DateOnly(year, month, day);
        return true;
    }

    /// <summary>RFC 9051 9: number64 (LARGER, SMALLER); a larger or non-numeric argument is a syntax error.</summary>
    private bool Number(string name, out ulong value, ref SearchParseError? error)
    {
        value = 0;
        if (_next < _args.Count && _args[_next].Kind == ImapArgumentKind.Number && _args[_next].Number >= 0)
        {
            value = (ulong)_args[_next++].Number;
            return true;
        }
        error = new SearchParseError($"{name} needs a number up to {long.MaxValue}");
        return false;
    }

    /// <summary>An astring argument as text: the octets are UTF-8 under either supported charset (US-ASCII is a subset).</summary>
    private bool String(string name, out string value, ref SearchParseError? error)
    {
        value = "";
        if (_next < _args.Count && _args[_next].TryGetAString(out byte[] octets))
        {
            _next++;
            value = Encoding.UTF8.GetString(octets);
            return true;
        }
        error = new SearchParseError($"{name} needs a string");
        return false;
    }

    /// <summary>RFC 9051 9: header-fld-name = astring; RFC 5322 2.2: printable ASCII except ":".</summary>
    private bool FieldName(out string field, ref SearchParseError? error)
    {
        field = "";
        if (_next < _args.Count && _args[_next].TryGetAString(out byte[] octets)
            && octets.Length > 0 && octets.All(b => b is > 32 and < 127 and not (byte)':'))
        {
            _next++;
            field = Encoding.ASCII.GetString(octets);
            return true;
        }
        error = new SearchParseError("HEADER needs a field name and a string, e.g. HEADER List-Id \"\"");
        return false;
    }

    /// <summary>RFC 7162 3.1.5: "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer.</summary>
    private ModSeqKey? ModSeq(ref SearchParseError? error)
    {
        if (_next < _args.Count && _args[_next].Kind == ImapArgumentKind.String)
        {
            // entry-name = entry-flag-name; entry-type-req = "priv" / "shared" / "all". The store keeps
            // one MODSEQ per message, not one per flag, so the entry is checked for syntax and the
            // message's MODSEQ is compared: it is never lower than that of any of its flags.
            if (_next + 1 >= _args.Count || !(_args[_next + 1].IsAtom("priv") || _args[_next + 1].IsAtom("shared") || _args[_next + 1].IsAtom("all")))
            {
                error = new SearchParseError("MODSEQ entry needs a type: priv, shared or all");
                return null;
            }
            _next += 2;
        }
        return Number("MODSEQ", out ulong value, ref error) ? new ModSeqKey(value) : null;
    }
}
