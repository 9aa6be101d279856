using System.Runtime.Versioning;
using System.Security.Cryptography.X509Certificates;
using Appliance.Dns;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Accounts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Appliance.Server.Tests.Certificates;

/// <summary>
/// A certificate manager with a local CA for ACME, a hand-moved clock and an in-memory DNS: every
/// wait in the renewal loop is a timer of <see cref="ManualClock"/>, so months pass without sleeping.
/// </summary>
internal sealed class RenewalFixture : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Failure guard only: every wait ends on an event long before this.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    public const string Hostname = "mail.example.org";
    public const string OurAddress = "203.0.113.5";
    public const string OurIPv6Address = "2001:db8::5";

    private RenewalFixture(AccountTestHost host, ManualClock clock, TestCertificateAuthority ca, FakeDnsResolver dns)
    {
        Host = host;
        Clock = clock;
        Ca = ca;
        Dns = dns;
        Options = host.Services.GetRequiredService<ApplianceOptions>();
        Certificates = new ServerCertificateProvider(Options, clock, NullLogger<ServerCertificateProvider>.Instance);
        Status = new CertificateStatus(Certificates);
        Planner = new CertificateNamePlanner(host.Accounts, dns, Options);
        Manager = new CertificateManager(Options, ca, Planner, Certificates, Status, clock, NullLogger<CertificateManager>.Instance);
    }

    public AccountTestHost Host { get; }
    public ManualClock Clock { get; }
    public TestCertificateAuthority Ca { get; }
    public FakeDnsResolver Dns { get; }
    public ApplianceOptions Options { get; }
    public ServerCertificateProvider Certificates { get; }
    public CertificateStatus Status { get; }
    public CertificateNamePlanner Planner { get; }
    public CertificateManager Manager { get; }

    /// <param name="nameCheckInterval">Long by default, so that the loop's wakes are the renewal's own.</param>
    public static async Task<RenewalFixture> StartAsync(TimeSpan? lifetime = null, TimeSpan? nameCheckInterval = null, DateTimeOffset? start = null)
    {
        var host = await AccountTestHost.StartAsync(options =>
        {
            options.Hostname = Hostname;
            options.PublicAddresses = [OurAddress, OurIPv6Address];
            options.Acme.NameCheckInterval = nameCheckInterval ?? TimeSpan.FromDays(1000);
        });
        var clock = new ManualClock(start ?? Start);
        var fixture = new RenewalFixture(host, clock, new TestCertificateAuthority(clock, lifetime), new FakeDnsResolver());
        fixture.Certificates.LoadOrCreate();
        return fixture;
    }

    /// <summary>Waits until the manager is waiting again; returns the time its timer is due.</summary>
    public Task<DateTimeOffset> NextWakeAsync() => Clock.WhenTimerArmedAsync().WaitAsync(Guard);

    public async ValueTask DisposeAsync()
    {
        await Manager.StopAsync(CancellationToken.None);
        Manager.Dispose();
        Ca.Dispose();
        await Host.DisposeAsync();
    }
}

public sealed class CertificateManagerTests
{
    private static readonly DateTimeOffset Start = RenewalFixture.Start;

