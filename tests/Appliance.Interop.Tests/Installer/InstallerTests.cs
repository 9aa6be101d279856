using Xunit.Abstractions;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Appliance.Interop.Tests.Installer;

/// <summary>What the install and the in-place upgrade of <see cref="InstallerScenario"/> left behind.</summary>
[Collection(InstallerCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // the installer is for Linux; file modes are Unix ones
public sealed partial class InstallerTests(InstallerScenario scenario, ITestOutputHelper output)
{
    private static readonly string[] Listeners = ["Http", "Https", "Smtp", "Submission", "Smtps", "Imap", "Imaps", "Pop3", "Pop3s"];

    [Fact]
    public async Task First_install_prints_the_admin_url_the_setup_token_and_the_dns_records()
    {
        output.WriteLine($"package (publish + tar): {scenario.PackageDuration}, first install: {scenario.FirstInstallDuration}, upgrade: {scenario.UpgradeDuration}");
        var install = scenario.FirstInstall;
        string version = await InstalledVersionAsync();
        Assert.Equal("", install.Error);
        // Quiet: one line per step until the summary.
        var steps = install.Output.Split('\n').TakeWhile(line => line.Length > 0).ToList();
        Assert.All(steps, line => Assert.StartsWith("==> ", line));
        Assert.Contains("==> Writing the configuration " + scenario.ConfigPath, steps);
        Assert.Contains($"\nAppliance {version} is installed and running.\n", install.Output);
        Assert.Contains($"\nAdmin: https://{InstallerScenario.Hostname}:{scenario.Port(1)}/\n", install.Output);

        var token = SetupTokenLine().Match(install.Output);
        Assert.True(token.Success, install.ToString());
        Assert.Equal((0, token.Groups[1].Value + "\n"), (scenario.TokenAfterInstall.Exit, scenario.TokenAfterInstall.Output));

        Assert.Contains("\ninstaller.test. 3600 IN MX 10 mail.installer.test.\n", install.Output);
        Assert.Contains("\nmail.installer.test. 3600 IN A 192.0.2.10\n", install.Output);
        Assert.Contains("\ninstaller.test. 3600 IN TXT \"v=spf1 mx -all\"\n", install.Output);
        Assert.Matches(@"\n[er]\d{8}\._domainkey\.installer\.test\. 3600 IN TXT ""v=DKIM1;", install.Output);
        Assert.Contains("\n; set by your hosting provider: 10.2.0.192.in-addr.arpa. 3600 IN PTR mail.installer.test.\n", install.Output);
    }

    [Fact]
    public void The_configuration_turns_on_every_listener_and_acme_with_the_admin_as_contact()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(scenario.ConfigPath));
        var appliance = json.RootElement.GetProperty("Appliance");
        Assert.Equal(InstallerScenario.Hostname, appliance.GetProperty("Hostname").GetString());
        Assert.Equal(scenario.DataPath, appliance.GetProperty("DataDirectory").GetString());
        Assert.Equal([InstallerScenario.PublicAddress], appliance.GetProperty("PublicAddresses").EnumerateArray().Select(e => e.GetString()));
        var listeners = appliance.GetProperty("Listeners");
        Assert.Equal(Listeners, listeners.EnumerateObject().Select(p => p.Name));
        for (int i = 0; i < Listeners.Length; i++)
        {
            var listener = listeners.GetProperty(Listeners[i]);
            // Production writes "::" and the standard ports; --port-base only moves them to loopback.
            Assert.Equal((true, "127.0.0.1", scenario.Port(i)),
                (listener.GetProperty("Enabled").GetBoolean(), listener.GetProperty("Address").GetString(), listener.GetProperty("Port").GetInt32()));
        }
        var acme = appliance.GetProperty("Acme");
        Assert.True(acme.GetProperty("Enabled").GetBoolean());
        Assert.Equal(InstallerScenario.AdminEmail, acme.GetProperty("ContactEmail").GetString());

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(scenario.ConfigPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(scenario.DataPath));
    }

    [Fact]
    public async Task The_unit_runs_as_the_service_user_with_one_capability_hardened_and_restarting()
    {
        string unitPath = Path.Combine(scenario.Root, "etc/systemd/system/appliance.service");
        // systemd's own reading of the file (no systemd needs to run): unknown keys, bad values and
        // a missing program are reported.
        var verify = await ExternalProgram.RunAsync("systemd-analyze", ["verify", unitPath], TimeSpan.FromMinutes(1));
        Assert.True(verify.Exit == 0 && verify.Output.Length == 0 && verify.Error.Length == 0, verify.ToString());
        string[] unit = File.ReadAllLines(unitPath);
        string[] expected =
        [
            "User=appliance",
            $"ExecStart={scenario.Root}/opt/appliance/bin/appliance serve --config {scenario.ConfigPath}",
            "Restart=on-failure",
            "AmbientCapabilities=CAP_NET_BIND_SERVICE",
            "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
            "NoNewPrivileges=true",
            "ProtectSystem=strict",
            $"ReadWritePaths={scenario.DataPath}",
            "PrivateTmp=true",
            "ProtectHome=true",
            "WantedBy=multi-user.target",
        ];
        Assert.All(expected, line => Assert.Contains(line, unit));
        Assert.DoesNotContain(unit, line => line.Contains('@'));
    }

    [Fact]
    public async Task Status_says_what_runs_and_every_listener_answers()
    {
        var status = await scenario.CliAsync(["status"]);
        Assert.True(status.Exit == 0, status.ToString());
        Assert.Equal("", status.Error);
        string[] lines = status.Output.Split('\n');
        Assert.StartsWith($"appliance {await InstalledVersionAsync()} (.NET ", lines[0]);
        Assert.Contains($"Configuration:   {scenario.ConfigPath}", lines);
        Assert.Contains($"Data directory:  {scenario.DataPath}", lines);
        Assert.Contains($"Database:        ok (SQLite {scenario.DataPath}/appliance.db; 1 domain, 1 mailbox)", lines);
        Assert.Contains("Queue:           empty", lines);
        Assert.Contains(lines, line => line.StartsWith("Certificate:     CN=mail.installer.test, issued by CN=mail.installer.test, expires ", StringComparison.Ordinal));
        var answering = lines.Where(line => line.Contains(" answers: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, answering.Count);
        Assert.Contains(answering, line => line.EndsWith($"127.0.0.1:{scenario.Port(2)}  answers: 220 mail.installer.test ESMTP Appliance", StringComparison.Ordinal));
        Assert.Contains(answering, line => line.EndsWith($"127.0.0.1:{scenario.Port(8)}  answers: +OK Appliance POP3 server ready", StringComparison.Ordinal));
        Assert.Contains(answering, line => line.EndsWith($"127.0.0.1:{scenario.Port(0)}  answers: HTTP/1.1 200 OK", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_exits_1_naming_the_listeners_that_do_not_answer()
    {
        // The installed configuration with the listeners moved to ports nothing listens on.
        string copy = Path.Combine(scenario.Work, "silent.json");
        string text = File.ReadAllText(scenario.ConfigPath);
        for (int i = 0; i < Listeners.Length; i++)
            text = text.Replace($"\"Port\": {scenario.Port(i)} ", $"\"Port\": {ClosedPort()} ", StringComparison.Ordinal);
        File.WriteAllText(copy, text);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var status = await scenario.CliAsync(["status", "--config", copy]);
        Assert.Equal(1, status.Exit);
        Assert.Equal("appliance: error: 9 of 9 listeners do not answer; is the server running? (systemctl status appliance, journalctl -u appliance)\n", status.Error);
        Assert.Equal(9, status.Output.Split('\n').Count(line => line.Contains(" does not answer: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_upgrade_backs_up_restarts_and_keeps_the_mailbox_and_its_message()
    {
        string version = await InstalledVersionAsync();
        var upgrade = scenario.Upgrade;
        Assert.Equal("", upgrade.Error);
        Assert.Contains($"==> Upgrading from {version} to {version}\n", upgrade.Output);
        Assert.Contains("==> Keeping the configuration " + scenario.ConfigPath + "\n", upgrade.Output);
        Assert.Contains($"\nAppliance {version} is reinstalled (same version) and running; data kept.\n", upgrade.Output);
        Assert.DoesNotContain("==> Adding the domain", upgrade.Output);

        // The backup holds the configuration database and the mailbox's index, taken while stopped.
        var backup = BackupLine().Match(upgrade.Output);
        Assert.True(backup.Success, upgrade.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(backup.Groups[1].Value));
        var listing = await ExternalProgram.RunAsync("tar", ["-tzf", backup.Groups[1].Value], TimeSpan.FromMinutes(1));
        var entries = listing.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("./appliance.db", entries);
        Assert.Contains(entries, entry => entry.StartsWith("mail/", StringComparison.Ordinal) && entry.EndsWith("/index.sqlite", StringComparison.Ordinal));

        // A new process serves the same data.
        Assert.NotEqual(scenario.PidBeforeUpgrade, scenario.PidAfterUpgrade);
        Assert.False(Directory.Exists($"/proc/{scenario.PidBeforeUpgrade}"));
        Assert.Contains("count: 1\n", scenario.Pop3BeforeUpgrade.Output);
        foreach (string protocol in new[] { "pop3", "imap" })
        {
            var read = await scenario.ReadMailAsync(protocol);
            Assert.True(read.Exit == 0, read.ToString());
            Assert.StartsWith("count: 1\n", read.Output);
            Assert.Contains($"\nSubject: {scenario.Subject}\n", read.Output);
            Assert.Contains("\nKept across the upgrade.\n", read.Output);
        }
    }

    private async Task<string> InstalledVersionAsync()
    {
        var version = await scenario.CliAsync(["version"]);
        Assert.Equal(0, version.Exit);
        return version.Output.Split(' ')[1];
    }

    private static int ClosedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [GeneratedRegex(@"\nSetup token: ([ABCDEFGHJKMNPQRSTVWXYZ0-9]{20})\n")]
    private static partial Regex SetupTokenLine();

    [GeneratedRegex(@"\nBackup of the databases and mail indexes: (/\S+\.tar\.gz)\n")]
    private static partial Regex BackupLine();
}
