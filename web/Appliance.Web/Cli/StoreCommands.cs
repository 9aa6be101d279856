using System.CommandLine;

namespace Appliance.Web.Cli;

/// <summary>`appliance store reindex`.</summary>
internal static class StoreCommands
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("store", "Maintain the message store.");

        var address = new Argument<string>("address");
        var reindex = new Command("reindex", "Rebuild a mailbox's message index from its Maildir; no message is lost and known UIDs are kept.") { address };
        app.SetAction(reindex, async (ctx, result, ct) =>
        {
            string target = result.GetRequiredValue(address);
            var outcome = await (await ctx.GetAccountsAsync(ct)).ReindexAsync(target, ctx.Actor, ct);
            ctx.Console.Out.WriteLine(
                $"Reindexed {target}: {outcome.Mailboxes} mailboxes, {outcome.Messages} messages ({outcome.NewUids} given new UIDs).");
            return CliApplication.ExitOk;
        });

        command.Subcommands.Add(reindex);
        return command;
    }
}
