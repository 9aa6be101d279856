// RFC 5256 section 3 (SORT: sort-criteria, charset, search criteria; ARRIVAL, CC, DATE, FROM, REVERSE,
// SIZE, SUBJECT, TO; ties by sequence number; strings compared with i;ascii-casemap), section 2.1
// (base subject), 2.2 (sent date: Date:, else INTERNALDATE, compared in UTC), section 4 (the SORT
// response); RFC 5957 (SORT=DISPLAY: DISPLAYFROM and DISPLAYTO, the display name else the address);
// RFC 7162 section 3.1.5 (MODSEQ criterion: "(MODSEQ n)" ends the response).
using Appliance.Mime;
using Appliance.Server.Imap.Search;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class SortCommand
{
    private enum SortKey
    {
        Arrival,
        Cc,
        Date,
        From,
        Size,
        Subject,
        To,
        DisplayFrom,
        DisplayTo,
    }

    private readonly record struct SortCriterion(SortKey Key, bool Reverse);

    private const string Syntax = "Syntax: SORT (sort-criteria) charset search-criteria";

    public static void Execute(ImapSession session, ImapCommand command, bool byUid)
    {
        var args = command.Arguments;
        if (args.Count < 3 || args[0].Kind != ImapArgumentKind.List || args[0].Items.Count == 0)
        {
            session.Bad(command.Tag, Syntax);
            return;
        }
        if (!TryParseCriteria(args[0].Items, out var criteria, out string? problem))
        {
            session.Bad(command.Tag, problem!);
            return;
        }
        var search = SearchParser.ParseCharsetAndCriteria(args, 1, session.Options.MaxSearchDepth, out var error);
        if (search is null)
        {
            SearchCommand.Refuse(session, command, error!);
            return;
        }
        bool withModSeq = SearchEvaluator.HasModSeq(search);
        if (withModSeq)
            session.CondStoreEnabled = true;
        List<SearchCandidate> matches;
        try
        {
            matches = [.. new SearchEvaluator(session.Account!, session.Selected!).Run(search)];
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        var sorted = Sort(matches, criteria);
        var writer = session.Respond().Untagged().Atom("SORT");
        ulong highest = 0;
        foreach (var match in sorted)
        {
            writer.Number(byUid ? match.Uid : (ulong)match.Sequence);
            highest = Math.Max(highest, match.Info.ModSeq);
        }
        if (withModSeq && highest > 0)
            writer.Atom($"(MODSEQ {highest})");
        writer.EndLine();
        session.Ok(command.Tag, (byUid ? "UID SORT" : "SORT") + " completed");
    }

    /// <summary>sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"; sort-criterion = ["REVERSE" SP] sort-key.</summary>
    private static bool TryParseCriteria(IReadOnlyList<ImapArgument> items, out List<SortCriterion> criteria, out string? problem)
    {
        criteria = [];
        problem = null;
        bool reverse = false;
        foreach (var item in items)
        {
            if (item.Kind != ImapArgumentKind.Atom)
            {
                problem = $"Unknown sort key {item}";
                return false;
            }
            string name = item.Text.ToUpperInvariant();
            if (name == "REVERSE")
            {
                if (reverse)
                {
                    problem = "REVERSE must be followed by a sort key";
                    return false;
                }
                reverse = true;
                continue;
            }
            SortKey? key = name switch
            {
                "ARRIVAL" => SortKey.Arrival,
                "CC" => SortKey.Cc,
                "DATE" => SortKey.Date,
                "FROM" => SortKey.From,
                "SIZE" => SortKey.Size,
                "SUBJECT" => SortKey.Subject,
                "TO" => SortKey.To,
                "DISPLAYFROM" => SortKey.DisplayFrom,
                "DISPLAYTO" => SortKey.DisplayTo,
                _ => null,
            };
            if (key is null)
            {
                problem = $"Unknown sort key {item.Text}";
                return false;
            }
            criteria.Add(new SortCriterion(key.Value, reverse));
            reverse = false;
        }
        if (reverse)
        {
            problem = "REVERSE must be followed by a sort key";
            return false;
        }
        return true;
    }

    /// <summary>Computes each message's keys once (reading a header only for address keys), then sorts; ties by sequence number.</summary>
    private static List<SearchCandidate> Sort(List<SearchCandidate> matches, List<SortCriterion> criteria)
    {
        var keys = new object[matches.Count][];
        for (int m = 0; m < matches.Count; m++)
        {
            keys[m] = new object[criteria.Count];
            for (int c = 0; c < criteria.Count; c++)
                keys[m][c] = KeyOf(matches[m], criteria[c].Key);
        }
        var order = Enumerable.Range(0, matches.Count).ToArray();
        Array.Sort(order, (a, b) =>
        {
            for (int c = 0; c < criteria.Count; c++)
            {
                int result = keys[a][c] is string x
                    ? AsciiCaseMap.Instance.Compare(x, (string)keys[b][c])
                    : ((IComparable)keys[a][c]).CompareTo(keys[b][c]);
                if (result != 0)
                    return criteria[c].Reverse ? -result : result;
            }
            return matches[a].Sequence.CompareTo(matches[b].Sequence);
        });
        return [.. order.Select(i => matches[i])];
    }

    private static object KeyOf(SearchCandidate message, SortKey key) => key switch
    {
        SortKey.Arrival => message.Info.InternalDate,
        SortKey.Date => message.SentDate,
        SortKey.Size => message.Info.Size,
        SortKey.Subject => BaseSubject.Of(message.Info.Summary.Subject).Text,
        SortKey.From => FirstMailbox(message.Header, "From"),
        SortKey.To => FirstMailbox(message.Header, "To"),
        SortKey.Cc => FirstMailbox(message.Header, "Cc"),
        SortKey.DisplayFrom => FirstDisplay(message.Header, "From"),
        _ => FirstDisplay(message.Header, "To"),
    };

    /// <summary>RFC 5256 3: the addr-mailbox (local part) of the first address of the field, or "" when there is none.</summary>
    private static string FirstMailbox(HeaderBlock? header, string field) =>
        FirstAddress(header, field)?.LocalPart ?? "";

    /// <summary>RFC 5957 section 2: the display name of the first address when it has one, else its addr-spec; "" without one.</summary>
    private static DisplayKey FirstDisplay(HeaderBlock? header, string field) =>
        new(FirstAddress(header, field) is { } address
            ? string.IsNullOrWhiteSpace(address.DisplayName) ? address.Address : address.DisplayName
            : "");

    /// <summary>
    /// RFC 5957 compares display names with i;unicode-casemap (RFC 5051); ordinal comparison of
    /// case-folded text is our approximation of it (no normalization to NFKD).
    /// </summary>
    private readonly record struct DisplayKey(string Text) : IComparable
    {
        public int CompareTo(object? other) => string.Compare(Text, ((DisplayKey)other!).Text, StringComparison.OrdinalIgnoreCase);
    }

    private static MailboxAddress? FirstAddress(HeaderBlock? header, string field)
    {
        if (header?.Get(field) is not { } value)
            return null;
        var addresses = MailboxAddress.ParseList(value.Value);
        return addresses.Count > 0 ? addresses[0] : null;
    }
}
