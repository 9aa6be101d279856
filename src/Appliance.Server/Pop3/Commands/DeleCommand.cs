// RFC 1939 section 5 (DELE: marked now, removed in the UPDATE state).
namespace Appliance.Server.Pop3;

internal static class DeleCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        if (await session.MessageNumberAsync(argument) is not int number)
            return;
        session.Maildrop!.MarkDeleted(number);
        await session.WriteLineAsync($"+OK Message {number} deleted");
    }
}
