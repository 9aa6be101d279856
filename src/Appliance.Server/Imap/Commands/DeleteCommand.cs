// RFC 9051 section 6.3.5 (DELETE: INBOX cannot be deleted; the store also refuses a mailbox with
// inferiors, as it keeps no \Noselect placeholders); RFC 3501 section 6.3.4 for rev1 clients.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class DeleteCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count != 1)
        {
            session.Bad(command.Tag, "Syntax: DELETE mailbox");
            return;
        }
        if (!ImapMailboxes.TryGetName(session, command, command.Arguments[0], "DELETE mailbox", out string name))
            return;
        try
        {
            session.Account!.DeleteMailbox(name);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        session.Ok(command.Tag, "DELETE completed");
    }
}
