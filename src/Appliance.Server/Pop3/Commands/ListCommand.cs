// RFC 1939 section 5 (LIST [msg]) and section 7 (UIDL [msg]): one line for a message, or a
// multi-line listing of every message not marked deleted.
namespace Appliance.Server.Pop3;

internal static class ListCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument, bool uniqueIds)
    {
        var maildrop = session.Maildrop!;
        string Value(Storage.Mail.MessageFile m) => uniqueIds ? maildrop.UniqueId(m) : m.Size.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (argument.Length > 0)
        {
            if (await session.MessageNumberAsync(argument) is not int number)
                return;
            await session.WriteLineAsync($"+OK {number} {Value(maildrop.Get(number)!)}");
            return;
        }
        await session.WriteLineAsync(uniqueIds ? "+OK Unique-id listing follows" : $"+OK {maildrop.Live().Count()} messages");
        foreach (var (number, message) in maildrop.Live())
            await session.WriteLineAsync($"{number} {Value(message)}");
        await session.WriteLineAsync(".");
    }
}
