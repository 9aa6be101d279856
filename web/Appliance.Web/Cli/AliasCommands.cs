using System.CommandLine;

namespace Appliance.Web.Cli;

/// <summary>`appliance alias add|list|remove`.</summary>
internal static class AliasCommands
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("alias", "Manage aliases: addresses (or @domain catch-alls) that forward to other addresses.");

        var source = new Argument<string>("source") { Description = "name@domain, or @domain for the catch-all." };
        var destinations = new Argument<string[]>("destination") { Description = "One or more local or external addresses.", Arity = ArgumentArity.OneOrMore };
        var add = new Command("add", "Add an alias.") { source, destinations };
        app.SetAction(add, async (ctx, result, ct) =>
        {
            var alias = await (await ctx.GetAccountsAsync(ct)).AddAliasAsync(result.GetRequiredValue(source), result.GetRequiredValue(destinations), ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Added alias {alias.DisplaySource} -> {string.Join(", ", alias.Destinations)}.");
            return CliApplication.ExitOk;
        });

        var domain = new Option<string>("--domain") { Description = "Only this domain's aliases." };
        var list = new Command("list", "List aliases.") { domain };
        app.SetAction(list, async (ctx, result, ct) =>
        {
            var aliases = await (await ctx.GetAccountsAsync(ct)).ListAliasesAsync(result.GetValue(domain), ct);
            if (aliases.Count == 0)
            {
                ctx.Console.Out.WriteLine("No aliases.");
                return CliApplication.ExitOk;
            }
            var rows = new List<string[]> { new[] { "ALIAS", "DESTINATIONS" } };
            rows.AddRange(aliases.Select(a => new[] { a.DisplaySource, string.Join(", ", a.Destinations) }));
            CliFormat.Table(ctx.Console.Out, rows);
            return CliApplication.ExitOk;
        });

        var removeSource = new Argument<string>("source");
        var remove = new Command("remove", "Remove an alias.") { removeSource };
        app.SetAction(remove, async (ctx, result, ct) =>
        {
            string name = result.GetRequiredValue(removeSource);
            await (await ctx.GetAccountsAsync(ct)).RemoveAliasAsync(name, ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Removed alias {name}.");
            return CliApplication.ExitOk;
        });

        command.Subcommands.Add(add);
        command.Subcommands.Add(list);
        command.Subcommands.Add(remove);
        return command;
    }
}
