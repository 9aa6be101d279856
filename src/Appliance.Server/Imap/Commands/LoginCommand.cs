// RFC 9051 section 6.2.3 (LOGIN userid password, both astrings; refused with NO [PRIVACYREQUIRED]
// while LOGINDISABLED is advertised, i.e. before TLS); RFC 5530 section 3 (PRIVACYREQUIRED).
using System.Text;

namespace Appliance.Server.Imap.Commands;

internal static class LoginCommand
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static async ValueTask ExecuteAsync(ImapSession session, ImapCommand command)
    {
        if (!session.LoginAllowed)
        {
            session.No(command.Tag, "PRIVACYREQUIRED", "LOGIN is not allowed without TLS; use STARTTLS first");
            return;
        }
        if (command.Arguments.Count != 2
            || !command.Arguments[0].TryGetAString(out var userOctets)
            || !command.Arguments[1].TryGetAString(out var passwordOctets))
        {
            session.Bad(command.Tag, "Syntax: LOGIN userid password");
            return;
        }
        string user, password;
        try
        {
            user = StrictUtf8.GetString(userOctets);
            password = StrictUtf8.GetString(passwordOctets);
        }
        catch (DecoderFallbackException)
        {
            session.Bad(command.Tag, "User name and password must be UTF-8");
            return;
        }
        await ImapLogin.LoginAsync(session, command.Tag, user, password);
    }
}
