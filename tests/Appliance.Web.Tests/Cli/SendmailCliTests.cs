using System.Text;
using Appliance.Server.Submission;
using Appliance.Web.Cli;

namespace Appliance.Web.Tests.Cli;

/// <summary>`appliance sendmail` in-process: options as cron and other tools pass them, and the queued result.</summary>
public sealed class SendmailCliTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-cli-tests", Guid.NewGuid().ToString("N"));

    private async Task<(int Code, string Out, string Error)> Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = new CliConsole(new StringReader(""), output, error, inputRedirected: true, () => new MemoryStream(Encoding.UTF8.GetBytes(stdin)));
        int code = await CliApplication.RunAsync(args, console, [new("Appliance:DataDirectory", _data), new("Appliance:Hostname", "mail.example.org")]);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData(new[] { "-FCronDaemon", "-i", "-B8BITMIME", "-oem", "root" }, "CronDaemon", true, false, "root")]
    [InlineData(new[] { "-t", "-oi", "-f", "<ops@example.org>" }, null, true, true, null)]
    [InlineData(new[] { "-fops@example.org", "-N", "never", "--", "-odd@example.org" }, null, false, false, "-odd@example.org")]
    public void Parses_options_as_postfix_sendmail_does(string[] args, string? fullName, bool ignoreDots, bool extract, string? recipient)
    {
        var request = SendmailCommand.Parse(args);
        Assert.Equal(fullName, request.FullName);
        Assert.Equal(ignoreDots, request.IgnoreDots);
        Assert.Equal(extract, request.ExtractRecipients);
        Assert.Equal(recipient is null ? [] : [recipient], request.Recipients);
        if (args.Any(a => a.Contains("ops@")))
            Assert.Equal("ops@example.org", request.Sender);
    }

    [Fact]
    public async Task Queues_the_message_for_the_server_and_lists_it()
    {
        var (code, _, error) = await Run("Subject: nightly\nTo: admin@example.org\n\ndone\n", "sendmail", "-t", "-oi");
        Assert.True(code == 0, error);
        var (listCode, list, _) = await Run("", "queue", "list");
        Assert.Equal(0, listCode);
        Assert.Contains("admin@example.org", list);
        Assert.Contains($"{Environment.UserName}@mail.example.org", list);
    }

    [Fact]
    public async Task Usage_errors_exit_with_sysexits_codes()
    {
        var (code, _, error) = await Run("Subject: x\n\nx\n", "sendmail");
        Assert.Equal(SendmailException.Usage, code);
        Assert.Contains("no recipients", error);
        (code, _, error) = await Run("Subject: x\n\nx\n", "sendmail", "-bp");
        Assert.Equal(SendmailException.Usage, code);
        Assert.Contains("-bp is not supported", error);
    }

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
