using Appliance.Server.Accounts;
using Appliance.Server.Submission;
using Appliance.Storage.Mail;

namespace Appliance.Server.Webmail;

/// <summary>Opens the webmail session of a signed-in user (one per page circuit or request).</summary>
public sealed class WebmailSessions(PasswordAuthenticator authenticator, AccountService accounts, MessageStore store,
    MessageSubmitter submitter, RecipientResolver recipients, TimeProvider time)
{
    /// <summary>
    /// The session of mailbox <paramref name="mailboxId"/> (from the sign-in cookie), or null when the
    /// account no longer exists or is disabled (the page then signs the user out).
    /// </summary>
    public async Task<WebmailSession?> OpenAsync(int mailboxId, CancellationToken ct = default)
    {
        var user = await authenticator.GetUserAsync(mailboxId, ct);
        if (user is null)
            return null;
        var mailbox = await accounts.GetMailboxAsync(user.Address, ct);
        return new WebmailSession(user, mailbox.DisplayName, store.OpenAccount(user.StoreId), submitter, recipients, time);
    }
}
