using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Interop.Tests.Installer;

/// <summary>
/// installer/install.sh run for real on this machine, once per test run: it packs the checkout
/// (`install.sh --package`, the one self-contained publish of the run), installs the package under
/// a private root with loopback ports and without systemd (`--root`, `--port-base`,
/// `--no-systemd`; every other step is the production one: the `appliance` system user,
/// directories, configuration, unit file, start, wait, domain, setup token, DNS records), puts a
/// mailbox and a message in it through the installed CLI and SMTP, then upgrades in place from a
/// URL. The tests look at what each stage left.
/// </summary>
public sealed class InstallerScenario : IAsyncLifetime
{
    public const string Hostname = "mail.installer.test";
    public const string AdminEmail = "admin@installer.test";
    public const string MailDomain = "installer.test";
    public const string PublicAddress = "192.0.2.10";
    public const string Mailbox = "reader@installer.test";
    public const string Password = "Installer-test-passw0rd";

    /// <summary>A self-contained publish takes one to two minutes on two shared cores.</summary>
    private static readonly TimeSpan PackageTimeout = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    public string Work { get; } = Path.Combine(Path.GetTempPath(), "appliance-installer-tests", Guid.NewGuid().ToString("N"));
    public string Repository { get; } = FindRepository();
    public string InstallScript => Path.Combine(Repository, "installer", "install.sh");
    public string PackagePath => Path.Combine(Work, "appliance-linux-x64.tar.gz");
    public TimeSpan PackageDuration { get; private set; }

    public string Root => Path.Combine(Work, "root");
    public int PortBase { get; private set; }
    public string Wrapper => Path.Combine(Root, "usr/local/bin/appliance");
    public string ConfigPath => Path.Combine(Root, "etc/appliance/appliance.json");
    public string DataPath => Path.Combine(Root, "var/lib/appliance");
    public string PidPath => Path.Combine(Root, "run/appliance/appliance.pid");

    public ProgramResult FirstInstall { get; private set; } = null!;
    public TimeSpan FirstInstallDuration { get; private set; }
    public ProgramResult TokenAfterInstall { get; private set; } = null!;
    public ProgramResult UserAdd { get; private set; } = null!;
    public ProgramResult Delivery { get; private set; } = null!;
    public ProgramResult Pop3BeforeUpgrade { get; private set; } = null!;
    public int PidBeforeUpgrade { get; private set; }
    public ProgramResult Upgrade { get; private set; } = null!;
    public TimeSpan UpgradeDuration { get; private set; }
    public int PidAfterUpgrade { get; private set; }

