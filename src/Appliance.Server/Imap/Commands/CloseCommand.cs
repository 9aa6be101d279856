// RFC 9051 section 6.4.1 (CLOSE): expunge \Deleted messages without EXPUNGE responses (not when the
// mailbox was opened with EXAMINE), then return to the authenticated state.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class CloseCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: CLOSE takes no arguments");
            return;
        }
        var selected = session.Selected!;
        if (!selected.ReadOnly)
        {
            try
            {
                session.Account!.Expunge(selected.Name);
            }
            catch (MailboxNotFoundException)
            {
                // Deleted meanwhile: nothing is left to expunge.
            }
        }
        session.LeaveSelected();
        session.Ok(command.Tag, "CLOSE completed");
    }
}
