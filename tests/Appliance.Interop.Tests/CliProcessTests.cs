using System.Diagnostics;

namespace Appliance.Interop.Tests;

/// <summary>The real `appliance` executable in a child process: exit codes, stdin passwords, stderr.</summary>
public sealed class CliProcessTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-cli-process", Guid.NewGuid().ToString("N"));

    private async Task<(int Code, string Out, string Err)> Run(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "appliance.dll"));
        foreach (string a in args)
            start.ArgumentList.Add(a);
        start.Environment["APPLIANCE__DATADIRECTORY"] = _data;
        start.Environment["APPLIANCE_CONFIG"] = null;
        using var process = Process.Start(start)!;
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Administration_through_the_real_executable()
    {
        var domain = await Run(null, "domain", "add", "example.com");
        Assert.True(domain.Code == 0, domain.Err);
        Assert.Contains("Added domain example.com.", domain.Out);

        var user = await Run("a good password\n", "user", "add", "admin@example.com", "--role", "admin");
        Assert.True(user.Code == 0, user.Err);
        Assert.Contains("Added admin admin@example.com", user.Out);
        Assert.True(File.Exists(Path.Combine(_data, "appliance.db")));

        var refused = await Run(null, "domain", "add", "-bad-.example");
        Assert.Equal(1, refused.Code);
        Assert.StartsWith("appliance: error: ", refused.Err);
        Assert.Equal("", refused.Out);

        var noPassword = await Run("", "user", "add", "b@example.com");
        Assert.Equal(1, noPassword.Code);
        Assert.Contains("no password was given", noPassword.Err);

        var list = await Run(null, "user", "list");
        Assert.Equal(0, list.Code);
        Assert.Contains("admin@example.com", list.Out);
        Assert.DoesNotContain("b@example.com", list.Out);
    }

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
