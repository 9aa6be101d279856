using Appliance.Server.Configuration;
using Appliance.Server.Smtp;

namespace Appliance.Server.Tests.Smtp;

public sealed class SmtpServerOptionsTests
{
    [Fact]
    public void Defaults_are_valid() => new SmtpServerOptions().Validate();

    [Fact]
    public void Values_below_the_rfc_minimums_are_refused_by_name()
    {
        var options = new SmtpServerOptions { MaxCommandLineLength = 100, MaxRecipients = 10, GreetPause = TimeSpan.FromSeconds(-1) };
        var e = Assert.Throws<ApplianceConfigurationException>(options.Validate);
        Assert.Contains("Appliance:Smtp:MaxCommandLineLength must be at least 512 (RFC 5321 4.5.3.1.4); it is 100.", e.Message);
        Assert.Contains("Appliance:Smtp:MaxRecipients must be at least 100 (RFC 5321 4.5.3.1.8); it is 10.", e.Message);
        Assert.Contains("Appliance:Smtp:GreetPause", e.Message);
    }

    [Fact]
    public void Options_bind_from_configuration()
    {
        var configuration = ApplianceConfiguration.Load(configPath: null, new Dictionary<string, string?>
        {
            ["Appliance:Smtp:MaxMessageSize"] = "1048576",
            ["Appliance:Smtp:HideSubmitterInReceived"] = "false",
        });
        var options = ApplianceConfiguration.Bind(configuration);
        Assert.Equal(1048576, options.Smtp.MaxMessageSize);
        Assert.False(options.Smtp.HideSubmitterInReceived);
    }
}
