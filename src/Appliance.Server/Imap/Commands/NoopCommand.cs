// RFC 9051 section 6.1.2 (NOOP: does nothing, but is the client's way to poll for updates; the
// selected state reports mailbox changes at its completion, RFC 9051 section 5.2).
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
