// RFC 9051 section 6.4.4 (SEARCH; an IMAP4rev2 client gets ESEARCH, as if RETURN (ALL), section
// 7.3.4), RFC 3501 section 6.4.4 and 7.2.5 (rev1: "* SEARCH n..."), RFC 4731 (ESEARCH: RETURN (MIN MAX
// ALL COUNT), section 3.1 results, "(TAG ...)" correlator and UID indicator), RFC 5182 (SEARCHRES:
// RETURN (SAVE) keeps the result as "$"; section 2.4 with MIN/MAX only those are kept; section 2.1
// a failed SEARCH ... SAVE empties it), RFC 7162 section 3.1.5 (MODSEQ criterion: the response ends
// with the highest MODSEQ of the messages returned, and CONDSTORE is on from then), RFC 4731 section
// 3.2 (the MODSEQ item of ESEARCH).
using Appliance.Server.Imap.Search;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class SearchCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid)
    {
        var selected = session.Selected!;
        var program = SearchParser.ParseSearch(command.Arguments, session.Options.MaxSearchDepth, out var error);
        if (program is null)
        {
            // RFC 5182 2.1: a SEARCH ... SAVE that fails leaves "$" empty; a client that used SAVE
            // with bad syntax elsewhere in the command must not go on with an older result.
            if (command.Arguments.Count > 1 && command.Arguments[0].IsAtom("RETURN") && command.Arguments[1].Items.Any(o => o.IsAtom("SAVE")))
                selected.SavedSearch = [];
            Refuse(session, command, error!);
            return;
        }
        bool withModSeq = SearchEvaluator.HasModSeq(program.Criteria);
        if (withModSeq)
            session.CondStoreEnabled = true;
        var evaluator = new SearchEvaluator(session.Account!, selected, summaries: false);
        bool esearch = program.ReturnGiven || session.Enabled.Contains(CapabilityCommand.Imap4Rev2);
        try
        {
            if (esearch)
                WriteEsearch(session, command.Tag, byUid, program, evaluator.Run(program.Criteria), withModSeq);
            else
                WriteSearch(session, byUid, evaluator.Run(program.Criteria), withModSeq);
        }
        catch (MailStoreException e)
        {
            if ((program.Return & SearchReturn.Save) != 0)
                selected.SavedSearch = [];
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        session.Ok(command.Tag, (byUid ? "UID SEARCH" : "SEARCH") + " completed");
    }

    /// <summary>Syntax errors are BAD; an unknown charset is NO [BADCHARSET (UTF-8 US-ASCII)] (RFC 9051 7.1).</summary>
    internal static void Refuse(ImapSession session, ImapCommand command, SearchParseError error)
    {
        if (error.BadCharset)
            session.No(command.Tag, "BADCHARSET " + SearchParser.SupportedCharsets, error.Text);
        else
            session.Bad(command.Tag, error.Text);
    }

    /// <summary>
    /// RFC 3501 7.2.5 / RFC 9051 7.3.5 (rev1): "* SEARCH" and the numbers, written as they are found;
    /// with MODSEQ, "(MODSEQ n)" at the end when anything matched (RFC 7162 3.1.5).
    /// </summary>
    private static void WriteSearch(ImapSession session, bool byUid, IEnumerable<SearchCandidate> matches, bool withModSeq)
    {
        var writer = session.Respond().Untagged().Atom("SEARCH");
        ulong highest = 0;
        try
        {
            foreach (var match in matches)
            {
                writer.Number(byUid ? match.Uid : (ulong)match.Sequence);
                highest = Math.Max(highest, match.ModSeq);
            }
        }
        finally
        {
            // A store failure midway still ends the line, so the NO that follows is read as one.
            if (withModSeq && highest > 0)
                writer.Atom($"(MODSEQ {highest})");
            writer.EndLine();
        }
    }

    /// <summary>
    /// RFC 4731 3.1: "* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [COUNT n] [ALL set]"; MIN, MAX and ALL
    /// are left out when nothing matched, COUNT never. With SAVE alone no ESEARCH is sent (RFC 5182 2.2).
    /// </summary>
    private static void WriteEsearch(ImapSession session, string tag, bool byUid, SearchProgram program, IEnumerable<SearchCandidate> matches, bool withModSeq)
    {
        var want = program.ReturnGiven ? program.Return : SearchReturn.All;
        var numbers = new List<uint>();
        var uids = new List<uint>();
        ulong highestAll = 0;
        SearchCandidate? first = null, last = null;
        foreach (var match in matches)
        {
            first ??= match;
            last = match;
            numbers.Add(byUid ? match.Uid : (uint)match.Sequence);
            if ((want & SearchReturn.Save) != 0)
                uids.Add(match.Uid);
            highestAll = Math.Max(highestAll, match.ModSeq);
        }
        var selected = session.Selected!;
        bool onlyMinMax = (want & (SearchReturn.All | SearchReturn.Count)) == 0 && (want & (SearchReturn.Min | SearchReturn.Max)) != 0;
        if ((want & SearchReturn.Save) != 0)
        {
            // RFC 5182 2.4: with MIN and/or MAX but neither ALL nor COUNT, only those messages are saved.
            if (onlyMinMax)
            {
                var kept = new List<uint>();
                if ((want & SearchReturn.Min) != 0 && first is not null)
                    kept.Add(first.Uid);
                if ((want & SearchReturn.Max) != 0 && last is not null && last != first)
                    kept.Add(last.Uid);
                selected.SavedSearch = [.. kept.Order()];
            }
            else
                selected.SavedSearch = uids;
        }
        if ((want & ~SearchReturn.Save) == 0)
            return;
        var writer = session.Respond().Untagged().Atom("ESEARCH").BeginList().Atom("TAG").String(tag).EndList();
        if (byUid)
            writer.Atom("UID");
        if ((want & SearchReturn.Min) != 0 && numbers.Count > 0)
            writer.Atom("MIN").Number(numbers[0]);
        if ((want & SearchReturn.Max) != 0 && numbers.Count > 0)
            writer.Atom("MAX").Number(numbers[^1]);
        if ((want & SearchReturn.Count) != 0)
            writer.Atom("COUNT").Number((ulong)numbers.Count);
        if ((want & SearchReturn.All) != 0 && numbers.Count > 0)
            writer.Atom("ALL").Atom(SequenceSet.Format(numbers));
        if (withModSeq && first is not null)
        {
            // RFC 4731 3.2 / RFC 7162 3.1.5: the highest MODSEQ of the messages returned: all of them,
            // unless only MIN and/or MAX were asked for, which return one or two messages.
            ulong highest = onlyMinMax
                ? Math.Max((want & SearchReturn.Min) != 0 ? first.ModSeq : 0, (want & SearchReturn.Max) != 0 ? last!.ModSeq : 0)
                : highestAll;
            writer.Atom("MODSEQ").Number(highest);
        }
        writer.EndLine();
    }
}
