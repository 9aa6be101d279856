// RFC 5321 section 4.1.1.8 (HELP, reply 214).
namespace Appliance.Server.Smtp;

internal static class HelpCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        _ = argument;
        await session.ReplyAsync(new SmtpReply(214, "2.0.0",
            "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH\nSee RFC 5321 and https://www.rfc-editor.org/rfc/rfc5321"));
    }
}
