using System.Text.RegularExpressions;
using Appliance.Web.Cli;

namespace Appliance.Web.Tests.Cli;

/// <summary>`appliance domain dkim`, in-process against a real database in a temporary data directory.</summary>
public sealed partial class DkimCliTests : IDisposable
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

    private static void AssertOk(Result r)
    {
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Error}");
        Assert.Equal("", r.Error);
    }

    [GeneratedRegex("""^Record value: "(v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]{1,237})" "([A-Za-z0-9+/=]{1,255})"$""", RegexOptions.Multiline)]
    private static partial Regex RsaRecordValue();

    /// <summary>The first key's selector: "r" and its creation date (yyyyMMdd, UTC).</summary>
    private static string Selector(string output)
    {
        var match = Regex.Match(output, @"^Selector:     (r\d{8}) \(rsa-sha256, created \d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", RegexOptions.Multiline);
        Assert.True(match.Success, output);
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task Dkim_prints_the_selector_record_name_and_value_of_the_key_made_with_the_domain()
    {
        AssertOk(await Run("domain", "add", "Bücher.example"));

        var shown = await Run("domain", "dkim", "bücher.example");
        AssertOk(shown);
        string today = Selector(shown.Out)[1..];
        Assert.Contains("State:        active: signs outgoing mail\n", shown.Out);
        Assert.Contains($"Record name:  r{today}._domainkey.xn--bcher-kva.example\n", shown.Out);
        Assert.Contains("Record type:  TXT\n", shown.Out);
        // The value in strings of at most 255 octets; the two strings together are the whole record.
        var value = RsaRecordValue().Match(shown.Out);
        Assert.True(value.Success, shown.Out);
        Assert.Equal(255, value.Groups[1].Length);
        byte[] spki = Convert.FromBase64String(value.Groups[1].Value["v=DKIM1; k=rsa; p=".Length..] + value.Groups[2].Value);
        using var rsa = System.Security.Cryptography.RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(spki, out _);
        Assert.Equal(2048, rsa.KeySize);
    }

    [Fact]
    public async Task Dkim_rotates_and_retires()
    {
        AssertOk(await Run("domain", "add", "example.com"));
        string today = Selector((await Run("domain", "dkim", "example.com")).Out)[1..];

        var rotated = await Run("domain", "dkim", "example.com", "--rotate");
        AssertOk(rotated);
        Assert.StartsWith($"Created DKIM key r{today}-2 for example.com; publish its record now.\n", rotated.Out);
        Assert.Contains($"Record name:  r{today}-2._domainkey.example.com\n", rotated.Out);
        Assert.Contains($"Record name:  r{today}._domainkey.example.com\n", rotated.Out);
        Assert.Matches(@"State:        pending: publish now; signs from \d{4}-\d\d-\d\d \d\d:\d\d UTC or when the active key is retired", rotated.Out);

        var retired = await Run("domain", "dkim", "example.com", "--retire", $"r{today}");
        AssertOk(retired);
        Assert.StartsWith($"Retired DKIM key r{today} of example.com; its record r{today}._domainkey.example.com may be removed.\n", retired.Out);
        Assert.DoesNotContain($"Record name:  r{today}._domainkey.example.com\n", retired.Out);
        Assert.Contains("State:        active: signs outgoing mail\n", retired.Out);

        var last = await Run("domain", "dkim", "example.com", "--retire", $"r{today}-2");
        Assert.NotEqual(0, last.ExitCode);
        Assert.Contains("appliance: error:", last.Error);
        Assert.Contains("only DKIM key", last.Error);

        var unknown = await Run("domain", "dkim", "nothere.example");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("is not hosted here", unknown.Error);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
