// RFC 1939 section 7 (PASS: the rest of the line is the password, spaces included); RFC 3206
// ([AUTH] for bad credentials, [SYS/TEMP] for our own failure).
namespace Appliance.Server.Pop3;

internal static class PassCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        if (!session.LoginAllowed)
        {
            await session.ErrorAsync("[AUTH] Plaintext authentication is not allowed without TLS; use STLS first");
            return;
        }
        if (session.PendingUser is not { } user)
        {
            await session.ErrorAsync("Send USER first");
            return;
        }
        session.PendingUser = null;
        await Pop3Login.LoginAsync(session, user, argument);
    }
}
