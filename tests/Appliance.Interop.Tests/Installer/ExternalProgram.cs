using System.Diagnostics;

namespace Appliance.Interop.Tests.Installer;

/// <summary>What a finished program left: its exit code and both streams.</summary>
public sealed record ProgramResult(int Exit, string Output, string Error)
{
    /// <summary>Everything, for assertion messages.</summary>
    public override string ToString() => $"exit {Exit}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>Runs an external program to its end with a bound, stdin given (or closed at once).</summary>
internal static class ExternalProgram
{
    public static async Task<ProgramResult> RunAsync(string file, IEnumerable<string> arguments, TimeSpan timeout,
        string? stdin = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            start.Environment[name] = value;
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}:\n{await output}\n{await error}");
        }
        return new(process.ExitCode, await output, await error);
    }
}
