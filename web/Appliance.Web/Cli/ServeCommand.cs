using System.CommandLine;
using Appliance.Web.Hosting;

namespace Appliance.Web.Cli;

/// <summary>`appliance serve`, also what `appliance` does with no command.</summary>
internal static class ServeCommand
{
    public static void AddTo(RootCommand root, CliApplication app)
    {
        var serve = new Command("serve", "Run the server (the default when no command is given).");
        app.SetAction(serve, RunAsync);
        app.SetAction(root, RunAsync);
        root.Subcommands.Add(serve);

        async Task<int> RunAsync(CliContext ctx, ParseResult result, CancellationToken ct)
        {
            try
            {
                await ApplianceHost.RunAsync(ctx.LoadConfiguration(), ct);
                return CliApplication.ExitOk;
            }
            catch (IOException e)
            {
                // Kestrel's bind failures: the port is taken, or below 1024 without the right to bind it.
                return app.Fail($"{e.Message} Is another server using the port, or does this user lack the right to bind it?");
            }
        }
    }
}