    [Fact]
    [UnsupportedOSPlatform("windows")] // file modes are a Unix notion; the appliance runs on Linux
    public async Task First_issuance_replaces_the_self_signed_certificate_and_is_stored_0600_with_its_chain()
    {
        await using var fixture = await RenewalFixture.StartAsync(lifetime: TimeSpan.FromDays(30));
        var bootstrap = fixture.Certificates.Current;
        Assert.Null(fixture.Certificates.Issued);

        await fixture.Manager.StartAsync(CancellationToken.None);
        var wake = await fixture.NextWakeAsync();

        var issued = Assert.Single(fixture.Ca.Issued);
        Assert.Equal([["mail.example.org"]], fixture.Ca.Requests);
        Assert.Same(issued.Certificate, fixture.Certificates.Current);
        Assert.Same(issued.Certificate, fixture.Certificates.Select("mail.example.org").Certificate);
        Assert.NotEqual(bootstrap.Thumbprint, fixture.Certificates.Current.Thumbprint);
        // Renewal at two thirds of 30 days.
        Assert.Equal(Start + TimeSpan.FromDays(20), wake);

        string path = CertificateStore.IssuedPathFor(fixture.Options.DataPath);
        Assert.Equal(Path.Combine(fixture.Options.DataPath, "certs", "issued.pfx"), path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.False(File.Exists(path + ".tmp"));
        var stored = CertificateStore.LoadIssued(fixture.Options.DataPath)!;
        Assert.Equal(issued.Certificate.Thumbprint, stored.Certificate.Thumbprint);
        Assert.True(stored.Certificate.HasPrivateKey);
        Assert.Equal([fixture.Ca.Intermediate.Thumbprint], stored.Chain.Select(certificate => certificate.Thumbprint));

        // The next start serves the stored certificate before any renewal runs.
        var restarted = new ServerCertificateProvider(fixture.Options, fixture.Clock, NullLogger<ServerCertificateProvider>.Instance);
        Assert.Equal(issued.Certificate.Thumbprint, restarted.LoadOrCreate().Thumbprint);
        Assert.Equal(CertificateSource.Acme, restarted.Issued!.Source);
        Assert.Equal([fixture.Ca.Intermediate.Thumbprint], restarted.Issued.Chain.Select(certificate => certificate.Thumbprint));

        var report = fixture.Status.Certificates;
        Assert.Equal([CertificateSource.Acme, CertificateSource.SelfSigned], report.Select(row => row.Source));
        Assert.Equal(["mail.example.org"], report[0].Names);
        Assert.Equal("CN=Appliance Test Intermediate", report[0].Issuer);
        Assert.Equal(Start, report[0].NotBefore);
        Assert.Equal(Start + TimeSpan.FromDays(30), report[0].NotAfter);
        Assert.Equal(Start, report[0].LastAttempt);
        Assert.Null(report[0].LastError);
        Assert.Equal(Start + TimeSpan.FromDays(20), report[0].NextAttempt);
        Assert.Null(report[1].LastAttempt);
        Assert.Null(report[1].NextAttempt);
    }

    [Fact]
    public async Task Renewal_happens_at_two_thirds_of_the_lifetime_and_not_before()
    {
        await using var fixture = await RenewalFixture.StartAsync(lifetime: TimeSpan.FromDays(90));
        await fixture.Manager.StartAsync(CancellationToken.None);
        await fixture.NextWakeAsync();
        var first = Assert.Single(fixture.Ca.Issued);
        var renewAt = Start + TimeSpan.FromDays(60);

        // A second before: the loop wakes (its longest single timer is 49 days) and does not order.
        fixture.Clock.AdvanceTo(renewAt - TimeSpan.FromSeconds(1));
        Assert.Equal(renewAt, await fixture.NextWakeAsync());
        Assert.Single(fixture.Ca.Requests);
        Assert.Same(first.Certificate, fixture.Certificates.Current);

        fixture.Clock.AdvanceTo(renewAt);
        await fixture.NextWakeAsync();
        Assert.Equal(2, fixture.Ca.Requests.Count);
        var second = fixture.Ca.Issued[1];
        Assert.Same(second.Certificate, fixture.Certificates.Current);
        Assert.Equal(renewAt, fixture.Status.Certificates[0].LastAttempt);
        Assert.Equal(renewAt + TimeSpan.FromDays(60), fixture.Status.Certificates[0].NextAttempt);
        Assert.Equal(second.Certificate.Thumbprint, CertificateStore.LoadIssued(fixture.Options.DataPath)!.Certificate.Thumbprint);
    }

    [Fact]
    public async Task Failures_back_off_doubling_from_the_initial_delay_honour_Retry_After_and_the_status_keeps_the_last_error()
    {
        await using var fixture = await RenewalFixture.StartAsync(lifetime: TimeSpan.FromDays(30));
        fixture.Ca.FailNext(new CertificateIssuanceException("The CA is down for maintenance."));
        fixture.Ca.FailNext(new InvalidOperationException("disk on fire"));
        fixture.Ca.FailNext(new CertificateIssuanceException("Too many new orders recently.", retryAfter: TimeSpan.FromHours(2)));

        await fixture.Manager.StartAsync(CancellationToken.None);
        // 1st failure: retry after the initial delay, 5 minutes.
        var retry1 = Start + TimeSpan.FromMinutes(5);
        Assert.Equal(retry1, await fixture.NextWakeAsync());
        Assert.Single(fixture.Ca.Requests);
        Assert.Null(fixture.Certificates.Issued);
        var row = Assert.Single(fixture.Status.Certificates);
        Assert.Equal(CertificateSource.SelfSigned, row.Source);
        Assert.Equal(Start, row.LastAttempt);
        Assert.Equal("The CA is down for maintenance.", row.LastError);
        Assert.Equal(retry1, row.NextAttempt);
        Assert.Equal(1, fixture.Status.ConsecutiveFailures);

        // 2nd failure (our own, so its type is named): the wait doubles to 10 minutes.
        fixture.Clock.AdvanceTo(retry1);
        var retry2 = retry1 + TimeSpan.FromMinutes(10);
        Assert.Equal(retry2, await fixture.NextWakeAsync());
        Assert.Equal(2, fixture.Ca.Requests.Count);
        row = Assert.Single(fixture.Status.Certificates);
        Assert.Equal(retry1, row.LastAttempt);
        Assert.Equal("InvalidOperationException: disk on fire", row.LastError);
        Assert.Equal(retry2, row.NextAttempt);

        // 3rd failure: the backoff would be 20 minutes, the CA's Retry-After of 2 hours wins.
        fixture.Clock.AdvanceTo(retry2);
        var retry3 = retry2 + TimeSpan.FromHours(2);
        Assert.Equal(retry3, await fixture.NextWakeAsync());
        Assert.Equal(3, fixture.Ca.Requests.Count);
        Assert.Equal("Too many new orders recently.", fixture.Status.Certificates[0].LastError);
        Assert.Equal(3, fixture.Status.ConsecutiveFailures);

        fixture.Clock.AdvanceTo(retry3);
        Assert.Equal(retry3 + TimeSpan.FromDays(20), await fixture.NextWakeAsync());
        Assert.Equal(4, fixture.Ca.Requests.Count);
        Assert.Same(fixture.Ca.Issued.Single().Certificate, fixture.Certificates.Current);
        var renewed = fixture.Status.Certificates[0];
        Assert.Equal(CertificateSource.Acme, renewed.Source);
        Assert.Equal(retry3, renewed.LastAttempt);
        Assert.Null(renewed.LastError);
        Assert.Equal(0, fixture.Status.ConsecutiveFailures);
        Assert.Null(fixture.Status.Certificates[1].LastError);
    }

    [Fact]
    public async Task Backoff_doubles_from_the_initial_delay_up_to_the_maximum()
    {
        await using var fixture = await RenewalFixture.StartAsync();
        Assert.Equal(
            [5, 10, 20, 40, 80, 160, 320, 360, 360],
            Enumerable.Range(1, 9).Select(failures => fixture.Manager.Backoff(failures).TotalMinutes));
        Assert.Equal(TimeSpan.FromHours(6), fixture.Manager.Backoff(1000));
    }

    [Fact]
    public async Task A_certificate_that_does_not_cover_the_names_is_refused_and_the_served_one_stays()
    {
        await using var fixture = await RenewalFixture.StartAsync(lifetime: TimeSpan.FromDays(30));
        var wrong = new TestCertificateAuthority(fixture.Clock);
        using var wrongCa = wrong;
        var manager = new CertificateManager(fixture.Options, new WrongNamesIssuer(wrong), fixture.Planner, fixture.Certificates,
            fixture.Status, fixture.Clock, NullLogger<CertificateManager>.Instance);

        var wake = await manager.CheckAsync(CancellationToken.None);
        Assert.Equal(Start + TimeSpan.FromMinutes(5), wake);
        Assert.Null(fixture.Certificates.Issued);
        Assert.Equal("The issued certificate does not cover mail.example.org.", fixture.Status.Certificates[0].LastError);
        Assert.False(File.Exists(CertificateStore.IssuedPathFor(fixture.Options.DataPath)));
    }

    private sealed class WrongNamesIssuer(TestCertificateAuthority ca) : ICertificateIssuer
    {
        public Task<IssuedCertificate> IssueAsync(IReadOnlyList<string> dnsNames, CancellationToken cancellationToken = default) =>
            Task.FromResult(ca.Issue(["other.example.org"], ca.Root.NotBefore));
    }

    [Fact]
    public async Task A_new_name_pointing_at_us_is_ordered_at_the_next_name_check_and_names_elsewhere_are_left_out_with_why()
    {
        await using var fixture = await RenewalFixture.StartAsync(lifetime: TimeSpan.FromDays(90), nameCheckInterval: TimeSpan.FromHours(1));
        await fixture.Host.Accounts.AddDomainAsync("example.net", "test");
        fixture.Dns.AddAddress("autoconfig.example.net", RenewalFixture.OurAddress);
        fixture.Dns.AddAddress("autodiscover.example.net", "198.51.100.7");

        await fixture.Manager.StartAsync(CancellationToken.None);
        Assert.Equal(Start + TimeSpan.FromHours(1), await fixture.NextWakeAsync());
        Assert.Equal([["mail.example.org", "autoconfig.example.net"]], fixture.Ca.Requests);
        Assert.Equal(
            [
                new LeftOutName("autodiscover.example.net", "it points at 198.51.100.7, not at this server (203.0.113.5, 2001:db8::5)"),
                new LeftOutName("mta-sts.example.net", "it has no A or AAAA record"),
            ],
            fixture.Status.LeftOutNames);

        // Nothing changed: the hourly check orders nothing.
        fixture.Clock.AdvanceTo(Start + TimeSpan.FromHours(1));
        Assert.Equal(Start + TimeSpan.FromHours(2), await fixture.NextWakeAsync());
        Assert.Single(fixture.Ca.Requests);

        // mta-sts now points here (over IPv6): the next check orders the new set at once.
        fixture.Dns.AddAddress("mta-sts.example.net", RenewalFixture.OurIPv6Address);
        fixture.Clock.AdvanceTo(Start + TimeSpan.FromHours(2));
        Assert.Equal(Start + TimeSpan.FromHours(3), await fixture.NextWakeAsync());
        Assert.Equal(["mail.example.org", "autoconfig.example.net", "mta-sts.example.net"], fixture.Ca.Requests[1]);
        Assert.Equal(["mail.example.org", "autoconfig.example.net", "mta-sts.example.net"], fixture.Certificates.Issued!.Names);
        Assert.Equal(["mail.example.org", "autoconfig.example.net", "mta-sts.example.net"], fixture.Status.PlannedNames);
        Assert.Single(fixture.Status.LeftOutNames);
    }

    [Fact]
    public async Task Enabling_ACME_makes_the_ACME_client_the_issuer()
    {
        var data = Path.Combine(Path.GetTempPath(), "appliance-cert-tests-" + Guid.NewGuid().ToString("N"));
        var options = new ApplianceOptions { Hostname = "mail.example.org", DataDirectory = data };
        options.Acme.Enabled = true;
        var services = new ServiceCollection().AddLogging();
        services.AddApplianceServices(options);
        services.AddMailListeners();
        await using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<AcmeChallengeResponses>());
        Assert.IsType<AcmeCertificateIssuer>(provider.GetRequiredService<ICertificateIssuer>());
    }

