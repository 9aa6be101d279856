using System.CommandLine;
using Appliance.Server.Dkim;
using Appliance.Server.DnsAdvisor;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance dns records [--domain D]`: the DNS records to publish, as zone-file lines (the same
/// plan as the admin's DNS page), for one hosted domain or all of them. The installer prints them.
/// </summary>
internal static class DnsCommands
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("dns", "The DNS records this server needs.");
        var domainOption = new Option<string?>("--domain") { Description = "Only this hosted domain (default: every hosted domain)." };
        var records = new Command("records", "Print the records to publish, as zone-file lines; PTR records are commented out (your hosting provider sets them).") { domainOption };
        app.SetAction(records, async (ctx, result, ct) =>
        {
            var services = await ctx.GetServicesAsync(ct);
            // The CLI's shared services lack the DKIM key service and the DNS checker the planner's
            // service is built with; the checker's resolver is never asked here.
            var setup = ActivatorUtilities.CreateInstance<DnsSetupService>(services,
                ActivatorUtilities.CreateInstance<DkimKeyService>(services),
                new DnsRecordChecker(new Appliance.Dns.DnsStubResolver()));
            string? only = result.GetValue(domainOption);
            var accounts = await ctx.GetAccountsAsync(ct);
            IReadOnlyList<string> domains = only is not null
                ? [(await accounts.GetDomainAsync(only, ct)).Name]
                : (await accounts.ListDomainsAsync(ct)).Select(d => d.Name).ToList();
            if (domains.Count == 0)
                return app.Fail("no domain is hosted yet; add one with: appliance domain add example.com");
            bool first = true;
            foreach (string domain in domains)
            {
                if (!first)
                    ctx.Console.Out.WriteLine();
                first = false;
                ctx.Console.Out.WriteLine($"; {domain}");
                ctx.Console.Out.Write(await setup.GetZoneFileAsync(domain, ct));
            }
            return CliApplication.ExitOk;
        });
        command.Subcommands.Add(records);
        return command;
    }
}
