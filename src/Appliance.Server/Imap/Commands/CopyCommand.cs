namespace Appliance.Server.Imap.Commands;

internal static class CopyCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid) => session.NotYet(command);
}
