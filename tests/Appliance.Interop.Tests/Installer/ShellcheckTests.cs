namespace Appliance.Interop.Tests.Installer;

/// <summary>Every shell script we ship (installer/*.sh, and docker/*.sh should the container get one) passes shellcheck with no finding at all.</summary>
public sealed class ShellcheckTests
{
    [Fact]
    public async Task Every_installer_and_docker_script_passes_shellcheck()
    {
        string repository = Directory.GetParent(InstallerInputTests.FindInstaller())!.FullName;
        var scripts = new[] { "installer", "docker" }
            .Select(dir => Path.Combine(repository, dir))
            .Where(Directory.Exists)
            .SelectMany(dir => Directory.EnumerateFiles(dir, "*.sh"))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Contains(Path.Combine(repository, "installer", "install.sh"), scripts);

        // All severities, including style; bash for scripts without a #! that says otherwise.
        var result = await ExternalProgram.RunAsync("shellcheck", ["--severity=style", "--external-sources", .. scripts], TimeSpan.FromMinutes(2));
        Assert.True(result.Exit == 0 && result.Output.Length == 0, result.ToString());
    }
}
