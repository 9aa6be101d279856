// RFC 1939 section 5 (RSET: every deletion mark is removed).
namespace Appliance.Server.Pop3;

internal static class RsetCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        if (argument.Length > 0)
        {
            await session.ErrorAsync("Syntax: RSET (no arguments)");
            return;
        }
        session.Maildrop!.Reset();
        await session.WriteLineAsync($"+OK Maildrop has {session.Maildrop.Count} messages");
    }
}
