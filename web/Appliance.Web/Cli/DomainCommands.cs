using System.CommandLine;

namespace Appliance.Web.Cli;

/// <summary>`appliance domain add|list|remove`.</summary>
internal static class DomainCommands
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("domain", "Manage the mail domains this server receives for.");

        var addName = new Argument<string>("domain") { Description = "Domain name; international names may be given in either form." };
        var add = new Command("add", "Add a domain.") { addName };
        app.SetAction(add, async (ctx, result, ct) =>
        {
            var domain = await (await ctx.GetAccountsAsync(ct)).AddDomainAsync(result.GetRequiredValue(addName), ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Added domain {domain.DisplayName}{(domain.DisplayName != domain.Name ? $" ({domain.Name})" : "")}.");
            return CliApplication.ExitOk;
        });

        var list = new Command("list", "List domains.");
        app.SetAction(list, async (ctx, result, ct) =>
        {
            var domains = await (await ctx.GetAccountsAsync(ct)).ListDomainsAsync(ct);
            if (domains.Count == 0)
            {
                ctx.Console.Out.WriteLine("No domains yet. Add one with: appliance domain add example.com");
                return CliApplication.ExitOk;
            }
            var rows = new List<string[]> { new[] { "DOMAIN", "ENABLED", "MAILBOXES", "ALIASES", "CATCH-ALL" } };
            rows.AddRange(domains.Select(d => new[]
            {
                d.DisplayName == d.Name ? d.Name : $"{d.DisplayName} ({d.Name})",
                d.Enabled ? "yes" : "no",
                d.MailboxCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                d.AliasCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                d.CatchAll.Count == 0 ? "-" : string.Join(", ", d.CatchAll),
            }));
            CliFormat.Table(ctx.Console.Out, rows);
            return CliApplication.ExitOk;
        });

        var removeName = new Argument<string>("domain");
        var force = new Option<bool>("--force") { Description = "Also remove the domain's mailboxes and all their mail." };
        var remove = new Command("remove", "Remove a domain with its aliases (refused while it has mailboxes, unless --force).") { removeName, force };
        app.SetAction(remove, async (ctx, result, ct) =>
        {
            string name = result.GetRequiredValue(removeName);
            await (await ctx.GetAccountsAsync(ct)).RemoveDomainAsync(name, result.GetValue(force), ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Removed domain {name}.");
            return CliApplication.ExitOk;
        });

        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(remove);
        return command;
    }
}
