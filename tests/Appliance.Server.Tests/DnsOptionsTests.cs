using System.Net;
using Appliance.Server.Configuration;

namespace Appliance.Server.Tests;

public sealed class DnsOptionsTests
{
    [Fact]
    public void Nameservers_timeout_and_attempts_bind_and_convert()
    {
        var options = ApplianceConfiguration.Bind(ApplianceConfiguration.Load(configPath: null, new Dictionary<string, string?>
        {
            ["Appliance:Dns:Nameservers:0"] = "127.0.0.1",
            ["Appliance:Dns:Nameservers:1"] = "[::1]:5353",
            ["Appliance:Dns:Timeout"] = "00:00:02",
            ["Appliance:Dns:Attempts"] = "3",
        }));
        var resolver = options.Dns.ToResolverOptions();
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 53), new IPEndPoint(IPAddress.IPv6Loopback, 5353)], resolver.Nameservers);
        Assert.Equal(TimeSpan.FromSeconds(2), resolver.Timeout);
        Assert.Equal(3, resolver.Attempts);
    }

    [Fact]
    public void Defaults_leave_everything_to_resolv_conf()
    {
        var resolver = new DnsOptions().ToResolverOptions();
        Assert.Empty(resolver.Nameservers);
        Assert.Null(resolver.Timeout);
        Assert.Null(resolver.Attempts);
    }

    [Theory]
    [InlineData("Nameservers", "not-an-ip", "'not-an-ip' is not an IP address")]
    [InlineData("Timeout", "00:05:00", "Appliance:Dns:Timeout must be between")]
    [InlineData("Attempts", "0", "Appliance:Dns:Attempts must be from 1 to 10")]
    public void Bad_values_are_refused_by_name(string key, string value, string message)
    {
        var dns = new DnsOptions();
        switch (key)
        {
            case "Nameservers": dns.Nameservers.Add(value); break;
            case "Timeout": dns.Timeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
            default: dns.Attempts = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); break;
        }
        var e = Assert.Throws<ApplianceConfigurationException>(() => dns.ToResolverOptions());
        Assert.Contains(message, e.Message);
    }
}
