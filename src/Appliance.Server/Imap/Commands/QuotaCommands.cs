namespace Appliance.Server.Imap.Commands;

internal static class QuotaCommands
{
    public static void GetQuota(ImapSession session, ImapCommand command) => session.NotYet(command);

    public static void GetQuotaRoot(ImapSession session, ImapCommand command) => session.NotYet(command);
}
