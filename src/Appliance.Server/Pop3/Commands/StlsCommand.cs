// RFC 2595 section 4 (STLS: only in the AUTHORIZATION state, then a TLS handshake; the client
// must discard what it knew, and so do we).
namespace Appliance.Server.Pop3;

internal static class StlsCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        if (argument.Length > 0)
        {
            await session.ErrorAsync("Syntax: STLS (no arguments)");
            return;
        }
        if (session.Connection.IsSecure)
        {
            await session.ErrorAsync("TLS is already active");
            return;
        }
        await session.FlushAsync();
        var result = await session.Connection.StartTlsAsync("+OK Begin TLS negotiation\r\n"u8.ToArray());
        if (!result.Succeeded)
        {
            session.EndSession();
            return;
        }
        session.PendingUser = null;
        session.ResetAfterTls();
    }
}
