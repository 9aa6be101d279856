// RFC 5321 section 4.1.1.10 (QUIT).
namespace Appliance.Server.Smtp;

internal static class QuitCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        // RFC 5321 4.1.1.10: QUIT takes no argument, but ending the session is what the client
        // wants either way.
        _ = argument;
        await session.CloseAsync(new SmtpReply(221, "2.0.0", $"{session.Hostname} Bye"));
    }
}
