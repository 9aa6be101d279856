namespace Appliance.Server.Imap.Commands;

internal static class IdleCommand
{
    public static Task ExecuteAsync(ImapSession session, ImapCommand command)
    {
        session.NotYet(command);
        return Task.CompletedTask;
    }
}
