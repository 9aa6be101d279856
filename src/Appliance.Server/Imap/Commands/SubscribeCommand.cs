// RFC 9051 section 6.3.7 (SUBSCRIBE); RFC 3501 section 6.3.6. The subscription is a flag on an
// existing mailbox in the store, so a name that does not exist is refused (NO [NONEXISTENT]).
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class SubscribeCommand
{
    public static void Execute(ImapSession session, ImapCommand command) => SetSubscribed(session, command, subscribed: true);

    /// <summary>SUBSCRIBE and UNSUBSCRIBE (UnsubscribeCommand) differ only in the flag they set.</summary>
    internal static void SetSubscribed(ImapSession session, ImapCommand command, bool subscribed)
    {
        string syntax = command.Name + " mailbox";
        if (command.Arguments.Count != 1)
        {
            session.Bad(command.Tag, "Syntax: " + syntax);
            return;
        }
        if (!ImapMailboxes.TryGetName(session, command, command.Arguments[0], syntax, out string name))
            return;
        try
        {
            session.Account!.SetSubscribed(name, subscribed);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        session.Ok(command.Tag, command.Name + " completed");
    }
}
