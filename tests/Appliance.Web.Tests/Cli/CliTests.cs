using Appliance.Server;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Storage.Mail;
using Appliance.Web.Cli;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Cli;

/// <summary>The command line, run in-process against a real database and message store in a temporary data directory.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-cli-tests", Guid.NewGuid().ToString("N"));

    private sealed record Result(int ExitCode, string Out, string Error);

    private async Task<Result> RunWithInput(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole(new StringReader(stdin), output, error, inputRedirected: true);
        int code = await CliApplication.RunAsync(args, console, [new("Appliance:DataDirectory", _data)]);
        return new Result(code, output.ToString(), error.ToString());
    }

    private Task<Result> Run(params string[] args) => RunWithInput("", args);

    private static void AssertOk(Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Error}");
        Assert.Equal("", r.Error);
    }

    private static void AssertError(Result r, string expectedFragment)
    {
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains(expectedFragment, r.Error);
    }

    [Fact]
    public async Task Domains_users_and_aliases_round_trip()
    {
        AssertOk(await Run("domain", "add", "Bücher.example"));
        AssertOk(await RunWithInput("correct horse battery\n", "user", "add", "Alice@bücher.example", "--name", "Alice A", "--role", "admin", "--quota", "2G"));
        AssertOk(await RunWithInput("another secret\n", "user", "add", "bob@xn--bcher-kva.example"));
        AssertOk(await Run("alias", "add", "@bücher.example", "alice@bücher.example"));
        AssertOk(await Run("alias", "add", "info@bücher.example", "alice@bücher.example", "ext@example.org"));

        var domains = await Run("domain", "list");
        AssertOk(domains);
        Assert.Contains("bücher.example (xn--bcher-kva.example)  yes      2          2        alice@xn--bcher-kva.example", domains.Out);

        var users = await Run("user", "list");
        AssertOk(users);
        var lines = users.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ADDRESS", lines[0]);
        Assert.Matches(@"^alice@bücher\.example\s+Alice A\s+admin\s+2 GiB\s+yes$", lines[1]);
        Assert.Matches(@"^bob@bücher\.example\s+user\s+unlimited\s+yes$", lines[2]);

        var aliases = await Run("alias", "list");
        Assert.Contains("@bücher.example", aliases.Out);
        Assert.Contains("info@bücher.example  alice@xn--bcher-kva.example, ext@example.org", aliases.Out);

        AssertOk(await Run("alias", "remove", "info@bücher.example"));
        Assert.DoesNotContain("info@", (await Run("alias", "list")).Out);
    }

    [Fact]
    public async Task Passwords_come_from_stdin_and_change()
    {
        AssertOk(await Run("domain", "add", "example.com"));
        AssertOk(await RunWithInput("first password\n", "user", "add", "a@example.com"));
        var changed = await RunWithInput("second password\n", "user", "passwd", "a@example.com");
        AssertOk(changed);
        Assert.Contains("Password changed for a@example.com", changed.Out);

        AssertError(await RunWithInput("", "user", "add", "b@example.com"), "no password was given");
        AssertError(await RunWithInput("short\n", "user", "add", "b@example.com"), "at least 8 characters");
        AssertError(await RunWithInput("whatever pass\n", "user", "passwd", "nobody@example.com"), "There is no mailbox nobody@example.com");
    }

    [Fact]
    public async Task Quota_is_shown_and_set()
    {
        AssertOk(await Run("domain", "add", "example.com"));
        AssertOk(await RunWithInput("first password\n", "user", "add", "a@example.com"));
        var shown = await Run("user", "quota", "a@example.com");
        AssertOk(shown);
        Assert.Equal("a@example.com: 0 used of unlimited.\n", shown.Out.Replace("\r", ""));
        var set = await Run("user", "quota", "a@example.com", "1.5G");
        AssertOk(set);
        Assert.Contains("of 1.5 GiB", set.Out);
        AssertError(await Run("user", "quota", "a@example.com", "lots"), "'lots' is not a size");
    }

    [Fact]
    public async Task Errors_are_one_clear_line_and_a_non_zero_exit()
    {
        AssertError(await Run("domain", "add", "not_a domain"), "appliance: error: 'not_a domain' is not a valid domain name");
        AssertOk(await Run("domain", "add", "example.com"));
        AssertError(await Run("domain", "add", "EXAMPLE.com"), "already exists");
        AssertError(await RunWithInput("pass word\n", "user", "add", "x@other.example"), "is not hosted here");
        AssertError(await RunWithInput("pass word\n", "user", "add", "x@example.com", "--role", "root"), "unknown role 'root'");
        AssertError(await Run("alias", "remove", "nothing@example.com"), "There is no alias");

        AssertOk(await RunWithInput("pass word1\n", "user", "add", "x@example.com"));
        AssertError(await Run("domain", "remove", "example.com"), "still has 1 mailbox");
        Assert.Contains("example.com", (await Run("domain", "list")).Out);

        var forced = await Run("domain", "remove", "example.com", "--force");
        AssertOk(forced);
        Assert.Contains("No domains yet", (await Run("domain", "list")).Out);
    }

    [Fact]
    public async Task Unknown_commands_and_missing_arguments_fail()
    {
        Assert.NotEqual(0, (await Run("bogus")).ExitCode);
        Assert.NotEqual(0, (await Run("user", "add")).ExitCode);
        Assert.NotEqual(0, (await Run("alias", "add", "a@example.com")).ExitCode);
    }

    [Fact]
    public async Task A_missing_configuration_file_is_an_error()
    {
        var r = await Run("domain", "list", "--config", Path.Combine(_data, "nope.json"));
        AssertError(r, "does not exist");
    }

    [Fact]
    public async Task A_malformed_configuration_file_is_an_error()
    {
        Directory.CreateDirectory(_data);
        string path = Path.Combine(_data, "bad.json");
        await File.WriteAllTextAsync(path, "{ \"Appliance\": { \"Database\": { \"Provider\": \"Oracle\" } } }");
        AssertError(await Run("domain", "list", "--config", path), "appliance: error:");
        await File.WriteAllTextAsync(path, "{ not json");
        AssertError(await Run("domain", "list", "--config", path), "not valid JSON");
    }

    [Fact]
    public async Task Reindex_rebuilds_a_lost_index_keeping_every_message_and_uid()
    {
        AssertOk(await Run("domain", "add", "example.com"));
        AssertOk(await RunWithInput("first password\n", "user", "add", "a@example.com"));
        var services = new ServiceCollection().AddApplianceServices(new ApplianceOptions { DataDirectory = _data }).BuildServiceProvider();
        Guid storeId = (await services.GetRequiredService<AccountService>().GetMailboxAsync("a@example.com")).StoreId;
        var store = services.GetRequiredService<MessageStore>();
        var uids = new List<uint>();
        for (int i = 0; i < 3; i++)
            uids.Add((await store.OpenAccount(storeId).AppendAsync("INBOX", new MemoryStream(System.Text.Encoding.ASCII.GetBytes($"Subject: {i}\r\n\r\nbody {i}\r\n")))).Uid);
        await services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (string index in Directory.GetFiles(Path.Combine(_data, "mail", storeId.ToString("N")), "*.sqlite*"))
            File.Delete(index);

        var r = await Run("store", "reindex", "A@example.com");
        AssertOk(r);
        Assert.Contains("6 mailboxes, 3 messages (0 given new UIDs)", r.Out);

        using var again = new MessageStore(Path.Combine(_data, "mail"));
        Assert.Equal(uids, again.OpenAccount(storeId).ListMessagesByUid("INBOX").Select(m => m.Uid));
        AssertError(await Run("store", "reindex", "nobody@example.com"), "There is no mailbox");
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var r = await Run("version");
        AssertOk(r);
        Assert.StartsWith("appliance ", r.Out);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
