using System.CommandLine;
using System.Globalization;
using Appliance.Server.Dkim;
using Appliance.Storage.Entities;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Cli;

/// <summary>`appliance domain add|list|remove|dkim`.</summary>
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
        command.Subcommands.Add(CreateDkim(app));
        return command;
    }

    /// <summary>
    /// `appliance domain dkim DOMAIN [--rotate | --retire SELECTOR]`: prints the DKIM TXT records to
    /// publish (RFC 6376 3.6.2.1 name, 3.6.1 value in 255-octet strings), after a rotation or
    /// retirement when asked. See DkimKeyService for the key lifecycle.
    /// </summary>
    private static Command CreateDkim(CliApplication app)
    {
        var name = new Argument<string>("domain");
        var rotate = new Option<bool>("--rotate") { Description = "Make a new key: publish its record now; it signs once the grace period has passed or the old key is retired." };
        var retire = new Option<string?>("--retire") { Description = "Retire the key with this selector (it stops signing; its record may then be removed)." };
        var dkim = new Command("dkim", "Show the domain's DKIM keys and the DNS records to publish; rotate or retire a key.") { name, rotate, retire };
        app.SetAction(dkim, async (ctx, result, ct) =>
        {
            string domain = result.GetRequiredValue(name);
            string? retireSelector = result.GetValue(retire);
            if (result.GetValue(rotate) && retireSelector is not null)
                return app.Fail("--rotate and --retire cannot be combined; rotate first, retire the old key later.");
            // CliContext registers the shared services only; the key service needs nothing more.
            var keys = ActivatorUtilities.CreateInstance<DkimKeyService>(await ctx.GetServicesAsync(ct));
            try
            {
                if (result.GetValue(rotate))
                {
                    var created = await keys.RotateAsync(domain, ctx.Actor, ct);
                    ctx.Console.Out.WriteLine($"Created DKIM key {created.Selector} for {created.Domain}; publish its record now.");
                    ctx.Console.Out.WriteLine();
                }
                else if (retireSelector is not null)
                {
                    var retired = await keys.RetireAsync(domain, retireSelector, ctx.Actor, ct);
                    ctx.Console.Out.WriteLine($"Retired DKIM key {retired.Selector} of {retired.Domain}; its record {retired.RecordName} may be removed.");
                    ctx.Console.Out.WriteLine();
                }
                var published = await keys.GetPublishedKeysAsync(domain, ct);
                if (published.Count == 0)
                {
                    ctx.Console.Out.WriteLine($"The domain has no DKIM key; make one with: appliance domain dkim {domain} --rotate");
                    return CliApplication.ExitOk;
                }
                bool first = true;
                foreach (var key in published)
                {
                    if (!first)
                        ctx.Console.Out.WriteLine();
                    first = false;
                    WriteKey(ctx.Console.Out, key);
                }
                return CliApplication.ExitOk;
            }
            catch (DkimKeyException e)
            {
                return app.Fail(e.Message);
            }
        });
        return dkim;
    }

    private static void WriteKey(TextWriter output, DkimKeyInfo key)
    {
        string algorithm = key.Algorithm == DkimAlgorithm.Ed25519Sha256 ? "ed25519-sha256" : "rsa-sha256";
        string state = key.State switch
        {
            DkimKeyState.Active => "active: signs outgoing mail",
            DkimKeyState.Pending => $"pending: publish now; signs from {Time(key.ActivatesUtc!.Value)} or when the active key is retired",
            DkimKeyState.Superseded => $"superseded: keep published a few days, then: appliance domain dkim {key.Domain} --retire {key.Selector}",
            _ => "retired",
        };
        output.WriteLine($"Selector:     {key.Selector} ({algorithm}, created {Time(key.CreatedUtc)})");
        output.WriteLine($"State:        {state}");
        output.WriteLine($"Record name:  {key.RecordName}");
        output.WriteLine("Record type:  TXT");
        output.WriteLine($"Record value: {string.Join(" ", key.RecordStrings.Select(s => "\"" + s + "\""))}");
    }

    private static string Time(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
