// RFC 2449 section 5 (CAPA and the capabilities TOP, USER, SASL, RESP-CODES, PIPELINING, UIDL,
// IMPLEMENTATION, AUTH-RESP-CODE from RFC 3206), RFC 2595 section 4 (STLS).
namespace Appliance.Server.Pop3;

internal static class CapaCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session)
    {
        await session.WriteLineAsync("+OK Capability list follows");
        await session.WriteLineAsync("TOP");
        await session.WriteLineAsync("UIDL");
        await session.WriteLineAsync("RESP-CODES");
        await session.WriteLineAsync("AUTH-RESP-CODE");
        await session.WriteLineAsync("PIPELINING");
        if (session.State == Pop3State.Authorization)
        {
            if (session.LoginAllowed)
            {
                await session.WriteLineAsync("USER");
                await session.WriteLineAsync("SASL PLAIN");
            }
            else
            {
                await session.WriteLineAsync("STLS");
            }
        }
        await session.WriteLineAsync("IMPLEMENTATION Appliance");
        await session.WriteLineAsync(".");
    }
}
