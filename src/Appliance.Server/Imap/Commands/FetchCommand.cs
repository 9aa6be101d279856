namespace Appliance.Server.Imap.Commands;

internal static class FetchCommand
{
    public static Task ExecuteAsync(ImapSession session, ImapCommand command, bool byUid)
    {
        session.NotYet(command);
        return Task.CompletedTask;
    }
}
