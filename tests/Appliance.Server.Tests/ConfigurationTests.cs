using Appliance.Server.Configuration;

namespace Appliance.Server.Tests;

/// <summary>Changes process environment variables, so it runs alone.</summary>
[CollectionDefinition(nameof(ProcessEnvironment), DisableParallelization = true)]
public sealed class ProcessEnvironment;

[Collection(nameof(ProcessEnvironment))]
public sealed class ConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("appliance-config").FullName;

    [Fact]
    public void Repo_defaults_are_loopback_high_ports_and_local_data()
    {
        var options = ApplianceConfiguration.Bind(ApplianceConfiguration.Load(WriteConfig("{}")));
        Assert.Equal("./data", options.DataDirectory);
        var l = options.Listeners;
        Assert.Equal(
            [8080, 8443, 2525, 2587, 2465, 2143, 2993, 2110, 2995],
            new[] { l.Http, l.Https, l.Smtp, l.Submission, l.Smtps, l.Imap, l.Imaps, l.Pop3, l.Pop3s }.Select(e => e.Port));
        Assert.All(new[] { l.Http, l.Smtp, l.Imaps }, e => Assert.Equal("127.0.0.1", e.Address));
        Assert.Equal(DatabaseProvider.Sqlite, options.Database.Provider);
    }

    [Fact]
    public void Installed_defaults_are_standard_ports_on_all_interfaces_and_var_lib()
    {
        var values = ApplianceDefaults.For(installed: true).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("/var/lib/appliance", values["Appliance:DataDirectory"]);
        var expected = new Dictionary<string, string>
        {
            ["Http"] = "80", ["Https"] = "443", ["Smtp"] = "25", ["Submission"] = "587", ["Smtps"] = "465",
            ["Imap"] = "143", ["Imaps"] = "993", ["Pop3"] = "110", ["Pop3s"] = "995",
        };
        foreach (var (name, port) in expected)
        {
            Assert.Equal(port, values[$"Appliance:Listeners:{name}:Port"]);
            Assert.Equal("::", values[$"Appliance:Listeners:{name}:Address"]);
        }
    }

    [Fact]
    public void File_then_environment_then_overrides_win()
    {
        string path = WriteConfig("""
            { "Appliance": { "Hostname": "from-file.example", "DataDirectory": "/srv/mail",
                             "Listeners": { "Smtp": { "Port": 25 }, "Pop3": { "Enabled": false } } } }
            """);
        Environment.SetEnvironmentVariable("APPLIANCE__LISTENERS__SMTP__PORT", "2626");
        try
        {
            var options = ApplianceConfiguration.Bind(ApplianceConfiguration.Load(path, [new("Appliance:Hostname", "override.example")]));
            Assert.Equal("override.example", options.Hostname);
            Assert.Equal("/srv/mail", options.DataDirectory);
            Assert.Equal(2626, options.Listeners.Smtp.Port);
            Assert.False(options.Listeners.Pop3.Enabled);
            Assert.Equal(2143, options.Listeners.Imap.Port);
        }
        finally
        {
            Environment.SetEnvironmentVariable("APPLIANCE__LISTENERS__SMTP__PORT", null);
        }
    }

    [Fact]
    public void Bad_files_and_values_are_configuration_errors_that_name_the_problem()
    {
        var missing = Assert.Throws<ApplianceConfigurationException>(() => ApplianceConfiguration.Load(Path.Combine(_dir, "none.json")));
        Assert.Contains("none.json", missing.Message);

        var json = Assert.Throws<ApplianceConfigurationException>(() => ApplianceConfiguration.Load(WriteConfig("{ \"Appliance\": ")));
        Assert.Contains("not valid JSON", json.Message);

        var value = Assert.Throws<ApplianceConfigurationException>(() =>
            ApplianceConfiguration.Bind(ApplianceConfiguration.Load(WriteConfig("""{ "Appliance": { "Listeners": { "Smtp": { "Port": "twenty-five" } } } }"""))));
        Assert.Contains("Port", value.Message);
    }

    private string WriteConfig(string json)
    {
        string path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
