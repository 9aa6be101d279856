// RFC 6851 (MOVE): section 3.1 and 3.2 (MOVE and UID MOVE: copy, then expunge the sources, atomically
// in the store), 3.3 (the server sends the EXPUNGE responses, or VANISHED with QRESYNC, RFC 7162
// 3.2.10), 4.3 (with UIDPLUS, COPYUID goes in an untagged OK before the expunges). A mailbox opened
// with EXAMINE cannot lose messages (RFC 9051 6.3.3): NO [READ-ONLY]. A move stays in the account, so
// the quota is not concerned.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class MoveCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid)
    {
        if (!ImapTransfer.TryParse(session, command, byUid, byUid ? "UID MOVE" : "MOVE", out var messages, out string target))
            return;
        var selected = session.Selected!;
        if (selected.ReadOnly)
        {
            session.No(command.Tag, "READ-ONLY", "The mailbox is read-only (EXAMINE); messages cannot be moved out of it");
            return;
        }
        CopyResult result;
        try
        {
            result = session.Account!.Move(selected.Name, messages.Select(m => m.Uid), target);
        }
        catch (MailStoreException e)
        {
            ImapTransfer.Refuse(session, command.Tag, e);
            return;
        }
        catch (IOException e)
        {
            session.StoreFailed(command.Tag, e); // the store moved the files back
            return;
        }
        if (ImapTransfer.CopyUid(result) is { } copyUid)
            session.Respond().Status(null, ImapStatus.Ok, copyUid, "Moved");
        // The tagged OK reports the expunges (and, for a move into this mailbox, the new EXISTS).
        session.Ok(command.Tag, "MOVE completed");
    }
}
