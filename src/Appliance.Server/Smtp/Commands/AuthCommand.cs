// RFC 4954 (SMTP AUTH): section 4 (the exchange, "*" cancels, 334 continuations, 235/535), 6
// (538 5.7.11 encryption required); RFC 4616 (PLAIN: authzid NUL authcid NUL passwd); LOGIN is
// draft-murchison-sasl-login (username and password prompts "Username:"/"Password:" in base64).
using System.Text;
using Appliance.Server.Listeners;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Smtp;

internal static partial class AuthCommand
{
    private static readonly string UsernamePrompt = Convert.ToBase64String("Username:"u8);
    private static readonly string PasswordPrompt = Convert.ToBase64String("Password:"u8);

    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        if (session.IsMx)
        {
            await session.ReplyAsync(new SmtpReply(502, "5.5.1", "AUTH is not available on port 25; submit mail on port 587 or 465"));
            return;
        }
        if (!session.Connection.IsSecure)
        {
            await session.ReplyAsync(new SmtpReply(538, "5.7.11", "Encryption required for requested authentication mechanism: send STARTTLS first"));
            return;
        }
        if (session.User is not null)
        {
            await session.ReplyAsync(SmtpReply.BadSequence("Already authenticated"));
            return;
        }
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: AUTH mechanism [initial-response]"));
            return;
        }
        string mechanism = parts[0].ToUpperInvariant();
        string? initial = parts.Length == 2 ? parts[1] : null;

        if (mechanism is not ("PLAIN" or "LOGIN"))
        {
            await session.ReplyAsync(new SmtpReply(504, "5.5.4", "Unrecognized authentication mechanism; use PLAIN or LOGIN"));
            return;
        }
        var credentials = mechanism == "PLAIN" ? await PlainAsync(session, initial) : await LoginAsync(session, initial);
        if (credentials is not { } given)
            return; // cancelled, malformed or the session ended; the reply was sent

        var user = await session.Engine.Authenticator.AuthenticateAsync(given.User, given.Password, session.Connection.Stopping);
        if (user is null)
        {
            session.AuthFailures++;
            LogAuthFailed(session.Logger, session.ClientAddress, session.AuthFailures);
            // Dovecot's auth_failure_delay: a password guesser gets one try per delay.
            if (session.Options.AuthFailureDelay > TimeSpan.Zero)
            {
                await session.FlushAsync();
                await Task.Delay(session.Options.AuthFailureDelay, session.Engine.Time, session.Connection.Stopping);
            }
            if (session.AuthFailures >= session.Options.MaxAuthFailures)
            {
                await session.CloseAsync(new SmtpReply(421, "4.7.0", $"{session.Hostname} Too many failed authentications, closing connection"));
                return;
            }
            await session.ReplyAsync(new SmtpReply(535, "5.7.8", "Authentication credentials invalid"));
            return;
        }
        session.User = user;
        LogAuthenticated(session.Logger, user.Address);
        await session.ReplyAsync(new SmtpReply(235, "2.7.0", "Authentication successful"));
    }

    /// <summary>RFC 4616: one message, authzid NUL authcid NUL passwd; "=" is an empty initial response (RFC 4954 4).</summary>
    private static async Task<(string User, string Password)?> PlainAsync(SmtpSession session, string? initial)
    {
        string? response = initial ?? await ChallengeAsync(session, "");
        if (response is null)
            return null;
        var decoded = await DecodeAsync(session, response);
        if (decoded is null)
            return null;
        var fields = decoded.Split('\0');
        if (fields.Length != 3 || fields[1].Length == 0)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Malformed PLAIN response"));
            return null;
        }
        // We do not let one user act as another: authzid must be empty or the user itself.
        if (fields[0].Length > 0 && !fields[0].Equals(fields[1], StringComparison.OrdinalIgnoreCase))
        {
            await session.ReplyAsync(new SmtpReply(535, "5.7.8", "Authorization identity must be empty or the same as the user"));
            return null;
        }
        return (fields[1], fields[2]);
    }

    private static async Task<(string User, string Password)?> LoginAsync(SmtpSession session, string? initial)
    {
        string? userResponse = initial ?? await ChallengeAsync(session, UsernamePrompt);
        if (userResponse is null)
            return null;
        var user = await DecodeAsync(session, userResponse);
        if (user is null)
            return null;
        string? passwordResponse = await ChallengeAsync(session, PasswordPrompt);
        if (passwordResponse is null)
            return null;
        var password = await DecodeAsync(session, passwordResponse);
        return password is null ? null : (user, password);
    }

    /// <summary>Sends "334 challenge" and reads the client's line; null (answered) on "*" or when the session ended.</summary>
    private static async Task<string?> ChallengeAsync(SmtpSession session, string challenge)
    {
        await session.ReplyAsync(new SmtpReply(334, null, challenge), countsAsError: false);
        string? line = await session.ReadContinuationLineAsync();
        if (line is null)
            return null;
        if (line == "*")
        {
            await session.ReplyAsync(new SmtpReply(501, "5.7.0", "Authentication cancelled"));
            return null;
        }
        return line;
    }

    private static async Task<string?> DecodeAsync(SmtpSession session, string base64)
    {
        if (base64 == "=")
            return "";
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Convert.FromBase64String(base64));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            await session.ReplyAsync(new SmtpReply(501, "5.5.2", "Cannot decode the response (base64 of UTF-8 expected)"));
            return null;
        }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Information, Message = "SMTP authenticated as {User}")]
    private static partial void LogAuthenticated(ILogger logger, string user);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "SMTP authentication failed from {Client} (failure {Count} in this session)")]
    private static partial void LogAuthFailed(ILogger logger, string client, int count);
}