    /// <summary>A unique subject, so that what is read back can only be this message.</summary>
    public string Subject { get; } = "installer-upgrade-" + Guid.NewGuid().ToString("N")[..12];

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Root);
        var clock = Stopwatch.StartNew();
        var package = await ExternalProgram.RunAsync("bash", [InstallScript, "--package", PackagePath], PackageTimeout);
        PackageDuration = clock.Elapsed;
        Require(package, "install.sh --package");

        PortBase = FindFreePortRange(9);
        clock.Restart();
        FirstInstall = await InstallAsync(Root, PortBase, PackagePath);
        FirstInstallDuration = clock.Elapsed;
        Require(FirstInstall, "the first install");

        TokenAfterInstall = await CliAsync(["setup-token"]);
        UserAdd = await CliAsync(["user", "add", Mailbox], stdin: Password + "\n");
        Require(UserAdd, "appliance user add");
        Delivery = await PythonAsync("smtp", Port(2).ToString(System.Globalization.CultureInfo.InvariantCulture), Mailbox, Subject);
        Require(Delivery, "the SMTP delivery");
        Pop3BeforeUpgrade = await ReadMailAsync("pop3");
        PidBeforeUpgrade = ReadPid();

        // The upgrade takes the package by URL (curl, as from a release server).
        clock.Restart();
        Upgrade = await InstallAsync(Root, PortBase, new Uri(PackagePath).AbsoluteUri);
        UpgradeDuration = clock.Elapsed;
        Require(Upgrade, "the upgrade");
        PidAfterUpgrade = ReadPid();
    }

    /// <summary>install.sh with the test's paths and ports; everything else as in production.</summary>
    public Task<ProgramResult> InstallAsync(string root, int portBase, string archive, params string[] extra) =>
        ExternalProgram.RunAsync("bash",
        [
            InstallScript, "--root", root, "--port-base", portBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-systemd",
            "--hostname", Hostname, "--admin-email", AdminEmail, "--public-address", PublicAddress,
            // A closed loopback port: when certificate issuance runs, it fails at once instead of
            // asking Let's Encrypt for a name under .test.
            "--acme-directory", "https://127.0.0.1:1/directory",
            "--archive", archive, .. extra,
        ], InstallTimeout, stdin: "");

    /// <summary>The installed `appliance` command, as root (it drops to the service user itself).</summary>
    public Task<ProgramResult> CliAsync(IEnumerable<string> arguments, string? stdin = null) =>
        ExternalProgram.RunAsync(Wrapper, arguments, CommandTimeout, stdin);

    public int Port(int offset) => PortBase + offset;

    /// <summary>Reads INBOX over POP3S or IMAPS, trusting exactly the server's own certificate.</summary>
    public async Task<ProgramResult> ReadMailAsync(string protocol)
    {
        string ca = Path.Combine(Work, "server-ca.pem");
        using (var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(DataPath, "certs", "server.pfx"), password: null))
            await File.WriteAllTextAsync(ca, certificate.ExportCertificatePem());
        int port = protocol == "pop3" ? Port(8) : Port(6);
        return await PythonAsync(protocol, port.ToString(System.Globalization.CultureInfo.InvariantCulture), Mailbox, Password, ca, Hostname);
    }

    public int ReadPid() => int.Parse(File.ReadAllText(PidPath).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private Task<ProgramResult> PythonAsync(params string[] arguments) =>
        ExternalProgram.RunAsync("/usr/bin/python3", ["-c", MailScript, .. arguments], CommandTimeout);

    /// <summary>
    /// smtp PORT RCPT SUBJECT: delivers one message to port 25's listener (MX, no AUTH).
    /// pop3|imap PORT USER PASSWORD CAFILE HOSTNAME: prints the message count, then the first message.
    /// </summary>
    private const string MailScript = """
        import sys, ssl, smtplib, poplib, imaplib
        mode, port = sys.argv[1], int(sys.argv[2])
        if mode == "smtp":
            rcpt, subject = sys.argv[3], sys.argv[4]
            body = ("From: sender@example.org\r\nTo: " + rcpt + "\r\nSubject: " + subject +
                    "\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\nKept across the upgrade.\r\n")
            with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=30) as s:
                refused = s.sendmail("sender@example.org", [rcpt], body)
                print("refused:", refused)
        else:
            user, password, cafile, hostname = sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
            context = ssl.create_default_context(cafile=cafile)
            # Loopback is reached by address; the certificate is checked against the server's name.
            wrap = context.wrap_socket
            context.wrap_socket = lambda sock, server_hostname=None, **kw: wrap(sock, server_hostname=hostname, **kw)
            if mode == "pop3":
                p = poplib.POP3_SSL("127.0.0.1", port, context=context, timeout=30)
                p.user(user); p.pass_(password)
                count, _ = p.stat()
                print("count:", count)
                if count:
                    print(b"\n".join(p.retr(1)[1]).decode())
                p.quit()
            else:
                m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context, timeout=30)
                m.login(user, password)
                typ, data = m.select("INBOX")
                print("count:", int(data[0]))
                typ, data = m.fetch("1", "(BODY.PEEK[])")
                print(data[0][1].decode().replace("\r\n", "\n"))
                m.logout()
        """;

    private static void Require(ProgramResult result, string what)
    {
        if (result.Exit != 0)
            throw new InvalidOperationException($"{what} failed: {result}");
    }

    /// <summary>The first of <paramref name="count"/> consecutive loopback ports that are all free now.</summary>
    private static int FindFreePortRange(int count)
    {
        for (int attempt = 0; attempt < 50; attempt++)
        {
            int first = Random.Shared.Next(20000, 60000);
            var listeners = new List<TcpListener>();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, first + i);
                    listener.Start();
                    listeners.Add(listener);
                }
                return first;
            }
            catch (SocketException)
            {
                // Taken: try another range.
            }
            finally
            {
                foreach (var listener in listeners)
                    listener.Stop();
            }
        }
        throw new InvalidOperationException("No free range of loopback ports found.");
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln")) && File.Exists(Path.Combine(dir.FullName, "installer", "install.sh")))
                return dir.FullName;
        }
        throw new InvalidOperationException("The repository (Appliance.sln with installer/install.sh) is not above " + AppContext.BaseDirectory);
    }

    public async Task DisposeAsync()
    {
        // The installer's own uninstall stops the server it started (by its recorded pid).
        if (Directory.Exists(Root))
            await ExternalProgram.RunAsync("bash", [InstallScript, "--root", Root, "--no-systemd", "--uninstall", "--purge"], InstallTimeout);
        try
        {
            Directory.Delete(Work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InstallerCollection : ICollectionFixture<InstallerScenario>
{
    public const string Name = "Installer";
}
