// RFC 1939 section 4 (entering the TRANSACTION state), RFC 3206 ([AUTH], [SYS/TEMP]).
using Appliance.Storage.Mail;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Pop3;

/// <summary>The shared end of USER/PASS and AUTH PLAIN: check the password, open the maildrop.</summary>
internal static partial class Pop3Login
{
    public static async ValueTask LoginAsync(Pop3Session session, string address, string password)
    {
        var user = await session.Engine.Authenticator.AuthenticateAsync(address, password, session.Connection.Stopping);
        if (user is null)
        {
            session.AuthFailures++;
            LogLoginFailed(session.Logger, session.Connection.RemoteAddress?.ToString() ?? "unknown", session.AuthFailures);
            if (session.Options.AuthFailureDelay > TimeSpan.Zero)
            {
                await session.FlushAsync();
                await Task.Delay(session.Options.AuthFailureDelay, session.Engine.Time, session.Connection.Stopping);
            }
            if (session.AuthFailures >= session.Options.MaxAuthFailures)
            {
                await session.CloseAsync("-ERR [AUTH] Authentication failed; too many failures, closing connection");
                return;
            }
            await session.ErrorAsync("[AUTH] Authentication failed", countsAsError: false);
            return;
        }
        try
        {
            session.Maildrop = Pop3Maildrop.Open(session.Engine.Store.OpenAccount(user.StoreId));
        }
        catch (MailStoreException e)
        {
            LogMaildropFailed(session.Logger, e, user.Address);
            await session.ErrorAsync("[SYS/TEMP] Cannot open the maildrop; try again later", countsAsError: false);
            return;
        }
        session.User = user;
        session.State = Pop3State.Transaction;
        LogLoggedIn(session.Logger, user.Address, session.Maildrop.Count);
        long size = session.Maildrop.Live().Sum(m => m.Message.Size);
        await session.WriteLineAsync($"+OK Logged in, {session.Maildrop.Count} messages ({size} octets)");
    }

    [LoggerMessage(EventId = 5210, Level = LogLevel.Information, Message = "POP3 logged in as {User}, {Messages} messages")]
    private static partial void LogLoggedIn(ILogger logger, string user, int messages);

    [LoggerMessage(EventId = 5211, Level = LogLevel.Warning, Message = "POP3 login failed from {Client} (failure {Count} in this session)")]
    private static partial void LogLoginFailed(ILogger logger, string client, int count);

    [LoggerMessage(EventId = 5212, Level = LogLevel.Error, Message = "POP3 maildrop of {User} could not be opened")]
    private static partial void LogMaildropFailed(ILogger logger, Exception exception, string user);
}
