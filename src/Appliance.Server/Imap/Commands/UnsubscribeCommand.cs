// RFC 9051 section 6.3.8 (UNSUBSCRIBE); RFC 3501 section 6.3.7.
namespace Appliance.Server.Imap.Commands;

internal static class UnsubscribeCommand
{
    public static void Execute(ImapSession session, ImapCommand command) => SubscribeCommand.SetSubscribed(session, command, subscribed: false);
}
