// RFC 1939 section 5 (STAT: "+OK nn mm", messages not marked deleted, exact octets).
namespace Appliance.Server.Pop3;

internal static class StatCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        if (argument.Length > 0)
        {
            await session.ErrorAsync("Syntax: STAT (no arguments)");
            return;
        }
        var live = session.Maildrop!.Live().ToList();
        await session.WriteLineAsync($"+OK {live.Count} {live.Sum(m => m.Message.Size)}");
    }
}
