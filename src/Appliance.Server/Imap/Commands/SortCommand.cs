namespace Appliance.Server.Imap.Commands;

internal static class SortCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid) => session.NotYet(command);
}
