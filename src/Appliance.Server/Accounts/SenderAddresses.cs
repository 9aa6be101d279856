namespace Appliance.Server.Accounts;

/// <summary>
/// RFC 6409 6.1 and our rule: a signed-in user sends only as an address that delivers to them. The
/// SMTP submission ports and the webmail ask the same question here.
/// </summary>
public static class SenderAddresses
{
    /// <summary>
    /// The user's own address, a +tag of it, or an alias (or catch-all) that delivers to their
    /// mailbox: exactly the addresses whose mail they read.
    /// </summary>
    public static async Task<bool> IsOwnedAsync(RecipientResolver recipients, AuthenticatedUser user, string address, CancellationToken ct)
    {
        if (string.Equals(address, user.Address, StringComparison.OrdinalIgnoreCase))
            return true;
        var resolution = await recipients.ResolveAsync(address, ct);
        return resolution.Status == RecipientStatus.Deliverable && resolution.Mailboxes.Any(m => m.MailboxId == user.MailboxId);
    }
}