    [Fact]
    public async Task With_an_issuer_registered_the_manager_runs_as_a_hosted_service_and_without_ACME_it_does_not()
    {
        var options = new ApplianceOptions { Hostname = "mail.example.org", DataDirectory = Path.Combine(Path.GetTempPath(), "appliance-cert-tests-" + Guid.NewGuid().ToString("N")) };
        options.Acme.Enabled = true;
        using var ca = new TestCertificateAuthority(TimeProvider.System);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<ICertificateIssuer>(ca);
        services.AddSingleton<IDnsResolver>(new FakeDnsResolver());
        services.AddApplianceServices(options);
        services.AddMailListeners();
        await using (var provider = services.BuildServiceProvider())
            Assert.Single(provider.GetServices<IHostedService>().OfType<CertificateManager>());

        var off = new ServiceCollection().AddLogging();
        off.AddApplianceServices(new ApplianceOptions { DataDirectory = options.DataDirectory });
        off.AddMailListeners();
        await using (var provider = off.BuildServiceProvider())
        {
            Assert.Empty(provider.GetServices<IHostedService>().OfType<CertificateManager>());
            Assert.NotNull(provider.GetRequiredService<AcmeChallengeResponses>());
            Assert.NotNull(provider.GetRequiredService<CertificateStatus>());
        }
    }

    [Fact]
    public void Bad_renewal_settings_are_configuration_errors_naming_the_setting()
    {
        var acme = new AcmeOptions { RenewalFraction = 1.5 };
        Assert.StartsWith("Appliance:Acme:RenewalFraction must be between 0 and 1", Assert.Throws<ApplianceConfigurationException>(acme.Validate).Message);
        acme = new AcmeOptions { RetryInitialDelay = TimeSpan.FromHours(7) };
        Assert.StartsWith("Appliance:Acme:RetryMaxDelay", Assert.Throws<ApplianceConfigurationException>(acme.Validate).Message);
        new AcmeOptions().Validate();
    }
}
