namespace Appliance.Interop.Tests.Installer;

/// <summary>`install.sh --uninstall` and `--purge` on an installation of their own (same package).</summary>
[Collection(InstallerCollection.Name)]
public sealed class UninstallTests(InstallerScenario scenario)
{
    [Fact]
    public async Task Uninstall_stops_the_server_and_keeps_the_data_and_purge_removes_it()
    {
        string root = Path.Combine(scenario.Work, "uninstall-root");
        Directory.CreateDirectory(root);
        int portBase = scenario.Port(0) + 20;
        var install = await scenario.InstallAsync(root, portBase, scenario.PackagePath);
        Assert.True(install.Exit == 0, install.ToString());
        int pid = int.Parse(File.ReadAllText(Path.Combine(root, "run/appliance/appliance.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(Directory.Exists($"/proc/{pid}"));

        var uninstall = await Uninstall(root);
        Assert.True(uninstall.Exit == 0, uninstall.ToString());
        Assert.Equal($"==> Stopping the server\nAppliance is removed. Kept: {root}/etc/appliance/appliance.json, {root}/var/lib/appliance and {root}/var/backups/appliance (remove them with --uninstall --purge).\n", uninstall.Output);
        // The installer waited for the server to exit.
        Assert.False(Directory.Exists($"/proc/{pid}"));
        Assert.False(Directory.Exists(Path.Combine(root, "opt/appliance")));
        Assert.False(File.Exists(Path.Combine(root, "usr/local/bin/appliance")));
        Assert.False(File.Exists(Path.Combine(root, "etc/systemd/system/appliance.service")));
        Assert.True(File.Exists(Path.Combine(root, "var/lib/appliance/appliance.db")));
        Assert.True(File.Exists(Path.Combine(root, "etc/appliance/appliance.json")));

        var purge = await Uninstall(root, "--purge");
        Assert.True(purge.Exit == 0, purge.ToString());
        Assert.EndsWith("Appliance is removed, with its configuration, data, backups and user.\n", purge.Output);
        Assert.False(Directory.Exists(Path.Combine(root, "var/lib/appliance")));
        Assert.False(Directory.Exists(Path.Combine(root, "etc/appliance")));
        Assert.False(Directory.Exists(Path.Combine(root, "var/backups/appliance")));
    }

    private Task<ProgramResult> Uninstall(string root, params string[] extra) =>
        ExternalProgram.RunAsync("bash", [scenario.InstallScript, "--root", root, "--no-systemd", "--uninstall", .. extra], TimeSpan.FromMinutes(2));
}
