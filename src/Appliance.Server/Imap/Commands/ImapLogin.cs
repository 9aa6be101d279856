// RFC 9051 section 6.2.2 and 6.2.3 (a successful login enters the authenticated state; the OK may
// carry the new capabilities, 7.1); RFC 5530 (AUTHENTICATIONFAILED, UNAVAILABLE response codes).
using Appliance.Storage.Mail;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Imap.Commands;

/// <summary>The shared end of LOGIN and AUTHENTICATE PLAIN: check the password, open the account.</summary>
internal static partial class ImapLogin
{
    public static async ValueTask LoginAsync(ImapSession session, string tag, string address, string password)
    {
        var user = await session.Engine.Authenticator.AuthenticateAsync(address, password, session.Connection.Stopping);
        if (user is null)
        {
            session.FailedLogins++;
            LogLoginFailed(session.Logger, session.Connection.RemoteAddress?.ToString() ?? "unknown", session.FailedLogins);
            if (session.Options.FailedLoginDelay > TimeSpan.Zero)
            {
                await session.FlushAsync();
                try
                {
                    await Task.Delay(session.Options.FailedLoginDelay, session.Engine.Time, session.Connection.Stopping);
                }
                catch (OperationCanceledException)
                {
                    // The server is stopping during the delay: RFC 9051 7.1.5, BYE [UNAVAILABLE].
                    await session.Connection.SayGoodbyeAsync(Listeners.ReadInterruption.ShuttingDown);
                    session.EndSession();
                    return;
                }
            }
            session.No(tag, "AUTHENTICATIONFAILED", "Authentication failed");
            if (session.FailedLogins >= session.Options.MaxFailedLogins)
                session.Close("Too many failed logins");
            return;
        }
        MailAccount account;
        try
        {
            account = session.Engine.Store.OpenAccount(user.StoreId);
        }
        catch (MailStoreException e)
        {
            LogAccountFailed(session.Logger, e, user.Address);
            session.No(tag, "UNAVAILABLE", "Your mailboxes cannot be opened now; try again later");
            return;
        }
        if (!session.EnterAuthenticated(user, account, tag))
            return; // refused (per-user connection limit) and answered
        LogLoggedIn(session.Logger, user.Address);
        session.Ok(tag, "Logged in", "CAPABILITY " + CapabilityCommand.List(session));
    }

    [LoggerMessage(EventId = 5310, Level = LogLevel.Information, Message = "IMAP logged in as {User}")]
    private static partial void LogLoggedIn(ILogger logger, string user);

    [LoggerMessage(EventId = 5311, Level = LogLevel.Warning, Message = "IMAP login failed from {Client} (failure {Count} in this session)")]
    private static partial void LogLoginFailed(ILogger logger, string client, int count);

    [LoggerMessage(EventId = 5312, Level = LogLevel.Error, Message = "IMAP mail account of {User} could not be opened")]
    private static partial void LogAccountFailed(ILogger logger, Exception exception, string user);
}
