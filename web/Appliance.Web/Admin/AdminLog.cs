namespace Appliance.Web.Admin;

/// <summary>The admin UI's log events (1150s; the 1100s are the mail listeners'). Never a password.</summary>
internal static partial class AdminLog
{
    [LoggerMessage(EventId = 1150, Level = LogLevel.Warning, Message = "Sign-in failed for {Address} from {Client}")]
    public static partial void SignInFailed(ILogger logger, string address, string client);

    [LoggerMessage(EventId = 1151, Level = LogLevel.Information, Message = "{Address} signed in from {Client}")]
    public static partial void SignedIn(ILogger logger, string address, string client);

    [LoggerMessage(EventId = 1152, Level = LogLevel.Warning, Message = "No administrator exists. Finish setup at {Url} with the setup token {Token}")]
    public static partial void SetupOpen(ILogger logger, string url, string token);
}

/// <summary>User-typed text made safe for one log line: control characters replaced, length bounded.</summary>
internal static class LogText
{
    public const int MaxLength = 256;

    public static string Printable(string? text)
    {
        var value = (text ?? "").Length > MaxLength ? text![..MaxLength] + "…" : text ?? "";
        return string.Concat(value.Select(c => char.IsControl(c) ? '?' : c));
    }
}
