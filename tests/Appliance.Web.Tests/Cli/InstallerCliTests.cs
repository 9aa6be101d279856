using System.Net;
using System.Net.Sockets;
using Appliance.Server;
using Appliance.Server.Configuration;
using Appliance.Web.Admin;
using Appliance.Web.Cli;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Cli;

/// <summary>
/// The commands the installer prints its summary with (`setup-token`, `dns records`) and the
/// failing side of `status`, in-process over a temporary data directory. The answering side of
/// `status` runs against the installed server in the interop tests.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // checks Unix file modes
public sealed class InstallerCliTests : IDisposable
{
    private static readonly string[] Listeners = ["Http", "Https", "Smtp", "Submission", "Smtps", "Imap", "Imaps", "Pop3", "Pop3s"];
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-installer-cli-tests", Guid.NewGuid().ToString("N"));

    private sealed record Result(int ExitCode, string Out, string Error);

    private async Task<Result> Run(string stdin, IEnumerable<KeyValuePair<string, string?>> extra, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole(new StringReader(stdin), output, error, inputRedirected: true);
        KeyValuePair<string, string?>[] overrides = [new("Appliance:DataDirectory", _data), new("Appliance:Hostname", "mail.example.com"), .. extra];
        int code = await CliApplication.RunAsync(args, console, overrides);
        return new Result(code, output.ToString(), error.ToString());
    }

    private Task<Result> Run(params string[] args) => Run("", [], args);

    [Fact]
    public async Task Setup_token_prints_the_servers_token_until_setup_closes()
    {
        Assert.Equal(new Result(1, "", "appliance: error: there is no setup token: the server makes one when it starts with no administrator and HTTPS enabled. Is it running? See `appliance status`.\n"),
            await Run("setup-token"));

        Directory.CreateDirectory(_data);
        var token = new SetupToken(Path.Combine(_data, SetupToken.FileName));
        string issued = token.Issue();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_data, SetupToken.FileName)));
        Assert.Equal(new Result(0, issued + "\n", ""), await Run("setup-token"));

        // An administrator made from the command line while setup is open: the token is not handed out.
        Assert.Equal(0, (await Run("domain", "add", "example.com")).ExitCode);
        Assert.Equal(0, (await Run("correct horse battery\n", [], "user", "add", "admin@example.com", "--role", "admin")).ExitCode);
        Assert.Equal(new Result(1, "", "appliance: error: setup is complete: an administrator exists; sign in instead.\n"), await Run("setup-token"));

        token.Close();
        Assert.False(File.Exists(Path.Combine(_data, SetupToken.FileName)));
    }

    [Fact]
    public async Task Dns_records_prints_each_hosted_domains_zone_lines()
    {
        Assert.Equal(new Result(1, "", "appliance: error: no domain is hosted yet; add one with: appliance domain add example.com\n"), await Run("dns", "records"));
        Assert.Equal(0, (await Run("domain", "add", "example.com")).ExitCode);
        Assert.Equal(0, (await Run("domain", "add", "example.org")).ExitCode);

        var one = await Run("", [new("Appliance:PublicAddresses:0", "192.0.2.7")], "dns", "records", "--domain", "example.org");
        Assert.Equal((0, ""), (one.ExitCode, one.Error));
        string[] lines = one.Out.Split('\n');
        Assert.Equal("; example.org", lines[0]);
        Assert.Equal("example.org. 3600 IN MX 10 mail.example.com.", lines[1]);
        Assert.Equal("mail.example.com. 3600 IN A 192.0.2.7", lines[2]);
        Assert.Equal("example.org. 3600 IN TXT \"v=spf1 mx -all\"", lines[3]);
        Assert.Contains("; set by your hosting provider: 7.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.com.", lines);
        Assert.DoesNotContain(lines, line => line.Contains("example.com. 3600 IN MX", StringComparison.Ordinal));

        var all = await Run("dns", "records");
        Assert.Equal(0, all.ExitCode);
        Assert.StartsWith("; example.com\nexample.com. 3600 IN MX 10 mail.example.com.\n", all.Out);
        Assert.Contains("\n\n; example.org\nexample.org. 3600 IN MX 10 mail.example.com.\n", all.Out);

        Assert.Equal(new Result(1, "", "appliance: error: The domain example.net is not hosted here; add it first.\n"), await Run("dns", "records", "--domain", "example.net"));
    }

    [Fact]
    public async Task Status_without_a_server_lists_every_listener_as_silent_and_exits_1()
    {
        var closed = Listeners.Select(name => new KeyValuePair<string, string?>($"Appliance:Listeners:{name}:Port", ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var status = await Run("", closed, "status");
        Assert.Equal(1, status.ExitCode);
        Assert.Equal("appliance: error: 9 of 9 listeners do not answer; is the server running? (systemctl status appliance, journalctl -u appliance)\n", status.Error);
        string[] lines = status.Out.Split('\n');
        Assert.StartsWith("appliance ", lines[0]);
        Assert.Equal("Configuration:   none (built-in defaults)", lines[1]);
        Assert.Equal("Host name:       mail.example.com", lines[2]);
        Assert.Equal($"Data directory:  {_data}", lines[3]);
        Assert.Equal($"Database:        missing ({_data}/appliance.db does not exist; the server creates it at its first start)", lines[4]);
        Assert.Equal("Queue:           empty (nothing was ever queued)", lines[5]);
        Assert.Equal("Certificate:     unknown (no TLS listener answered)", lines[6]);
        Assert.Equal(9, lines.Count(line => line.Contains(" does not answer: Connection refused", StringComparison.Ordinal)));
        // Read-only: nothing was created.
        Assert.False(Directory.Exists(_data));
    }

    [Fact]
    public async Task Status_shows_the_host_name_set_in_the_admin_ui_over_the_configured_one()
    {
        // The database exists (any command that writes makes it), then the admin UI's setting.
        Assert.Equal(0, (await Run("domain", "add", "example.com")).ExitCode);
        var services = new ServiceCollection();
        services.AddApplianceServices(new ApplianceOptions { DataDirectory = _data, Hostname = "mail.example.com" });
        await using (var provider = services.BuildServiceProvider())
            await provider.GetRequiredService<ServerSettings>().SetHostnameAsync("mx.example.com", "mail.example.com", "test");
        SqliteConnection.ClearAllPools();

        var closed = Listeners.Select(name => new KeyValuePair<string, string?>($"Appliance:Listeners:{name}:Port", ClosedPort().ToString(System.Globalization.CultureInfo.InvariantCulture))).ToList();
        var status = await Run("", closed, "status");
        string[] lines = status.Out.Split('\n');
        Assert.Equal("Host name:       mx.example.com (set in the admin UI; Appliance:Hostname is mail.example.com)", lines[2]);
        Assert.StartsWith("Database:        ok (", lines[4]);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
            Directory.Delete(_data, recursive: true);
    }
}
