// RFC 9051 section 6.3.6 (RENAME: inferiors follow; missing superiors of the new name are created;
// renaming INBOX moves its messages to the new mailbox and leaves INBOX empty); RFC 3501 6.3.5.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class RenameCommand
{
    private const string Syntax = "RENAME existing-mailbox new-mailbox";

    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count != 2)
        {
            session.Bad(command.Tag, "Syntax: " + Syntax);
            return;
        }
        if (!ImapMailboxes.TryGetName(session, command, command.Arguments[0], Syntax, out string from)
            || !ImapMailboxes.TryGetName(session, command, command.Arguments[1], Syntax, out string to))
            return;
        try
        {
            session.Account!.RenameMailbox(from, to);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        session.Ok(command.Tag, "RENAME completed");
    }
}
