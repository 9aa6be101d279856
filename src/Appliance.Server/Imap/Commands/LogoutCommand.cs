// RFC 9051 section 6.1.3 (LOGOUT: an untagged BYE, then the tagged OK, then the server closes).
namespace Appliance.Server.Imap.Commands;

internal static class LogoutCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: LOGOUT takes no arguments");
            return;
        }
        session.Close("Appliance IMAP server logging out");
        session.Ok(command.Tag, "LOGOUT completed");
    }
}
