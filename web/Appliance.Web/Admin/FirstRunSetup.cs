using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Storage.Entities;

namespace Appliance.Web.Admin;

/// <summary>What the setup page submits.</summary>
public sealed class FirstRunRequest
{
    public string Token { get; set; } = "";

    /// <summary>The mail host name; the page fills in the running one.</summary>
    public string Hostname { get; set; } = "";
    public string Domain { get; set; } = "";
    public string AdminAddress { get; set; } = "";
    public string Password { get; set; } = "";
    public string PasswordAgain { get; set; } = "";
}

/// <summary>
/// Creates the first domain and administrator, once, and stores the mail host name when it differs
/// from the running one (it applies from the next start: the listeners, the certificate and the
/// EHLO name were set up with the old one). The token must match; two browsers submitting at the
/// same moment cannot both create an administrator (one lock, and the check is repeated inside it).
/// </summary>
public sealed class FirstRunSetup(SetupToken token, AccountService accounts, ServerSettings settings, ApplianceOptions options, IConfiguration configuration)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <returns>Null on success, else the error to show (nothing was created).</returns>
    public async Task<string?> CompleteAsync(FirstRunRequest request, CancellationToken ct = default)
    {
        await _lock.WaitAsync(ct);
        try
        {
            if (!token.IsOpen || await accounts.HasAdministratorAsync(ct))
                return "Setup is already complete; sign in instead.";
            if (!token.Matches(request.Token))
                return "The setup token is not right. It is printed in the server's log at start-up.";
            if (!ServerSettings.TryNormalizeHostname(request.Hostname, out string hostname, out string hostnameError))
                return hostnameError;
            if (request.Password != request.PasswordAgain)
                return "The two passwords differ.";
            if (!AddressRules.TryNormalizeAddress(request.AdminAddress, out _, out string addressDomain, out string addressError))
                return addressError;
            if (!AddressRules.TryNormalizeDomain(request.Domain, out string domain, out string domainError))
                return domainError;
            if (addressDomain != domain)
                return "The administrator's address must be in the first domain.";
            try
            {
                // Checked before anything is created, so a refused password leaves no domain behind.
                AccountService.RequirePassword(request.Password);
                if (!(await accounts.ListDomainsAsync(ct)).Any(d => d.Name == domain))
                    await accounts.AddDomainAsync(domain, "setup", ct);
                await accounts.AddMailboxAsync(new NewMailbox(request.AdminAddress, request.Password) { Role = MailboxRole.Admin }, "setup", ct);
            }
            catch (AccountException e)
            {
                return e.Message;
            }
            // Only a changed name is stored, so that the configuration keeps deciding otherwise.
            if (hostname != options.Hostname)
                await settings.SetHostnameAsync(hostname, configuration[ServerSettings.HostnameKey] ?? options.Hostname, "setup", ct);
            token.Close();
            return null;
        }
        finally
        {
            _lock.Release();
        }
    }
}
