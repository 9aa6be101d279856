using System.CommandLine;
using System.Globalization;
using Appliance.Server.Configuration;
using Appliance.Server.Queue;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance queue list|show|retry|delete`: the outbound queue's database and spool, opened
/// directly (safe while the server runs: SQLite WAL with a busy timeout arbitrates). A retry sets
/// the next attempt to now; the running server's worker picks it up at its next poll.
/// </summary>
internal static class QueueCommands
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("queue", "Inspect and manage the outbound mail queue.");

        var list = new Command("list", "List queued messages.");
        app.SetAction(list, (ctx, result, ct) =>
        {
            var store = Open(ctx);
            var messages = store?.ListMessages() ?? [];
            if (store is null || messages.Count == 0)
            {
                ctx.Console.Out.WriteLine("The queue is empty.");
                return Task.FromResult(CliApplication.ExitOk);
            }
            var rows = new List<string[]> { new[] { "ID", "QUEUED", "SIZE", "FROM", "RECIPIENTS", "NEXT ATTEMPT", "LAST REPLY" } };
            foreach (var message in messages)
            {
                var recipients = store.GetRecipients(message.Id);
                rows.Add(
                [
                    message.Id,
                    Time(message.Created),
                    CliFormat.Size(message.Size),
                    Sender(message.ReversePath),
                    recipients.Count == 1 ? recipients[0].Address : $"{recipients.Count} recipients",
                    recipients.Count == 0 ? "-" : Time(recipients.Min(r => r.NextAttempt)),
                    recipients.Select(r => r.LastReply).LastOrDefault(r => r is not null) ?? "-",
                ]);
            }
            CliFormat.Table(ctx.Console.Out, rows);
            return Task.FromResult(CliApplication.ExitOk);
        });

        var showId = new Argument<string>("id") { Description = "Queue id, as `appliance queue list` shows it." };
        var show = new Command("show", "Show a queued message's envelope and the state of each recipient.") { showId };
        app.SetAction(show, (ctx, result, ct) =>
        {
            var store = Open(ctx);
            string id = result.GetRequiredValue(showId);
            var message = store is not null && QueueStore.IsValidId(id) ? store.GetMessage(id) : null;
            if (store is null || message is null)
                return Task.FromResult(app.Fail(Unknown(id)));
            var output = ctx.Console.Out;
            output.WriteLine($"Queue id:    {message.Id}");
            output.WriteLine($"Queued:      {Time(message.Created)}");
            output.WriteLine($"From:        {Sender(message.ReversePath)}");
            output.WriteLine($"Size:        {CliFormat.Size(message.Size)}");
            output.WriteLine($"Origin:      {(message.Origin.Length == 0 ? "-" : message.Origin)}");
            if (message.EnvelopeId is not null)
                output.WriteLine($"Envelope id: {message.EnvelopeId}");
            output.WriteLine($"File:        {store.MessagePath(message.Id)}");
            output.WriteLine();
            var rows = new List<string[]> { new[] { "RECIPIENT", "ATTEMPTS", "LAST ATTEMPT", "NEXT ATTEMPT", "LAST HOST", "LAST REPLY" } };
            rows.AddRange(store.GetRecipients(id).Select(r => new[]
            {
                r.Address,
                r.Attempts.ToString(CultureInfo.InvariantCulture),
                r.LastAttempt is { } last ? Time(last) : "-",
                Time(r.NextAttempt),
                r.LastRemoteHost ?? "-",
                r.LastReply ?? "-",
            }));
            CliFormat.Table(output, rows);
            return Task.FromResult(CliApplication.ExitOk);
        });

        var retryId = new Argument<string>("id");
        var retry = new Command("retry", "Try a deferred message again now (at the server's next queue scan).") { retryId };
        app.SetAction(retry, (ctx, result, ct) =>
        {
            string id = result.GetRequiredValue(retryId);
            if (!QueueStore.IsValidId(id) || Open(ctx)?.RetryNow(id, DateTimeOffset.UtcNow) != true)
                return Task.FromResult(app.Fail(Unknown(id)));
            ctx.Console.Out.WriteLine($"Message {id} is due now; the server tries it at its next queue scan.");
            return Task.FromResult(CliApplication.ExitOk);
        });

        var deleteId = new Argument<string>("id");
        var delete = new Command("delete", "Remove a message from the queue without delivering it or sending a bounce.") { deleteId };
        app.SetAction(delete, (ctx, result, ct) =>
        {
            string id = result.GetRequiredValue(deleteId);
            if (!QueueStore.IsValidId(id) || Open(ctx)?.Delete(id) != true)
                return Task.FromResult(app.Fail(Unknown(id)));
            ctx.Console.Out.WriteLine($"Deleted {id} from the queue.");
            return Task.FromResult(CliApplication.ExitOk);
        });

        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        command.Subcommands.Add(retry);
        command.Subcommands.Add(delete);
        return command;
    }

    /// <summary>The queue of the configured data directory; null when the server never created one (nothing was ever queued).</summary>
    private static QueueStore? Open(CliContext ctx)
    {
        var options = ApplianceConfiguration.Bind(ctx.LoadConfiguration());
        var store = new QueueStore(options.DataPath);
        // Never create it from here: run as root, the CLI would leave files the service user cannot write.
        return File.Exists(store.DatabasePath) ? store : null;
    }

    private static string Unknown(string id) => $"There is no queued message '{id}'. See `appliance queue list`.";

    private static string Sender(string reversePath) => reversePath.Length == 0 ? "<> (bounce)" : reversePath;

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
