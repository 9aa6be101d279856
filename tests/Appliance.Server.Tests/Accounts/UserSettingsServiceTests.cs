using Appliance.Server.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Accounts;

public sealed class UserSettingsServiceTests : IAsyncLifetime
{
    private const string Alice = "alice@example.com";
    private const string Password = "correct horse battery";

    private AccountTestHost _host = null!;
    private UserSettingsService Settings => _host.Services.GetRequiredService<UserSettingsService>();

    public async Task InitializeAsync()
    {
        _host = await AccountTestHost.StartAsync();
        await _host.Accounts.AddDomainAsync("example.com", "cli");
        await _host.Accounts.AddMailboxAsync(new NewMailbox(Alice, Password) { DisplayName = "Alice" }, "cli");
        await _host.Accounts.AddMailboxAsync(new NewMailbox("bob@example.com", Password), "cli");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static DateOnly Today => DateOnly.FromDateTime(DateTime.UtcNow);

    private static UserSettingsUpdate Valid() => new("Alice Liddell", "Alice\n-- the White Rabbit's neighbour",
        new VacationSettings(true, Today, Today.AddDays(14), "Away", "Back in two weeks.", 3));

    [Fact]
    public async Task A_mailbox_that_never_saved_settings_has_the_defaults()
    {
        var settings = await Settings.GetAsync("ALICE@Example.com");
        Assert.Equal(new UserSettings(Alice, "Alice", "", VacationSettings.Off), settings);
        Assert.Equal(7, settings.Vacation.ReplyIntervalDays); // RFC 5230 4.1's default
    }

    [Fact]
    public async Task Settings_are_saved_read_back_and_audited()
    {
        var result = await Settings.UpdateAsync(Alice, Valid());
        Assert.True(result.Succeeded);
        var expected = new UserSettings(Alice, "Alice Liddell", "Alice\n-- the White Rabbit's neighbour",
            new VacationSettings(true, Today, Today.AddDays(14), "Away", "Back in two weeks.", 3));
        Assert.Equal(expected, result.Settings);
        Assert.Equal(expected, await Settings.GetAsync(Alice));
        Assert.Equal("Alice Liddell", (await _host.Accounts.GetMailboxAsync(Alice)).DisplayName);

        // An empty subject means the automatic one.
        var automatic = await Settings.UpdateAsync(Alice, Valid() with { Vacation = Valid().Vacation with { Subject = "  " } });
        Assert.Null(automatic.Settings!.Vacation.Subject);

        await using var db = _host.CreateDb();
        var audit = await db.AuditEvents.Where(a => a.Action == "settings.update").ToListAsync();
        Assert.Equal(2, audit.Count);
        Assert.All(audit, a => Assert.Equal((Alice, Alice, "vacation=on"), (a.Actor, a.Target, a.Details)));
    }

    [Fact]
    public async Task A_user_changes_only_their_own_mailbox()
    {
        Assert.True((await Settings.UpdateAsync(Alice, Valid())).Succeeded);
        Assert.Equal(new UserSettings("bob@example.com", "", "", VacationSettings.Off), await Settings.GetAsync("bob@example.com"));

        var e = await Assert.ThrowsAsync<AccountException>(() => Settings.UpdateAsync("nobody@example.com", Valid()));
        Assert.Equal(AccountError.MailboxNotFound, e.Error);
        e = await Assert.ThrowsAsync<AccountException>(() => Settings.GetAsync("nobody@example.com"));
        Assert.Equal(AccountError.MailboxNotFound, e.Error);
    }

    [Theory]
    [InlineData("Alice\r\nBcc: everyone@example.net")]
    [InlineData("Alice\nBcc: everyone@example.net")]
    [InlineData("Alice\rX")]
    public async Task Line_breaks_in_the_display_name_or_subject_are_refused_and_nothing_is_saved(string injected)
    {
        var result = await Settings.UpdateAsync(Alice, Valid() with
        {
            DisplayName = injected,
            Vacation = Valid().Vacation with { Subject = injected },
        });
        Assert.False(result.Succeeded);
        Assert.Null(result.Settings);
        Assert.Equal([UserSettingsField.DisplayName, UserSettingsField.VacationSubject], result.Errors.Select(e => e.Field));
        Assert.Equal(new UserSettings(Alice, "Alice", "", VacationSettings.Off), await Settings.GetAsync(Alice));
    }

    [Fact]
    public async Task Lengths_are_bounded_by_the_named_limits()
    {
        var atLimit = Valid() with
        {
            DisplayName = new string('n', AccountService.MaxDisplayNameLength),
            Signature = new string('s', UserSettingsService.MaxSignatureLength),
            Vacation = Valid().Vacation with
            {
                Subject = new string('j', UserSettingsService.MaxVacationSubjectLength),
                Text = new string('t', UserSettingsService.MaxVacationTextLength),
            },
        };
        Assert.True((await Settings.UpdateAsync(Alice, atLimit)).Succeeded);

        var over = atLimit with
        {
            DisplayName = atLimit.DisplayName + "n",
            Signature = atLimit.Signature + "s",
            Vacation = atLimit.Vacation with { Subject = atLimit.Vacation.Subject + "j", Text = atLimit.Vacation.Text + "t" },
        };
        var result = await Settings.UpdateAsync(Alice, over);
        Assert.Equal([UserSettingsField.DisplayName, UserSettingsField.Signature, UserSettingsField.VacationSubject, UserSettingsField.VacationText],
            result.Errors.Select(e => e.Field));
        Assert.Equal($"The signature may have at most {UserSettingsService.MaxSignatureLength} characters.",
            result.Errors.Single(e => e.Field == UserSettingsField.Signature).Message);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(365, true)]
    [InlineData(366, false)]
    public async Task The_days_between_replies_are_from_1_to_365(int days, bool accepted)
    {
        var result = await Settings.UpdateAsync(Alice, Valid() with { Vacation = Valid().Vacation with { ReplyIntervalDays = days } });
        Assert.Equal(accepted, result.Succeeded);
        if (!accepted)
            Assert.Equal(UserSettingsField.VacationReplyIntervalDays, Assert.Single(result.Errors).Field);
    }

    [Fact]
    public async Task Dates_and_texts_that_cannot_work_are_refused()
    {
        var vacation = Valid().Vacation;
        async Task<UserSettingsError> Refused(VacationSettings v) =>
            Assert.Single((await Settings.UpdateAsync(Alice, Valid() with { Vacation = v })).Errors);

        var endBeforeStart = await Refused(vacation with { StartDate = Today.AddDays(3), EndDate = Today.AddDays(2) });
        Assert.Equal(new UserSettingsError(UserSettingsField.VacationEndDate, "The last day cannot be before the first day."), endBeforeStart);
        Assert.Equal(UserSettingsField.VacationEndDate, (await Refused(vacation with { StartDate = null, EndDate = Today.AddDays(-1) })).Field);
        Assert.Equal(UserSettingsField.VacationText, (await Refused(vacation with { Text = " \n " })).Field);
        Assert.Equal(UserSettingsField.VacationText, (await Refused(vacation with { Text = "Away\0" })).Field);
        Assert.Equal(UserSettingsField.Signature,
            Assert.Single((await Settings.UpdateAsync(Alice, Valid() with { Signature = "\u001b[31mred" })).Errors).Field);

        // Turned off, an empty text and a past end date are fine: nothing will be sent.
        Assert.True((await Settings.UpdateAsync(Alice, Valid() with
        {
            Vacation = vacation with { Enabled = false, Text = "", StartDate = Today.AddDays(-9), EndDate = Today.AddDays(-2) },
        })).Succeeded);
    }

    [Fact]
    public async Task The_password_changes_only_with_the_current_one_and_a_strong_new_one()
    {
        var wrong = await Settings.ChangePasswordAsync(Alice, "not my password", "a new long password");
        Assert.Equal(new UserSettingsError(UserSettingsField.CurrentPassword, "The current password is not correct."), Assert.Single(wrong));
        var weak = await Settings.ChangePasswordAsync(Alice, Password, "short");
        Assert.Equal(UserSettingsField.NewPassword, Assert.Single(weak).Field);
        Assert.NotNull(await _host.Authenticator.AuthenticateAsync(Alice, Password));

        Assert.Empty(await Settings.ChangePasswordAsync(Alice, Password, "a new long password"));
        Assert.Null(await _host.Authenticator.AuthenticateAsync(Alice, Password));
        Assert.NotNull(await _host.Authenticator.AuthenticateAsync(Alice, "a new long password"));
        await using var db = _host.CreateDb();
        Assert.Equal(Alice, (await db.AuditEvents.SingleAsync(a => a.Action == "mailbox.passwd")).Actor);
    }

    [Fact]
    public async Task The_UserSettings_migration_is_applied_on_SQLite_and_its_tables_are_usable()
    {
        await using var db = _host.CreateDb();
        Assert.Contains(await db.Database.GetAppliedMigrationsAsync(), m => m.EndsWith("_UserSettings", StringComparison.Ordinal));
        Assert.False(db.Database.HasPendingModelChanges());
        Assert.True((await Settings.UpdateAsync(Alice, Valid())).Succeeded);
        Assert.Equal(1, await db.MailboxSettings.CountAsync());

        // Removing the mailbox removes its settings (cascade).
        await _host.Accounts.RemoveMailboxAsync(Alice, "cli");
        Assert.Equal(0, await db.MailboxSettings.CountAsync());
    }
}
