// RFC 9208 (IMAP QUOTA): section 5.1 (the STORAGE resource, in units of 1024 octets) and 7.1 (the
// OVERQUOTA response code for APPEND and COPY that would go over a limit). One quota root per user,
// named "" (as Dovecot's default "User quota" root covers the whole account), holding every mailbox.
using Appliance.Server.Accounts;

namespace Appliance.Server.Imap;

/// <summary>The logged-in user's storage quota: the account's QuotaBytes (0 = unlimited), as SMTP delivery applies it.</summary>
internal readonly record struct ImapQuota(long UsedBytes, long LimitBytes)
{
    /// <summary>RFC 9208 section 3: this server's only quota root.</summary>
    public const string RootName = "";

    public bool IsLimited => LimitBytes > 0;

    /// <summary>Usage in KiB, rounded up so that a nearly full account never reads as having room.</summary>
    public long UsedKiB => (UsedBytes + 1023) / 1024;

    public long LimitKiB => LimitBytes / 1024;

    /// <summary>Whether adding <paramref name="bytes"/> would go over the limit (RFC 9208 7.1 OVERQUOTA).</summary>
    public bool WouldExceed(long bytes) => IsLimited && UsedBytes + bytes > LimitBytes;

    /// <summary>
    /// Reads the limit from the account settings (it may change while the session runs) and the usage
    /// from the store. A user removed meanwhile has no limit here: the store refuses what follows.
    /// </summary>
    public static async Task<ImapQuota> ReadAsync(ImapSession session)
    {
        long limit;
        try
        {
            limit = (await session.Engine.Accounts.GetMailboxAsync(session.User!.Address, session.Connection.Stopping)).QuotaBytes;
        }
        catch (AccountException)
        {
            limit = 0;
        }
        return new ImapQuota(session.Account!.GetQuotaUsage(), limit);
    }
}
