// RFC 9051 section 6.4.3 (EXPUNGE: remove the messages flagged \Deleted, one EXPUNGE response each),
// RFC 4315 section 2.1 (UID EXPUNGE uid-set: only those of them in the set), RFC 7162 3.2.10 (VANISHED
// instead of EXPUNGE with QRESYNC) and 3.2.7 (HIGHESTMODSEQ in the tagged OK once CONDSTORE is on,
// so the client's cache can move on). The responses are written by the session's report of the
// store's change (SelectedMailbox.Report), as they are for other sessions' expunges. A mailbox opened
// with EXAMINE cannot be changed (RFC 9051 6.3.3): NO [READ-ONLY].
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class ExpungeCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid)
    {
        var args = command.Arguments;
        SequenceSet? set = null;
        if (byUid ? args.Count != 1 || args[0].Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number) || !SequenceSet.TryParse(args[0].Bytes, out set)
                  : args.Count != 0)
        {
            session.Bad(command.Tag, byUid ? "Syntax: UID EXPUNGE uid-set" : "Syntax: EXPUNGE takes no arguments");
            return;
        }
        var selected = session.Selected!;
        if (selected.ReadOnly)
        {
            session.No(command.Tag, "READ-ONLY", "The mailbox is read-only (EXAMINE); nothing can be expunged");
            return;
        }
        List<uint>? uids = null;
        if (set is not null)
        {
            selected.TryResolve(set, byUid: true, out var messages, out _);
            uids = [.. messages.Select(m => m.Uid)];
        }
        try
        {
            session.Account!.Expunge(selected.Name, uids);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        catch (IOException e)
        {
            session.StoreFailed(command.Tag, e);
            return;
        }
        if (!session.CondStoreEnabled)
        {
            session.Ok(command.Tag, "EXPUNGE completed");
            return;
        }
        session.ReportChanges(); // first, so that HIGHESTMODSEQ covers the expunge just told
        if (session.State == ImapState.Selected)
            session.Ok(command.Tag, "EXPUNGE completed", $"HIGHESTMODSEQ {selected.HighestModSeq}");
    }
}
