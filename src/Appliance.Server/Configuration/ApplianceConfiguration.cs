using Microsoft.Extensions.Configuration;

namespace Appliance.Server.Configuration;

/// <summary>
/// Builds the configuration every entry point uses (server and CLI alike), in increasing
/// precedence: built-in defaults, the configuration file, APPLIANCE__* environment variables,
/// explicit overrides (tests, command-line switches).
/// </summary>
public static class ApplianceConfiguration
{
    /// <param name="configPath">--config; else $APPLIANCE_CONFIG; else /etc/appliance/appliance.json when it exists.</param>
    public static IConfigurationRoot Load(string? configPath = null, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        (configPath, bool installed) = ResolvePath(configPath);
        if (!string.IsNullOrEmpty(configPath) && !File.Exists(configPath))
            throw new ApplianceConfigurationException($"The configuration file '{configPath}' does not exist.");

        var builder = new ConfigurationBuilder().AddInMemoryCollection(ApplianceDefaults.For(installed));
        if (!string.IsNullOrEmpty(configPath))
            builder.AddJsonFile(Path.GetFullPath(configPath), optional: false, reloadOnChange: false);
        // APPLIANCE__HOSTNAME=... maps to Appliance:Hostname (keys are case-insensitive).
        builder.AddEnvironmentVariables();
        if (overrides is not null)
            builder.AddInMemoryCollection(overrides);
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException e)
        {
            throw new ApplianceConfigurationException($"The configuration file '{configPath}' is not valid JSON: {e.InnerException?.Message ?? e.Message}", e);
        }
    }

    /// <summary>
    /// Which file <see cref="Load"/> reads: --config, else $APPLIANCE_CONFIG, else the installed
    /// file when it exists (then <c>Installed</c> is true and the installed defaults apply); null: none.
    /// </summary>
    public static (string? Path, bool Installed) ResolvePath(string? configPath)
    {
        configPath ??= Environment.GetEnvironmentVariable(ApplianceDefaults.ConfigEnvironmentVariable);
        if (string.IsNullOrEmpty(configPath) && File.Exists(ApplianceDefaults.InstalledConfigPath))
            return (ApplianceDefaults.InstalledConfigPath, true);
        return (string.IsNullOrEmpty(configPath) ? null : configPath, false);
    }

    public static ApplianceOptions Bind(IConfiguration configuration)
    {
        var options = new ApplianceOptions();
        try
        {
            configuration.GetSection(ApplianceOptions.SectionName).Bind(options);
        }
        catch (InvalidOperationException e)
        {
            // The binder names the key and the value it could not convert.
            throw new ApplianceConfigurationException(e.Message, e);
        }
        options.ParsePublicAddresses(); // throws naming the bad value
        return options;
    }
}
