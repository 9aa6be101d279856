// RFC 5256 section 3 (THREAD thread-alg charset search-criteria; ORDEREDSUBJECT and REFERENCES, the
// algorithms in Search/ThreadBuilder.cs) and section 4 (the THREAD response; UID THREAD answers with
// UIDs). Unknown algorithms are BAD: only those in the CAPABILITY list may be used.
using Appliance.Server.Imap.Search;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class ThreadCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid)
    {
        var args = command.Arguments;
        if (args.Count < 3 || args[0].Kind != ImapArgumentKind.Atom)
        {
            session.Bad(command.Tag, "Syntax: THREAD algorithm charset search-criteria");
            return;
        }
        bool references = args[0].IsAtom("REFERENCES");
        if (!references && !args[0].IsAtom("ORDEREDSUBJECT"))
        {
            session.Bad(command.Tag, $"Unknown threading algorithm {args[0].Text}; use REFERENCES or ORDEREDSUBJECT");
            return;
        }
        var search = SearchParser.ParseCharsetAndCriteria(args, 1, session.Options.MaxSearchDepth, out var error);
        if (search is null)
        {
            SearchCommand.Refuse(session, command, error!);
            return;
        }
        if (SearchEvaluator.HasModSeq(search))
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
        var threads = references ? ThreadBuilder.References(matches) : ThreadBuilder.OrderedSubject(matches);
        var writer = session.Respond().Untagged().Atom("THREAD");
        if (threads.Count > 0)
            writer.Atom(string.Concat(threads.Select(t => ThreadBuilder.Format(t, byUid))));
        writer.EndLine();
        session.Ok(command.Tag, (byUid ? "UID THREAD" : "THREAD") + " completed");
    }
}
