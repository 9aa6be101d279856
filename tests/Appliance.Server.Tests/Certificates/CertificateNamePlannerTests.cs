using Appliance.Dns;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Tests.Accounts;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Certificates;

public sealed class CertificateNamePlannerTests : IAsyncLifetime
{
    private const string Ours = "203.0.113.5";
    private readonly FakeDnsResolver _dns = new();
    private AccountTestHost _host = null!;

    public async Task InitializeAsync() => _host = await AccountTestHost.StartAsync(options =>
    {
        options.Hostname = "Mail.Example.org";
        options.PublicAddresses = [Ours, "2001:db8::5"];
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private ApplianceOptions Options => _host.Services.GetRequiredService<ApplianceOptions>();

    private CertificateNamePlanner Planner => new(_host.Accounts, _dns, Options);

    [Fact]
    public async Task Enabled_domains_names_pointing_at_a_public_address_by_A_or_AAAA_are_ordered_after_the_host_name()
    {
        await _host.Accounts.AddDomainAsync("example.net", "test");
        await _host.Accounts.AddDomainAsync("example.com", "test");
        await _host.Accounts.AddDomainAsync("disabled.example", "test");
        await _host.Accounts.SetDomainEnabledAsync("disabled.example", false, "test");
        foreach (string domain in new[] { "example.net", "example.com", "disabled.example" })
        {
            _dns.AddAddress("autoconfig." + domain, Ours);
            _dns.AddAddress("autodiscover." + domain, "2001:db8::5");
            _dns.AddCname("mta-sts." + domain, "mail.example.org");
        }
        _dns.AddAddress("mail.example.org", Ours);

        var plan = await Planner.PlanAsync([]);

        Assert.Equal(
            [
                "mail.example.org",
                "autoconfig.example.com", "autodiscover.example.com", "mta-sts.example.com",
                "autoconfig.example.net", "autodiscover.example.net", "mta-sts.example.net",
            ],
            plan.Names);
        Assert.Empty(plan.LeftOut);
    }

    [Fact]
    public async Task Names_pointing_elsewhere_or_nowhere_are_left_out_saying_why()
    {
        _dns.AddAddress("autoconfig.example.net", "198.51.100.7", "::ffff:203.0.113.9");
        _dns.Fail("autodiscover.example.net", DnsResponseStatus.NxDomain);

        var plan = await Planner.PlanAsync(["example.net"], []);

        Assert.Equal(["mail.example.org"], plan.Names);
        Assert.Equal(
            [
                new LeftOutName("autoconfig.example.net", "it points at 198.51.100.7, 203.0.113.9, not at this server (203.0.113.5, 2001:db8::5)"),
                new LeftOutName("autodiscover.example.net", "it has no A or AAAA record"),
                new LeftOutName("mta-sts.example.net", "it has no A or AAAA record"),
            ],
            plan.LeftOut);
    }

    [Fact]
    public async Task A_failed_lookup_keeps_a_name_the_served_certificate_has_and_leaves_out_a_new_one()
    {
        _dns.Fail("autoconfig.example.net", DnsResponseStatus.ServerFailure);
        _dns.Fail("autodiscover.example.net", DnsResponseStatus.Timeout);
        _dns.AddAddress("mta-sts.example.net", Ours);

        var plan = await Planner.PlanAsync(["example.net"], ["mail.example.org", "autoconfig.example.net"]);

        Assert.Equal(["mail.example.org", "autoconfig.example.net", "mta-sts.example.net"], plan.Names);
        Assert.Equal(
            [new LeftOutName("autodiscover.example.net", "its DNS lookup failed (Timeout); it is checked again at the next name check")],
            plan.LeftOut);
    }

    [Fact]
    public async Task Without_public_addresses_only_the_host_name_is_ordered_and_the_reason_says_which_setting_is_empty()
    {
        Options.PublicAddresses = [];
        _dns.AddAddress("autoconfig.example.net", Ours);

        var plan = await Planner.PlanAsync(["example.net"], []);

        Assert.Equal(["mail.example.org"], plan.Names);
        Assert.Equal(3, plan.LeftOut.Count);
        Assert.All(plan.LeftOut, name => Assert.Equal("Appliance:PublicAddresses is empty, so whether it points at this server cannot be checked", name.Reason));
        Assert.Empty(_dns.Queries);
    }

    [Fact]
    public async Task Names_past_the_per_certificate_limit_are_left_out()
    {
        Options.Acme.MaxNamesPerCertificate = 3;
        foreach (string label in CertificateNamePlanner.ServiceLabels)
            _dns.AddAddress(label + ".example.net", Ours);

        var plan = await Planner.PlanAsync(["example.net"], []);

        Assert.Equal(["mail.example.org", "autoconfig.example.net", "autodiscover.example.net"], plan.Names);
        Assert.Equal(
            [new LeftOutName("mta-sts.example.net", "the certificate already has 3 names (Appliance:Acme:MaxNamesPerCertificate)")],
            plan.LeftOut);
    }

    [Theory]
    [InlineData("mail.example.org", true)]
    [InlineData("MAIL.example.org.", true)]
    [InlineData("a.wild.example", true)]
    [InlineData("wild.example", false)]
    [InlineData("a.b.wild.example", false)]
    [InlineData("example.org", false)]
    [InlineData("", false)]
    public void Certificate_names_cover_exact_names_and_one_label_under_a_wildcard(string hostname, bool covered) =>
        Assert.Equal(covered, CertificateNames.Covers(["mail.example.org", "*.wild.example"], hostname));
}
