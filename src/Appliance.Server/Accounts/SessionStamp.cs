using System.Security.Cryptography;
using System.Text;
using Appliance.Storage.Entities;

namespace Appliance.Server.Accounts;

/// <summary>
/// A value that changes whenever a user's sessions must end: a new password (and so a new hash),
/// the mailbox or its domain being disabled, a new role or other administered domains. A web session carries the stamp it was issued with
/// and is refused once it no longer matches, so changing the password signs out every browser.
/// Derived from the stored hash, so no extra column has to be kept in step.
/// </summary>
public static class SessionStamp
{
    public static string Of(Mailbox mailbox)
    {
        // Role and administered domains too: the session's claims say what it may manage.
        string domains = string.Join(',', mailbox.AdministeredDomains.Select(d => d.Name).Order(StringComparer.Ordinal));
        // Turning two-factor sign-in on or off ends other sessions too.
        string material = $"{mailbox.PasswordHash}|{mailbox.Enabled}|{mailbox.Domain?.Enabled ?? true}|{mailbox.Role}|{domains}|{mailbox.TotpSecret}";
        return Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(material)), 0, 16);
    }
}
