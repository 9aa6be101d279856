// RFC 3501 section 6.4.1 (CHECK, a checkpoint; removed from RFC 9051, which tells clients to use
// NOOP): every change is durable when its command completes here, so CHECK is NOOP.
namespace Appliance.Server.Imap.Commands;

internal static class CheckCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: CHECK takes no arguments");
            return;
        }
        session.Ok(command.Tag, "CHECK completed");
    }
}
