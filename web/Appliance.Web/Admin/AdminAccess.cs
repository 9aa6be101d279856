using System.Security.Claims;

namespace Appliance.Web.Admin;

/// <summary>Who may manage what: admins everything, domain admins their own domains only.</summary>
public static class AdminAccess
{
    public static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(AdminAuthentication.AdminRole);

    /// <param name="domain">The domain's A-label, as the account service returns it.</param>
    public static bool CanManageDomain(ClaimsPrincipal user, string domain) =>
        IsAdmin(user) || (user.IsInRole(AdminAuthentication.DomainAdminRole) && user.FindAll(AdminAuthentication.DomainClaim).Any(c => c.Value == domain));
}
