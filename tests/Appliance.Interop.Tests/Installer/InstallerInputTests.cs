namespace Appliance.Interop.Tests.Installer;

/// <summary>
/// The installer refuses bad input with one clear line and exit 1, before it changes anything.
/// Each run has a private --root and a missing --archive, so a check that failed to stop it could
/// touch nothing outside the test's directory.
/// </summary>
public sealed class InstallerInputTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "appliance-installer-input", Guid.NewGuid().ToString("N"));
    private readonly string _script = Path.Combine(FindInstaller(), "install.sh");

    public InstallerInputTests() => Directory.CreateDirectory(_root);

    [Theory]
    [InlineData("--hostname mail", "the host name 'mail' is not a fully qualified domain name (like mail.example.com).")]
    [InlineData("--hostname ../../etc/passwd", "the host name '../../etc/passwd' is not a fully qualified domain name (like mail.example.com).")]
    [InlineData("--hostname mail.example.123", "the host name 'mail.example.123' is not a fully qualified domain name (like mail.example.com).")]
    [InlineData("--hostname -mail.example.com", "the host name '-mail.example.com' is not a fully qualified domain name (like mail.example.com).")]
    [InlineData("--hostname mail.example.com --admin-email admin", "the administrator's address 'admin' is not a mail address like admin@example.com.")]
    [InlineData("--hostname mail.example.com --admin-email a\"b@example.com", "the administrator's address 'a\"b@example.com' is not a mail address like admin@example.com.")]
    [InlineData("--port-base 80", "--port-base must be a port from 1024 to 65526 (nine ports from it are used).")]
    [InlineData("--public-address 300.1.x.1", "--public-address '300.1.x.1' is not an IPv4 or IPv6 address.")]
    [InlineData("--acme-directory http://ca.example/dir", "--acme-directory must be an https:// URL.")]
    [InlineData("--wait 0", "--wait must be a number of seconds from 1 to 9999.")]
    [InlineData("--purge", "--purge goes with --uninstall.")]
    [InlineData("--frobnicate", "unknown option '--frobnicate' (see --help).")]
    [InlineData("--hostname", "--hostname needs a value (see --help).")]
    public async Task Bad_input_is_refused_with_one_clear_line(string arguments, string error)
    {
        var result = await ExternalProgram.RunAsync("bash",
            [_script, "--root", _root, "--no-systemd", "--yes", "--archive", Path.Combine(_root, "missing.tar.gz"), .. arguments.Split(' ')],
            TimeSpan.FromMinutes(1));
        Assert.Equal((1, "", "install.sh: error: " + error + "\n"), (result.Exit, result.Output, result.Error));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public async Task A_port_taken_by_another_program_stops_the_install_before_it_changes_anything()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            // The taken port is the third of the range: SMTP.
            int taken = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var result = await ExternalProgram.RunAsync("bash",
                [_script, "--root", _root, "--no-systemd", "--port-base", (taken - 2).ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "--hostname", "mail.example.com", "--admin-email", "admin@example.com", "--archive", Path.Combine(_root, "missing.tar.gz")],
                TimeSpan.FromMinutes(1));
            Assert.Equal((1, ""), (result.Exit, result.Output));
            Assert.StartsWith($"install.sh: error: these ports are in use by another program: {taken} (", result.Error);
            Assert.EndsWith("). Stop it (e.g. postfix, dovecot, nginx) and run the installer again.\n", result.Error);
            Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task A_root_outside_the_safe_characters_is_refused()
    {
        var result = await ExternalProgram.RunAsync("bash", [_script, "--root", "relative/dir", "--uninstall"], TimeSpan.FromMinutes(1));
        Assert.Equal((1, "install.sh: error: --root must be an absolute path of letters, digits, '.', '_', '-' and '/'.\n"), (result.Exit, result.Error));
    }

    [Fact]
    public async Task Without_a_terminal_a_missing_host_name_is_an_error_not_a_question()
    {
        var result = await ExternalProgram.RunAsync("setsid",
            ["--wait", "bash", _script, "--root", _root, "--no-systemd", "--archive", Path.Combine(_root, "missing.tar.gz")], TimeSpan.FromMinutes(1));
        Assert.Equal((1, "install.sh: error: give the host name with --hostname or APPLIANCE_HOSTNAME (no terminal to ask on).\n"), (result.Exit, result.Error));
    }

    internal static string FindInstaller()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "installer", "install.sh")))
                return Path.Combine(dir.FullName, "installer");
        }
        throw new InvalidOperationException("installer/install.sh is not above " + AppContext.BaseDirectory);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
