// RFC 5321 section 3.5.3 (VRFY answered with 252), 7.3 (VRFY and harvesting).
namespace Appliance.Server.Smtp;

internal static class VrfyCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        if (argument.Trim().Length == 0)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: VRFY address"));
            return;
        }
        // Never says whether an address exists: that would let anyone enumerate our users.
        await session.ReplyAsync(new SmtpReply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"));
    }
}
