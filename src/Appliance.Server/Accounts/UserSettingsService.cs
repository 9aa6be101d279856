// RFC 5230 4.1 (:days bounds), 4.2 (previous response tracking starts over with a new message);
// RFC 3834 3.1.5 (the default reply subject); RFC 5322 2.2 (no CR or LF inside a header value).
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Appliance.Server.Accounts;

/// <summary>
/// A user's own settings, for the webmail: display name, signature, vacation auto-reply, password.
/// Every method takes the signed-in user's address (from the authenticated session, never from
/// the browser's form) and reads or changes that mailbox only.
/// </summary>
public sealed class UserSettingsService(
    IDbContextFactory<ApplianceDbContext> dbFactory,
    AccountService accounts,
    PasswordAuthenticator authenticator,
    TimeProvider time)
{
    /// <summary>RFC 5230 4.1: the :days default is 7.</summary>
    public const int DefaultReplyIntervalDays = 7;

    /// <summary>RFC 5230 4.1: the minimum :days is normally 1 (a site may not go below it to 0).</summary>
    public const int MinReplyIntervalDays = 1;

    /// <summary>RFC 5230 4.1 lets a site cap :days well above the default (past 30); a year is plenty.</summary>
    public const int MaxReplyIntervalDays = 365;

    /// <inheritdoc cref="MailboxSettings.MaxSignatureLength"/>
    public const int MaxSignatureLength = MailboxSettings.MaxSignatureLength;

    /// <inheritdoc cref="MailboxSettings.MaxVacationSubjectLength"/>
    public const int MaxVacationSubjectLength = MailboxSettings.MaxVacationSubjectLength;

    /// <inheritdoc cref="MailboxSettings.MaxVacationTextLength"/>
    public const int MaxVacationTextLength = MailboxSettings.MaxVacationTextLength;

    /// <summary>
    /// The settings of <paramref name="mailboxAddress"/> (the signed-in user). A mailbox that never
    /// saved any has an empty signature and <see cref="VacationSettings.Off"/>. Throws
    /// <see cref="AccountException"/> (MailboxNotFound) when the mailbox no longer exists.
    /// </summary>
    public async Task<UserSettings> GetAsync(string mailboxAddress, CancellationToken ct = default)
    {
        string address = AccountService.RequireAddressString(mailboxAddress);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await FindMailboxAsync(db, address, ct);
        var row = await db.MailboxSettings.AsNoTracking().SingleOrDefaultAsync(s => s.MailboxId == mailbox.Id, ct);
        return ToSettings(mailbox, row);
    }

    /// <summary>
    /// Validates the whole form and, when every field is acceptable, stores it in one transaction
    /// (audited as "settings.update"). Refusals come back as field errors and save nothing; only a
    /// missing mailbox throws (<see cref="AccountException"/>, MailboxNotFound).
    /// </summary>
    public async Task<UserSettingsResult> UpdateAsync(string mailboxAddress, UserSettingsUpdate update, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        ArgumentNullException.ThrowIfNull(update.Vacation);
        string address = AccountService.RequireAddressString(mailboxAddress);
        var errors = new List<UserSettingsError>();
        string displayName = ValidateDisplayName(update.DisplayName, errors);
        string signature = ValidateMultiLine(update.Signature, MaxSignatureLength, UserSettingsField.Signature, "The signature", errors);
        VacationSettings vacation = ValidateVacation(update.Vacation, errors);
        if (errors.Count > 0)
            return new UserSettingsResult(null, errors);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.SingleOrDefaultAsync(m => m.Address == address, ct) ?? throw AccountService.MailboxNotFound(address);
        var row = await db.MailboxSettings.SingleOrDefaultAsync(s => s.MailboxId == mailbox.Id, ct);
        bool newReply = row is null || !row.VacationEnabled
            || row.VacationSubject != vacation.Subject || row.VacationText != vacation.Text;
        if (row is null)
        {
            row = new MailboxSettings { MailboxId = mailbox.Id };
            db.MailboxSettings.Add(row);
        }
        DateTime now = time.GetUtcNow().UtcDateTime;
        mailbox.DisplayName = displayName;
        row.Signature = signature;
        row.VacationEnabled = vacation.Enabled;
        row.VacationStartDate = vacation.StartDate;
        row.VacationEndDate = vacation.EndDate;
        row.VacationSubject = vacation.Subject;
        row.VacationText = vacation.Text;
        row.VacationReplyIntervalDays = vacation.ReplyIntervalDays;
        row.UpdatedUtc = now;
        db.AuditEvents.Add(new AuditEvent
        {
            TimestampUtc = now, Actor = address, Action = "settings.update", Target = address,
            Details = $"vacation={(vacation.Enabled ? "on" : "off")}",
        });

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // RFC 5230 4.2: who was answered is remembered per reply text; a new or changed reply
        // starts with nobody answered, and a mailbox whose vacation is off keeps no rows at all.
        if (!vacation.Enabled || newReply)
            await db.VacationReplies.Where(r => r.MailboxId == mailbox.Id).ExecuteDeleteAsync(ct);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return new UserSettingsResult(ToSettings(mailbox, row), []);
    }

    /// <summary>
    /// Changes the signed-in user's password after checking the current one (through
    /// <see cref="PasswordAuthenticator"/>; the change itself is <see cref="AccountService.SetPasswordAsync"/>,
    /// which ends the user's other web sessions). Empty when changed; else the errors, nothing changed.
    /// </summary>
    public async Task<IReadOnlyList<UserSettingsError>> ChangePasswordAsync(
        string mailboxAddress, string currentPassword, string newPassword, CancellationToken ct = default)
    {
        string address = AccountService.RequireAddressString(mailboxAddress);
        var errors = new List<UserSettingsError>();
        try
        {
            AccountService.RequirePassword(newPassword);
        }
        catch (AccountException e)
        {
            errors.Add(new UserSettingsError(UserSettingsField.NewPassword, e.Message));
        }
        // Checked even when the new one is refused: the same work either way, as for any sign-in.
        if (await authenticator.AuthenticateAsync(address, currentPassword ?? "", ct) is null)
            errors.Add(new UserSettingsError(UserSettingsField.CurrentPassword, "The current password is not correct."));
        if (errors.Count > 0)
            return errors;
        await accounts.SetPasswordAsync(address, newPassword, actor: address, ct);
        return [];
    }

    private static string ValidateDisplayName(string? value, List<UserSettingsError> errors)
    {
        try
        {
            return AccountService.RequireDisplayName(value ?? "");
        }
        catch (AccountException e)
        {
            errors.Add(new UserSettingsError(UserSettingsField.DisplayName, e.Message));
            return "";
        }
    }

    private VacationSettings ValidateVacation(VacationSettings vacation, List<UserSettingsError> errors)
    {
        string? subject = string.IsNullOrWhiteSpace(vacation.Subject) ? null : vacation.Subject.Trim();
        if (subject is not null)
        {
            if (subject.Any(char.IsControl))
                errors.Add(new UserSettingsError(UserSettingsField.VacationSubject, "The subject must be one line, without control characters."));
            else if (subject.Length > MaxVacationSubjectLength)
                errors.Add(new UserSettingsError(UserSettingsField.VacationSubject, $"The subject may have at most {MaxVacationSubjectLength} characters."));
        }
        string text = ValidateMultiLine(vacation.Text, MaxVacationTextLength, UserSettingsField.VacationText, "The reply text", errors);
        if (vacation.Enabled && string.IsNullOrWhiteSpace(text))
            errors.Add(new UserSettingsError(UserSettingsField.VacationText, "Write the text of the reply before turning it on."));
        if (vacation.ReplyIntervalDays is < MinReplyIntervalDays or > MaxReplyIntervalDays)
            errors.Add(new UserSettingsError(UserSettingsField.VacationReplyIntervalDays,
                $"The days between replies to the same sender must be from {MinReplyIntervalDays} to {MaxReplyIntervalDays}."));
        if (vacation.StartDate is DateOnly start && vacation.EndDate is DateOnly end && end < start)
            errors.Add(new UserSettingsError(UserSettingsField.VacationEndDate, "The last day cannot be before the first day."));
        else if (vacation.Enabled && vacation.EndDate is DateOnly last && last < DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime))
            errors.Add(new UserSettingsError(UserSettingsField.VacationEndDate, "The last day has already passed, so no reply would be sent."));
        return vacation with { Subject = subject, Text = text };
    }

    /// <summary>Text of several lines: line breaks and tabs are fine, other control characters (NUL, ESC ...) are not.</summary>
    private static string ValidateMultiLine(string? value, int maxLength, UserSettingsField field, string what, List<UserSettingsError> errors)
    {
        string text = value ?? "";
        if (text.Length > maxLength)
            errors.Add(new UserSettingsError(field, $"{what} may have at most {maxLength} characters."));
        else if (text.Any(c => char.IsControl(c) && c is not '\r' and not '\n' and not '\t'))
            errors.Add(new UserSettingsError(field, $"{what} may not contain control characters."));
        return text;
    }

    private static UserSettings ToSettings(Mailbox mailbox, MailboxSettings? row) => new(
        mailbox.Address,
        mailbox.DisplayName,
        row?.Signature ?? "",
        row is null
            ? VacationSettings.Off
            : new VacationSettings(row.VacationEnabled, row.VacationStartDate, row.VacationEndDate, row.VacationSubject,
                row.VacationText, row.VacationReplyIntervalDays));

    private static async Task<Mailbox> FindMailboxAsync(ApplianceDbContext db, string address, CancellationToken ct) =>
        await db.Mailboxes.AsNoTracking().SingleOrDefaultAsync(m => m.Address == address, ct) ?? throw AccountService.MailboxNotFound(address);
}
