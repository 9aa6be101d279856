namespace Appliance.Server.Imap.Commands;

internal static class SearchCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool byUid) => session.NotYet(command);
}
