using Appliance.Server.Configuration;
using Appliance.Server.Imap;

namespace Appliance.Server.Tests.Imap;

public sealed class ImapServerOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_what_the_issue_asks()
    {
        var options = new ImapServerOptions();
        options.Validate();
        Assert.Equal(64 * 1024, options.MaxCommandLineLength);
        Assert.Equal(50L * 1024 * 1024, options.MaxLiteralSize);
        Assert.Equal(new Appliance.Server.Smtp.SmtpServerOptions().MaxMessageSize, options.MaxLiteralSize); // what is delivered can be APPENDed back
        Assert.Equal(4096, options.MaxLiteralSizeBeforeLogin);
        Assert.Equal(TimeSpan.FromMinutes(30), options.AutologoutAfterLogin);
        Assert.True(options.AutologoutBeforeLogin < options.AutologoutAfterLogin);
    }

    [Fact]
    public void Before_login_the_reader_limits_are_tiny_and_literal_minus_applies()
    {
        var options = new ImapServerOptions();
        var before = options.ReadLimits(authenticated: false);
        var after = options.ReadLimits(authenticated: true);
        Assert.Equal(new ImapReadLimits(65536, 4096, 4096, 4, 64, 256 * 1024), before);
        Assert.Equal(new ImapReadLimits(65536, 50L * 1024 * 1024, 50L * 1024 * 1024, 32, 1000, 256 * 1024), after);
    }

    [Fact]
    public void Values_below_the_rfc_minimums_are_refused_by_name()
    {
        var options = new ImapServerOptions { MaxCommandLineLength = 1000, AutologoutAfterLogin = TimeSpan.FromMinutes(5), FailedLoginDelay = TimeSpan.FromSeconds(-1) };
        var e = Assert.Throws<ApplianceConfigurationException>(options.Validate);
        Assert.Contains("Appliance:Imap:MaxCommandLineLength must be at least 8192 (RFC 7162 section 4); it is 1000.", e.Message);
        Assert.Contains("Appliance:Imap:AutologoutAfterLogin must be at least 30 minutes (RFC 9051 section 5.4)", e.Message);
        Assert.Contains("Appliance:Imap:FailedLoginDelay", e.Message);
    }
}
