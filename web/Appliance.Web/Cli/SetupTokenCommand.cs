using System.CommandLine;
using Appliance.Server.Configuration;
using Appliance.Web.Admin;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance setup-token`: the running server's one-time token for the first-run setup page, read
/// from the copy it keeps in the data directory (see <see cref="SetupToken"/>). Prints the token
/// alone, so the installer and scripts can use it; fails when there is none to give.
/// </summary>
internal static class SetupTokenCommand
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("setup-token", "Print the running server's setup token (while no administrator exists).");
        app.SetAction(command, async (ctx, result, ct) =>
        {
            var options = ApplianceConfiguration.Bind(ctx.LoadConfiguration());
            string file = Path.Combine(options.DataPath, SetupToken.FileName);
            if (!File.Exists(file))
                return app.Fail("there is no setup token: the server makes one when it starts with no administrator and HTTPS enabled. Is it running? See `appliance status`.");
            // An administrator made with `appliance user add` while the server runs: the token
            // still exists but the setup page refuses it, so do not hand it out.
            if (await (await ctx.GetAccountsAsync(ct)).HasAdministratorAsync(ct))
                return app.Fail("setup is complete: an administrator exists; sign in instead.");
            string token = (await File.ReadAllTextAsync(file, ct)).Trim();
            ctx.Console.Out.WriteLine(token);
            return CliApplication.ExitOk;
        });
        return command;
    }
}
