// RFC 9051 section 6.1.2 (NOOP: does nothing, but is the client's way to poll for updates; the
// selected state will report mailbox changes here).
namespace Appliance.Server.Imap.Commands;

internal static class NoopCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: NOOP takes no arguments");
            return;
        }
        session.Ok(command.Tag, "NOOP completed");
    }
}
