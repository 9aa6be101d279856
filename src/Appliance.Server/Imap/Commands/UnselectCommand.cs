// RFC 3691 (UNSELECT), also RFC 9051 section 6.4.2: leave the selected state without expunging.
namespace Appliance.Server.Imap.Commands;

internal static class UnselectCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: UNSELECT takes no arguments");
            return;
        }
        session.LeaveSelected();
        session.Ok(command.Tag, "UNSELECT completed");
    }
}
