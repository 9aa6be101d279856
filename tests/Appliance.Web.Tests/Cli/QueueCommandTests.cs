using System.Text;
using Appliance.Server;
using Appliance.Server.Configuration;
using Appliance.Server.Queue;
using Appliance.Web.Cli;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Cli;

/// <summary>`appliance queue ...` in-process, on a queue filled through the server's own IOutboundQueue in a temporary data directory.</summary>
public sealed class QueueCommandTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-cli-tests", Guid.NewGuid().ToString("N"));

    private sealed record Result(int ExitCode, string Out, string Error);

    private async Task<Result> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole(new StringReader(""), output, error, inputRedirected: true);
        int code = await CliApplication.RunAsync(args, console, [new("Appliance:DataDirectory", _data)]);
        return new Result(code, output.ToString().Replace("\r", ""), error.ToString());
    }

    /// <summary>Queues a message as the server would (no worker runs here).</summary>
    private async Task<string> Enqueue(string sender, params string[] recipients)
    {
        var services = new ServiceCollection();
        services.AddApplianceServices(new ApplianceOptions { DataDirectory = _data });
        services.AddOutboundQueue();
        await using var provider = services.BuildServiceProvider();
        var queue = provider.GetRequiredService<IOutboundQueue>();
        return await queue.EnqueueAsync(
            new OutboundEnvelope(sender, recipients.Select(r => new OutboundRecipient(r)).ToList(), Origin: "test"),
            new MemoryStream(Encoding.ASCII.GetBytes("Subject: queued\r\n\r\nHello.\r\n")));
    }

    private string MessageFile(string id) => Path.Combine(_data, "queue", "messages", id + ".eml");

    private void SetNextAttempt(string id, DateTimeOffset when)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(_data, "queue", "queue.db")}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE recipients SET next_attempt = $t, attempts = 3, last_reply = '451 4.7.1 greylisted' WHERE message_id = $id";
        command.Parameters.AddWithValue("$t", when.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$id", id);
        Assert.Equal(1, command.ExecuteNonQuery());
    }

    [Fact]
    public async Task List_show_retry_and_delete()
    {
        var empty = await Run("queue", "list");
        Assert.Equal(0, empty.ExitCode);
        Assert.Equal("The queue is empty.\n", empty.Out);

        string one = await Enqueue("alice@example.com", "bob@example.org");
        string two = await Enqueue("", "carol@example.net", "dave@example.net");

        var list = await Run("queue", "list");
        Assert.Equal(0, list.ExitCode);
        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("ID", lines[0]);
        Assert.Contains(lines, l => l.StartsWith(one, StringComparison.Ordinal) && l.Contains("alice@example.com") && l.Contains("bob@example.org"));
        Assert.Contains(lines, l => l.StartsWith(two, StringComparison.Ordinal) && l.Contains("<> (bounce)") && l.Contains("2 recipients"));

        var later = DateTimeOffset.UtcNow.AddHours(2);
        SetNextAttempt(one, later);
        var shown = await Run("queue", "show", one);
        Assert.Equal(0, shown.ExitCode);
        Assert.Contains($"Queue id:    {one}", shown.Out);
        Assert.Contains("From:        alice@example.com", shown.Out);
        Assert.Matches(@"bob@example\.org\s+3\s+-\s+" + later.UtcDateTime.ToString("yyyy-MM-dd HH:mm") + @":\d\dZ\s+-\s+451 4\.7\.1 greylisted", shown.Out);

        var before = DateTimeOffset.UtcNow;
        var retried = await Run("queue", "retry", one);
        Assert.Equal(0, retried.ExitCode);
        Assert.Contains($"Message {one} is due now", retried.Out);
        var after = await Run("queue", "show", one);
        Assert.DoesNotContain(later.UtcDateTime.ToString("yyyy-MM-dd HH:mm"), after.Out);
        Assert.Contains(before.UtcDateTime.ToString("yyyy-MM-dd"), after.Out);

        Assert.True(File.Exists(MessageFile(two)));
        var deleted = await Run("queue", "delete", two);
        Assert.Equal(0, deleted.ExitCode);
        Assert.Contains($"Deleted {two}", deleted.Out);
        Assert.False(File.Exists(MessageFile(two)));
        var remaining = await Run("queue", "list");
        Assert.DoesNotContain(two, remaining.Out);
        Assert.Contains(one, remaining.Out);
    }

    [Theory]
    [InlineData("show")]
    [InlineData("retry")]
    [InlineData("delete")]
    public async Task Unknown_ids_are_a_clear_error_and_a_non_zero_exit(string verb)
    {
        await Enqueue("alice@example.com", "bob@example.org");
        foreach (string id in new[] { "zzzzzzzzzzzz", "../../etc/passwd" })
        {
            var r = await Run("queue", verb, id);
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains($"appliance: error: There is no queued message '{id}'", r.Error);
            Assert.Equal("", r.Out);
        }
    }

    [Fact]
    public async Task Commands_on_a_data_directory_without_a_queue_create_nothing()
    {
        Assert.NotEqual(0, (await Run("queue", "retry", "zzzzzzzzzzzz")).ExitCode);
        Assert.Equal("The queue is empty.\n", (await Run("queue", "list")).Out);
        Assert.False(Directory.Exists(Path.Combine(_data, "queue")));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
