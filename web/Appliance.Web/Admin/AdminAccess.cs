using System.Security.Claims;

namespace Appliance.Web.Admin;

/// <summary>Who may manage what: admins everything, domain admins their own domains only.</summary>
public static class AdminAccess
{
    public static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(AdminAuthentication.AdminRole);

    /// <summary>
    /// A mailbox: admins any; domain admins only plain users of their domains, so that a domain
    /// admin can never reset an administrator's password and become one.
    /// </summary>
    public static bool CanManageMailbox(ClaimsPrincipal user, Appliance.Server.Accounts.MailboxInfo mailbox) =>
        IsAdmin(user) || (mailbox.Role == Appliance.Storage.Entities.MailboxRole.User && CanManageDomain(user, DomainOf(mailbox.Address)));

    /// <summary>Only admins hand out roles above user.</summary>
    public static bool CanAssignRole(ClaimsPrincipal user, Appliance.Storage.Entities.MailboxRole role) =>
        IsAdmin(user) || role == Appliance.Storage.Entities.MailboxRole.User;

    /// <summary>The domain part of an address or of a catch-all source ("@example.org").</summary>
    public static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..];

    /// <param name="domain">The domain's A-label, as the account service returns it.</param>
    public static bool CanManageDomain(ClaimsPrincipal user, string domain) =>
        IsAdmin(user) || (user.IsInRole(AdminAuthentication.DomainAdminRole) && user.FindAll(AdminAuthentication.DomainClaim).Any(c => c.Value == domain));
}
