namespace Appliance.Server.Accounts;

/// <summary>
/// A user's own settings, for the webmail: display name, signature, vacation auto-reply, password.
/// Every method takes the signed-in user's address (from the authenticated session, never from
/// the browser's form) and reads or changes that mailbox only.
/// </summary>
public sealed class UserSettingsService
{
    /// <summary>RFC 5230 4.1: the :days default is 7.</summary>
    public const int DefaultReplyIntervalDays = 7;

    /// <summary>RFC 5230 4.1: the minimum :days is normally 1 (a site may not go below it to 0).</summary>
    public const int MinReplyIntervalDays = 1;

    /// <summary>RFC 5230 4.1 lets a site cap :days well above the default (past 30); a year is plenty.</summary>
    public const int MaxReplyIntervalDays = 365;

    /// <summary>
    /// The settings of <paramref name="mailboxAddress"/> (the signed-in user). A mailbox that never
    /// saved any has an empty signature and <see cref="VacationSettings.Off"/>. Throws
    /// <see cref="AccountException"/> (MailboxNotFound) when the mailbox no longer exists.
    /// </summary>
    public Task<UserSettings> GetAsync(string mailboxAddress, CancellationToken ct = default) =>
        throw new NotImplementedException();

    /// <summary>
    /// Validates the whole form and, when every field is acceptable, stores it in one transaction
    /// (audited as "settings.update"). Refusals come back as field errors and save nothing; only a
    /// missing mailbox throws (<see cref="AccountException"/>, MailboxNotFound).
    /// </summary>
    public Task<UserSettingsResult> UpdateAsync(string mailboxAddress, UserSettingsUpdate update, CancellationToken ct = default) =>
        throw new NotImplementedException();

    /// <summary>
    /// Changes the signed-in user's password after checking the current one (through
    /// <see cref="PasswordAuthenticator"/>; the change itself is <see cref="AccountService.SetPasswordAsync"/>,
    /// which ends the user's other web sessions). Empty when changed; else the errors, nothing changed.
    /// </summary>
    public Task<IReadOnlyList<UserSettingsError>> ChangePasswordAsync(
        string mailboxAddress, string currentPassword, string newPassword, CancellationToken ct = default) =>
        throw new NotImplementedException();
}
