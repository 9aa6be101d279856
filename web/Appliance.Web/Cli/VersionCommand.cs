using System.CommandLine;
using System.Reflection;

namespace Appliance.Web.Cli;

/// <summary>`appliance version`.</summary>
internal static class VersionCommand
{
    public static string Version =>
        typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static Command Create(CliApplication app)
    {
        var command = new Command("version", "Print the version.");
        command.SetAction(result =>
        {
            result.InvocationConfiguration.Output.WriteLine($"appliance {Version} (.NET {Environment.Version})");
            return CliApplication.ExitOk;
        });
        return command;
    }
}
