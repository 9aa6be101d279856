// RFC 5321 section 4.1.1.5 (RSET).
namespace Appliance.Server.Smtp;

internal static class RsetCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        if (argument.Trim().Length > 0)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: RSET (no arguments)"));
            return;
        }
        session.ResetTransaction();
        await session.ReplyAsync(SmtpReply.Ok());
    }
}
