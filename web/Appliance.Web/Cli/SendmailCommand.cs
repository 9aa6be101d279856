using System.CommandLine;
using Appliance.Server;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Dkim;
using Appliance.Server.Queue;
using Appliance.Server.Submission;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Cli;

/// <summary>
/// `appliance sendmail [-t] [-i] [-f sender] [-F name] [recipient...]`: the sendmail interface
/// cron, logwatch, mdadm and other system tools use, as Postfix's sendmail(1) provides it. The
/// options are parsed by hand, getopt style ("-fuser@x" and "-f user@x"; "-oi"; unknown sendmail
/// options such as -oem, -odi, -B8BITMIME, -N are accepted and ignored as Postfix does), so it can
/// be installed as /usr/sbin/sendmail.
/// </summary>
internal static class SendmailCommand
{
    public static Command Create(CliApplication app)
    {
        var command = new Command("sendmail", "Read a message from stdin and queue it (the sendmail interface: -t, -i, -f, -F).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        app.SetAction(command, async (ctx, result, ct) =>
        {
            SendmailRequest request;
            try
            {
                request = Parse(result.UnmatchedTokens);
            }
            catch (SendmailException e)
            {
                ctx.Console.Error.WriteLine($"appliance sendmail: {e.Message}");
                return e.ExitCode;
            }

            var options = ApplianceConfiguration.Bind(ctx.LoadConfiguration());
            var services = new ServiceCollection();
            services.AddApplianceServices(options);
            services.AddDkimSigning();
            services.AddDeliveryLog();
            services.AddOutboundQueue();
            services.AddSingleton<SendmailSubmitter>();
            await using var provider = services.BuildServiceProvider();
            await provider.InitializeApplianceAsync(ct);
            try
            {
                await provider.GetRequiredService<SendmailSubmitter>().SubmitAsync(request, ctx.Console.OpenInput(), ct);
                return CliApplication.ExitOk;
            }
            catch (SendmailException e)
            {
                ctx.Console.Error.WriteLine($"appliance sendmail: {e.Message}");
                return e.ExitCode;
            }
        });
        return command;
    }

    /// <summary>Options with a value (Postfix sendmail's getopt string has them with ':').</summary>
    private static readonly HashSet<char> TakesValue = ['f', 'F', 'r', 'B', 'C', 'N', 'R', 'V', 'X', 'h', 'L', 'q', 'O'];

    internal static SendmailRequest Parse(IReadOnlyList<string> tokens)
    {
        string? sender = null, fullName = null;
        bool extract = false, ignoreDots = false;
        var recipients = new List<string>();
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (token == "--")
            {
                recipients.AddRange(tokens.Skip(i + 1));
                break;
            }
            if (token.Length < 2 || token[0] != '-')
            {
                recipients.Add(token);
                continue;
            }
            char option = token[1];
            string? value = null;
            if (TakesValue.Contains(option))
            {
                if (token.Length > 2)
                    value = token[2..];
                else if (i + 1 < tokens.Count)
                    value = tokens[++i];
                else
                    throw new SendmailException(SendmailException.Usage, $"option -{option} needs a value");
            }
            switch (option)
            {
                case 'f' or 'r':
                    sender = value!.Trim('<', '>');
                    break;
                case 'F':
                    fullName = value;
                    break;
                case 't':
                    extract = true;
                    break;
                case 'i':
                    ignoreDots = true;
                    break;
                case 'o' when token == "-oi":
                    ignoreDots = true;
                    break;
                case 'b' when token is not ("-bm"):
                    throw new SendmailException(SendmailException.Usage, $"mode {token} is not supported (only -bm, sending mail)");
                default:
                    break; // -oem, -odi, -B8BITMIME, -N, -v and the like: nothing to do here
            }
        }
        return new SendmailRequest(sender, fullName, recipients, extract, ignoreDots, Environment.UserName);
    }
}
