using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.DnsAdvisor;

namespace Appliance.Web.ClientSetup;

/// <summary>
/// RFC 8461 3.3: the policy at https://mta-sts.&lt;domain&gt;/.well-known/mta-sts.txt, as text/plain,
/// for hosted domains only and over HTTPS only (senders must not trust a policy fetched otherwise).
/// </summary>
internal static class MtaStsEndpoint
{
    public const string Path = "/.well-known/mta-sts.txt";

    public static void MapMtaSts(this IEndpointRouteBuilder app) => app.MapGet(Path, async (HttpContext context, AccountService accounts, ApplianceOptions options) =>
    {
        string host = context.Request.Host.Host;
        if (!context.Request.IsHttps || !host.StartsWith("mta-sts.", StringComparison.OrdinalIgnoreCase))
            return Results.NotFound();
        string domain = host["mta-sts.".Length..];
        if (!AddressRules.TryNormalizeDomain(domain, out string normalized, out _)
            || !(await accounts.ListDomainsAsync(context.RequestAborted)).Any(d => d.Name == normalized && d.Enabled))
            return Results.NotFound();
        return Results.Text(MtaStsPolicy.Text(options.Hostname), "text/plain; charset=utf-8");
    });
}
