// RFC 1939 section 7 (USER), RFC 2595 section 2.1 and RFC 3206 section 4 ([AUTH]: no plaintext login without TLS).
namespace Appliance.Server.Pop3;

internal static class UserCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        if (!session.LoginAllowed)
        {
            await session.ErrorAsync("[AUTH] Plaintext authentication is not allowed without TLS; use STLS first");
            return;
        }
        if (argument.Length == 0)
        {
            await session.ErrorAsync("Syntax: USER name");
            return;
        }
        session.PendingUser = argument;
        await session.WriteLineAsync("+OK Send your password");
    }
}
