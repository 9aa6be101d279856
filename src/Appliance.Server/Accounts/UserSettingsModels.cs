namespace Appliance.Server.Accounts;

/// <summary>What a signed-in user sees and edits on the webmail's settings page.</summary>
/// <param name="Address">The mailbox's normalized address (read-only here).</param>
/// <param name="DisplayName">The name shown in From: of the user's mail (Mailbox.DisplayName).</param>
/// <param name="Signature">Plain text the composer appends below "-- " (RFC 3676 4.3); empty for none.</param>
public sealed record UserSettings(string Address, string DisplayName, string Signature, VacationSettings Vacation);

/// <summary>
/// The vacation auto-reply (RFC 3834, with the rules of RFC 5230 Sieve vacation).
/// </summary>
/// <param name="Enabled">Replies are sent only while this is on and today is within the dates.</param>
/// <param name="StartDate">
/// First day replies are sent, inclusive, as a UTC calendar date (from 00:00 UTC); null: from now on.
/// </param>
/// <param name="EndDate">
/// Last day replies are sent, inclusive, as a UTC calendar date (until 24:00 UTC); null: until turned off.
/// </param>
/// <param name="Subject">The reply's subject; null or empty means "Auto: " + the original subject (RFC 3834 3.1.5).</param>
/// <param name="Text">The reply's plain-text body.</param>
/// <param name="ReplyIntervalDays">
/// At most one reply per sender in this many days (RFC 5230 4.1 :days; default
/// <see cref="UserSettingsService.DefaultReplyIntervalDays"/>).
/// </param>
public sealed record VacationSettings(
    bool Enabled,
    DateOnly? StartDate,
    DateOnly? EndDate,
    string? Subject,
    string Text,
    int ReplyIntervalDays = UserSettingsService.DefaultReplyIntervalDays)
{
    /// <summary>Vacation off, nothing filled in: what a mailbox that never saved settings has.</summary>
    public static VacationSettings Off { get; } = new(false, null, null, null, "");
}

/// <summary>The whole settings form as submitted: every value replaces the stored one.</summary>
public sealed record UserSettingsUpdate(string DisplayName, string Signature, VacationSettings Vacation);

/// <summary>The form field a validation error belongs to, for showing it next to that field.</summary>
public enum UserSettingsField
{
    DisplayName,
    Signature,
    VacationStartDate,
    VacationEndDate,
    VacationSubject,
    VacationText,
    VacationReplyIntervalDays,
    CurrentPassword,
    NewPassword,
}

/// <summary>One refused value and why, in words for the user.</summary>
public sealed record UserSettingsError(UserSettingsField Field, string Message);

/// <summary>
/// The outcome of a change: on success <see cref="Errors"/> is empty and <see cref="Settings"/> is
/// what is now stored; otherwise nothing was saved and <see cref="Settings"/> is null.
/// </summary>
public sealed record UserSettingsResult(UserSettings? Settings, IReadOnlyList<UserSettingsError> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}
