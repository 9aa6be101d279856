using System.CommandLine;
using Appliance.Server.Accounts;

namespace Appliance.Web.Cli;

/// <summary>
/// The `appliance` command line: `serve` (the default) and the administration commands. Every
/// command exits 0 on success and non-zero with a one-line "appliance: error: ..." on failure.
/// </summary>
internal sealed class CliApplication
{
    public const int ExitOk = 0;
    public const int ExitError = 1;

    private readonly CliConsole _console;
    private readonly IEnumerable<KeyValuePair<string, string?>>? _overrides;

    public Option<string?> ConfigOption { get; } = new("--config", "-c")
    {
        Description = "Configuration file (default: $APPLIANCE_CONFIG, else /etc/appliance/appliance.json when it exists).",
        Recursive = true,
    };

    /// <param name="overrides">Configuration entries that win over files (tests point these at a temporary data directory).</param>
    public CliApplication(CliConsole console, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        _console = console;
        _overrides = overrides;
    }

    public static Task<int> RunAsync(string[] args, CliConsole console, IEnumerable<KeyValuePair<string, string?>>? overrides = null, CancellationToken ct = default) =>
        new CliApplication(console, overrides).InvokeAsync(args, ct);

    public async Task<int> InvokeAsync(string[] args, CancellationToken ct)
    {
        var root = new RootCommand("Appliance: a complete mail server (SMTP, IMAP, POP3, webmail, admin) in one process.");
        root.Options.Add(ConfigOption);
        ServeCommand.AddTo(root, this);
        root.Subcommands.Add(DomainCommands.Create(this));
        root.Subcommands.Add(UserCommands.Create(this));
        root.Subcommands.Add(AliasCommands.Create(this));
        root.Subcommands.Add(StoreCommands.Create(this));
        root.Subcommands.Add(QueueCommands.Create(this));
        root.Subcommands.Add(SendmailCommand.Create(this));
        root.Subcommands.Add(DnsCommands.Create(this));
        root.Subcommands.Add(SetupTokenCommand.Create(this));
        root.Subcommands.Add(StatusCommand.Create(this));
        root.Subcommands.Add(VersionCommand.Create(this));

        var invocation = new InvocationConfiguration
        {
            Output = _console.Out,
            Error = _console.Error,
            // The server handles SIGTERM/Ctrl+C itself and drains sessions for up to its shutdown
            // timeout; System.CommandLine would otherwise end the process after 2 seconds.
            ProcessTerminationTimeout = null,
        };
        // No response files: "@example.com" is a catch-all alias, not a file of arguments.
        var parser = new ParserConfiguration { ResponseFileTokenReplacer = null };
        return await root.Parse(args, parser).InvokeAsync(invocation, ct);
    }

    /// <summary>
    /// Runs a command's body with its context, turning the refusals users can cause into one clear
    /// line on stderr and a non-zero exit.
    /// </summary>
    public void SetAction(Command command, Func<CliContext, ParseResult, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (result, ct) =>
        {
            await using var context = new CliContext(_console, result.GetValue(ConfigOption), _overrides);
            try
            {
                return await action(context, result, ct);
            }
            catch (Exception e) when (IsUserFacing(e))
            {
                return Fail(e.Message);
            }
        });
    }

    public int Fail(string message)
    {
        _console.Error.WriteLine($"appliance: error: {message}");
        return ExitError;
    }

    private static bool IsUserFacing(Exception e) => e is AccountException
        or Server.Configuration.ApplianceConfigurationException   // missing or malformed configuration
        or UnauthorizedAccessException    // the data directory is not writable by this user
        or Storage.Mail.MailStoreException;
}
