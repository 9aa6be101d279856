using System.CommandLine;
using Appliance.Server.Accounts;
using Appliance.Storage.Entities;

namespace Appliance.Web.Cli;

/// <summary>`appliance user add|list|passwd|remove|quota`.</summary>
internal static class UserCommands
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("user", "Manage mailboxes (users).");
        command.Subcommands.Add(Add(app));
        command.Subcommands.Add(List(app));
        command.Subcommands.Add(Passwd(app));
        command.Subcommands.Add(Remove(app));
        command.Subcommands.Add(Quota(app));
        return command;
    }

    private static Command Add(CliApplication app)
    {
        var address = new Argument<string>("address");
        var name = new Option<string>("--name") { Description = "Display name." };
        var role = new Option<string>("--role") { Description = "user (default), domain-admin or admin.", DefaultValueFactory = _ => "user" };
        var domains = new Option<string[]>("--domains") { Description = "Domains a domain-admin administers.", AllowMultipleArgumentsPerToken = true };
        var quota = new Option<string>("--quota") { Description = "Quota, e.g. 500M, 2G; 0 or unlimited (default).", DefaultValueFactory = _ => "0" };
        var add = new Command("add", "Add a mailbox. The password is read from stdin when it is redirected, else prompted for.")
            { address, name, role, domains, quota };
        app.SetAction(add, async (ctx, result, ct) =>
        {
            if (!CliFormat.TryParseRole(result.GetRequiredValue(role), out var parsedRole))
                return app.Fail($"unknown role '{result.GetValue(role)}'; use user, domain-admin or admin.");
            if (!CliFormat.TryParseSize(result.GetRequiredValue(quota), out long quotaBytes))
                return app.Fail($"'{result.GetValue(quota)}' is not a size; use e.g. 500M, 2G or unlimited.");
            string target = result.GetRequiredValue(address);
            var accounts = await ctx.GetAccountsAsync(ct);
            string? password = ctx.Console.ReadNewPassword(target);
            if (password is null)
                return app.Fail("no password was given on stdin; nothing was changed.");
            var created = await accounts.AddMailboxAsync(new NewMailbox(target, password)
            {
                DisplayName = result.GetValue(name) ?? "",
                Role = parsedRole,
                QuotaBytes = quotaBytes,
                AdministeredDomains = SplitList(result.GetValue(domains)),
            }, ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Added {CliFormat.Role(created.Role)} {created.DisplayAddress} (quota {CliFormat.Quota(created.QuotaBytes)}).");
            return CliApplication.ExitOk;
        });
        return add;
    }

    private static Command List(CliApplication app)
    {
        var domain = new Option<string>("--domain") { Description = "Only this domain's mailboxes." };
        var list = new Command("list", "List mailboxes.") { domain };
        app.SetAction(list, async (ctx, result, ct) =>
        {
            var mailboxes = await (await ctx.GetAccountsAsync(ct)).ListMailboxesAsync(result.GetValue(domain), ct);
            if (mailboxes.Count == 0)
            {
                ctx.Console.Out.WriteLine("No mailboxes.");
                return CliApplication.ExitOk;
            }
            var rows = new List<string[]> { new[] { "ADDRESS", "NAME", "ROLE", "QUOTA", "ENABLED" } };
            rows.AddRange(mailboxes.Select(m => new[]
            {
                m.DisplayAddress,
                m.DisplayName,
                m.Role == MailboxRole.DomainAdmin ? $"domain-admin ({string.Join(", ", m.AdministeredDomains)})" : CliFormat.Role(m.Role),
                CliFormat.Quota(m.QuotaBytes),
                m.Enabled ? "yes" : "no",
            }));
            CliFormat.Table(ctx.Console.Out, rows);
            return CliApplication.ExitOk;
        });
        return list;
    }

    private static Command Passwd(CliApplication app)
    {
        var address = new Argument<string>("address");
        var passwd = new Command("passwd", "Set a mailbox's password (from stdin when redirected, else prompted for).") { address };
        app.SetAction(passwd, async (ctx, result, ct) =>
        {
            string target = result.GetRequiredValue(address);
            var accounts = await ctx.GetAccountsAsync(ct);
            await accounts.GetMailboxAsync(target, ct); // say "no such mailbox" before asking for a password
            string? password = ctx.Console.ReadNewPassword(target);
            if (password is null)
                return app.Fail("no password was given on stdin; nothing was changed.");
            await accounts.SetPasswordAsync(target, password, ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Password changed for {target}.");
            return CliApplication.ExitOk;
        });
        return passwd;
    }

    private static Command Remove(CliApplication app)
    {
        var address = new Argument<string>("address");
        var remove = new Command("remove", "Remove a mailbox and all of its mail.") { address };
        app.SetAction(remove, async (ctx, result, ct) =>
        {
            string target = result.GetRequiredValue(address);
            await (await ctx.GetAccountsAsync(ct)).RemoveMailboxAsync(target, ctx.Actor, ct);
            ctx.Console.Out.WriteLine($"Removed mailbox {target} and its mail.");
            return CliApplication.ExitOk;
        });
        return remove;
    }

    private static Command Quota(CliApplication app)
    {
        var address = new Argument<string>("address");
        var size = new Argument<string?>("size") { Description = "New quota (e.g. 2G, unlimited); omit to show usage.", Arity = ArgumentArity.ZeroOrOne };
        var quota = new Command("quota", "Show or set a mailbox's quota.") { address, size };
        app.SetAction(quota, async (ctx, result, ct) =>
        {
            string target = result.GetRequiredValue(address);
            var accounts = await ctx.GetAccountsAsync(ct);
            if (result.GetValue(size) is string text)
            {
                if (!CliFormat.TryParseSize(text, out long bytes))
                    return app.Fail($"'{text}' is not a size; use e.g. 500M, 2G or unlimited.");
                await accounts.UpdateMailboxAsync(target, new MailboxUpdate { QuotaBytes = bytes }, ctx.Actor, ct);
            }
            var info = await accounts.GetMailboxAsync(target, ct);
            long used = await accounts.GetUsageBytesAsync(target, ct);
            ctx.Console.Out.WriteLine($"{info.DisplayAddress}: {CliFormat.Size(used)} used of {CliFormat.Quota(info.QuotaBytes)}.");
            return CliApplication.ExitOk;
        });
        return quota;
    }

    private static IReadOnlyList<string> SplitList(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
}
