// RFC 1939 section 4 (QUIT before login: just close) and section 6 (QUIT after login: the
// UPDATE state removes the marked messages; -ERR if that fails, RFC 3206 [SYS/TEMP]).
using Appliance.Storage.Mail;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Pop3;

internal static partial class QuitCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session)
    {
        if (session.Maildrop is not { } maildrop)
        {
            await session.CloseAsync("+OK Bye");
            return;
        }
        try
        {
            int removed = maildrop.Commit();
            await session.CloseAsync($"+OK Bye, {removed} messages deleted");
        }
        catch (MailStoreException e)
        {
            LogUpdateFailed(session.Logger, e);
            await session.CloseAsync("-ERR [SYS/TEMP] Some deleted messages were not removed; they will be there next time");
        }
    }

    [LoggerMessage(EventId = 5220, Level = LogLevel.Error, Message = "POP3 UPDATE state failed")]
    private static partial void LogUpdateFailed(ILogger logger, Exception exception);
}
