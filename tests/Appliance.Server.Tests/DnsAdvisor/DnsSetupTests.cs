using System.Net;
using System.Text;
using Appliance.Dns;
using Appliance.Server.Accounts;
using Appliance.Server.ClientSetup;
using Appliance.Server.Configuration;
using Appliance.Server.Dkim;
using Appliance.Server.DnsAdvisor;
using Appliance.Server.Tests.Dkim;
using Appliance.Storage.Entities;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.DnsAdvisor;

/// <summary>The records the DNS page asks for, their zone-file export and their live checks against a fake zone.</summary>
public sealed class DnsSetupTests
{
    private const string Host = "mail.example.org";
    private static readonly IPAddress V4 = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress V6 = IPAddress.Parse("2001:db8::10");

    private static DkimKeyInfo Key(string selector, DkimKeyState state, string publicKey = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA") =>
        new("example.org", selector, DkimAlgorithm.RsaSha256, state, DateTime.UnixEpoch, null, null,
            $"{selector}._domainkey.example.org", $"v=DKIM1; k=rsa; p={publicKey}", [$"v=DKIM1; k=rsa; p={publicKey}"]);

    private static IReadOnlyList<ExpectedDnsRecord> Plan() =>
        DnsRecordPlanner.Plan("Example.ORG.", "MAIL.example.org", [V4, V6],
            [Key("r20261101", DkimKeyState.Active), Key("r20261120", DkimKeyState.Pending, "NEXTKEY"), Key("r20250101", DkimKeyState.Retired, "OLD")],
            MailClientEndpoints.From(InstalledPorts()).Where(e => e.Port != 110).ToList());

    /// <summary>The standard ports of an installed server, with POP3 on 110 turned off.</summary>
    private static ApplianceOptions InstalledPorts()
    {
        var options = new ApplianceOptions { Hostname = Host };
        (options.Listeners.Imaps.Port, options.Listeners.Imap.Port, options.Listeners.Pop3s.Port) = (993, 143, 995);
        (options.Listeners.Pop3.Port, options.Listeners.Smtps.Port, options.Listeners.Submission.Port) = (110, 465, 587);
        return options;
    }

    /// <summary>A zone where everything the plan asks for is published correctly.</summary>
    private static FakeDnsResolver GoodZone() => new FakeDnsResolver()
        .AddMx("example.org", 10, Host)
        .AddAddress(Host, "192.0.2.10", "2001:db8::10")
        .AddTxt("example.org", "v=spf1 mx -all", "google-site-verification=abc")
        .AddTxt(Host, "v=spf1 a -all")
        .AddTxt("r20261101._domainkey.example.org", "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0B AQEFAAOCAQ8AMIIBCgKCAQEA")
        .AddTxt("r20261120._domainkey.example.org", "v=DKIM1; k=rsa; p=NEXTKEY")
        .AddTxt("_dmarc.example.org", "v=DMARC1; p=reject")
        .AddCname("autoconfig.example.org", Host)
        .AddCname("autodiscover.example.org", Host)
        .Add(new SrvRecord("_submissions._tcp.example.org", 300, 0, 1, 465, Host))
        .Add(new SrvRecord("_submission._tcp.example.org", 300, 0, 1, 587, Host))
        .Add(new SrvRecord("_imaps._tcp.example.org", 300, 0, 1, 993, Host))
        .Add(new SrvRecord("_imap._tcp.example.org", 300, 0, 1, 143, Host))
        .Add(new SrvRecord("_pop3s._tcp.example.org", 300, 0, 1, 995, Host))
        .AddTxt("_smtp._tls.example.org", "v=TLSRPTv1; rua=mailto:postmaster@example.org")
        .AddTxt("_mta-sts.example.org", "v=STSv1; id=20261121")
        .AddCname("mta-sts.example.org", Host)
        .AddPtr("10.2.0.192.in-addr.arpa", Host)
        .AddPtr(DnsRecordPlanner.ReverseName(V6), Host);

    [Fact]
    public void The_plan_lists_every_record_with_its_requirement()
    {
        var plan = Plan();
        Assert.Equal(
        [
            ("example.org", DnsRecordType.MX, "10 mail.example.org", RecordRequirement.Required),
            ("mail.example.org", DnsRecordType.A, "192.0.2.10", RecordRequirement.Required),
            ("mail.example.org", DnsRecordType.AAAA, "2001:db8::10", RecordRequirement.Recommended),
            ("example.org", DnsRecordType.TXT, "v=spf1 mx -all", RecordRequirement.Required),
            ("r20261101._domainkey.example.org", DnsRecordType.TXT, "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA", RecordRequirement.Required),
            ("r20261120._domainkey.example.org", DnsRecordType.TXT, "v=DKIM1; k=rsa; p=NEXTKEY", RecordRequirement.Recommended),
            ("_dmarc.example.org", DnsRecordType.TXT, "v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org", RecordRequirement.Recommended),
            ("mail.example.org", DnsRecordType.TXT, "v=spf1 a -all", RecordRequirement.Optional),
            ("autoconfig.example.org", DnsRecordType.CNAME, "mail.example.org", RecordRequirement.Optional),
            ("autodiscover.example.org", DnsRecordType.CNAME, "mail.example.org", RecordRequirement.Optional),
            ("_imaps._tcp.example.org", DnsRecordType.SRV, "0 1 993 mail.example.org", RecordRequirement.Optional),
            ("_imap._tcp.example.org", DnsRecordType.SRV, "0 1 143 mail.example.org", RecordRequirement.Optional),
            ("_pop3s._tcp.example.org", DnsRecordType.SRV, "0 1 995 mail.example.org", RecordRequirement.Optional),
            ("_submissions._tcp.example.org", DnsRecordType.SRV, "0 1 465 mail.example.org", RecordRequirement.Optional),
            ("_submission._tcp.example.org", DnsRecordType.SRV, "0 1 587 mail.example.org", RecordRequirement.Optional),
            ("_mta-sts.example.org", DnsRecordType.TXT, $"v=STSv1; id={MtaStsPolicy.Id("mail.example.org")}", RecordRequirement.Optional),
            ("mta-sts.example.org", DnsRecordType.CNAME, "mail.example.org", RecordRequirement.Optional),
            ("_smtp._tls.example.org", DnsRecordType.TXT, "v=TLSRPTv1; rua=mailto:postmaster@example.org", RecordRequirement.Optional),
            ("10.2.0.192.in-addr.arpa", DnsRecordType.PTR, "mail.example.org", RecordRequirement.Required),
            ("0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", DnsRecordType.PTR, "mail.example.org", RecordRequirement.Required),
        ], plan.Select(r => (r.Name, r.Type, r.Value, r.Requirement)));
        Assert.All(plan, r => Assert.False(string.IsNullOrWhiteSpace(r.Why)));
        Assert.All(plan.Where(r => r.Type == DnsRecordType.PTR), r => Assert.True(r.SetByProvider));
    }

    [Fact]
    public void Long_txt_values_are_split_into_255_octet_strings_in_the_zone_file()
    {
        string key = new('A', 392);
        var plan = DnsRecordPlanner.Plan("example.org", Host, [], [Key("r1", DkimKeyState.Active, key)], []);
        var dkim = plan.Single(r => r.Purpose == DnsRecordPurpose.Dkim);
        Assert.Equal([255, 155], dkim.TxtStrings.Select(s => s.Length));
        Assert.Equal(dkim.Value, string.Concat(dkim.TxtStrings));
        Assert.DoesNotContain(plan, r => r.Type is DnsRecordType.A or DnsRecordType.AAAA or DnsRecordType.PTR);

        string zone = DnsRecordPlanner.ZoneFile(Plan());
        var lines = zone.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("example.org. 3600 IN MX 10 mail.example.org.", lines[0]);
        Assert.Equal("_dmarc.example.org. 3600 IN TXT \"v=DMARC1; p=quarantine; rua=mailto:postmaster@example.org\"", lines[6]);
        Assert.Contains("autoconfig.example.org. 3600 IN CNAME mail.example.org.", lines);
        Assert.Contains("_imaps._tcp.example.org. 3600 IN SRV 0 1 993 mail.example.org.", lines);
        Assert.Contains("; set by your hosting provider: 10.2.0.192.in-addr.arpa. 3600 IN PTR mail.example.org.", lines);
        string longZone = DnsRecordPlanner.ZoneFile(plan);
        Assert.Contains($"r1._domainkey.example.org. 3600 IN TXT \"v=DKIM1; k=rsa; p={key[..237]}\" \"{key[237..]}\"", longZone);
    }

    [Fact]
    public async Task A_correct_zone_checks_ok_everywhere()
    {
        var results = await new DnsRecordChecker(GoodZone()).CheckAsync(Plan(), [V4, V6]);
        Assert.All(results, r => Assert.True(r.Status == DnsCheckStatus.Ok, $"{r.Expected.Name} {r.Expected.Type}: {r.Status} {r.Detail} [{string.Join(" | ", r.Found)}]"));
        Assert.Equal("Policy reject.", results.Single(r => r.Expected.Purpose == DnsRecordPurpose.Dmarc).Detail);
    }

    [Fact]
    public async Task Wrong_and_missing_records_say_what_was_found()
    {
        var zone = new FakeDnsResolver()
            .AddMx("example.org", 10, "mx.other-provider.example")
            .AddAddress(Host, "198.51.100.7")
            .AddTxt("example.org", "v=spf1 include:other.example -all")
            .AddTxt("other.example", "v=spf1 ip4:203.0.113.0/24 -all")
            .AddTxt(Host, "v=spf1 a -all", "v=spf1 mx -all")
            .AddTxt("r20261101._domainkey.example.org", "v=DKIM1; k=rsa; p=SOMEONEELSE")
            .AddTxt("_dmarc.example.org", "v=DMARC1; p=bogus")
            .AddAddress("autoconfig.example.org", "203.0.113.5")
            .Add(new SrvRecord("_imaps._tcp.example.org", 300, 0, 1, 143, Host))
            .Fail("_smtp._tls.example.org", DnsResponseStatus.ServerFailure);
        var results = (await new DnsRecordChecker(zone).CheckAsync(Plan(), [V4, V6])).ToDictionary(r => (r.Expected.Name, r.Expected.Type, r.Expected.Value));

        var mx = results[("example.org", DnsRecordType.MX, "10 mail.example.org")];
        Assert.Equal(DnsCheckStatus.Wrong, mx.Status);
        Assert.Equal(["10 mx.other-provider.example"], mx.Found);
        Assert.Equal(DnsCheckStatus.Wrong, results[(Host, DnsRecordType.A, "192.0.2.10")].Status);
        Assert.Equal(["198.51.100.7"], results[(Host, DnsRecordType.A, "192.0.2.10")].Found);
        Assert.Equal(DnsCheckStatus.Missing, results[(Host, DnsRecordType.AAAA, "2001:db8::10")].Status);
        var spf = results[("example.org", DnsRecordType.TXT, "v=spf1 mx -all")];
        Assert.Equal(DnsCheckStatus.Wrong, spf.Status);
        Assert.Equal("It does not allow 192.0.2.10 to send: the result is fail.", spf.Detail);
        Assert.StartsWith("There are several SPF records", results[(Host, DnsRecordType.TXT, "v=spf1 a -all")].Detail);
        Assert.Equal(DnsCheckStatus.Wrong, results.Values.Single(r => r.Expected.Name == "r20261101._domainkey.example.org").Status);
        Assert.Equal(DnsCheckStatus.Missing, results.Values.Single(r => r.Expected.Name == "r20261120._domainkey.example.org").Status);
        var dmarc = results.Values.Single(r => r.Expected.Purpose == DnsRecordPurpose.Dmarc);
        Assert.Equal(DnsCheckStatus.Wrong, dmarc.Status);
        Assert.StartsWith("The DMARC record is invalid", dmarc.Detail);
        Assert.Equal(DnsCheckStatus.Wrong, results.Values.Single(r => r.Expected.Purpose == DnsRecordPurpose.Autoconfig).Status);
        Assert.Equal(DnsCheckStatus.Missing, results.Values.Single(r => r.Expected.Purpose == DnsRecordPurpose.Autodiscover).Status);
        var imaps = results.Values.Single(r => r.Expected.Name == "_imaps._tcp.example.org");
        Assert.Equal(DnsCheckStatus.Wrong, imaps.Status);
        Assert.Equal(["0 1 143 mail.example.org"], imaps.Found);
        Assert.Equal(DnsCheckStatus.LookupFailed, results.Values.Single(r => r.Expected.Purpose == DnsRecordPurpose.TlsReporting).Status);
        Assert.Equal(DnsCheckStatus.Missing, results.Values.Single(r => r.Expected.Purpose == DnsRecordPurpose.MtaSts).Status);
        Assert.All(results.Values.Where(r => r.Expected.Type == DnsRecordType.PTR), r => Assert.Equal(DnsCheckStatus.Missing, r.Status));
    }

    [Fact]
    public async Task The_service_plans_from_the_domains_real_dkim_key_and_refuses_unknown_domains()
    {
        await using var host = await DkimTestHost.StartAsync(configureAppliance: o =>
        {
            o.Hostname = Host;
            o.PublicAddresses = ["192.0.2.10"];
        });
        await host.Accounts.AddDomainAsync("bücher.example", "test");
        var key = Assert.Single(await host.Keys.GetPublishedKeysAsync("xn--bcher-kva.example"));
        var zone = new FakeDnsResolver()
            .AddMx("xn--bcher-kva.example", 10, Host)
            .AddAddress(Host, "192.0.2.10")
            .AddTxt("xn--bcher-kva.example", "v=spf1 ip4:192.0.2.10 -all")
            .Add(new TxtRecord(key.RecordName, 300, key.RecordStrings.Select(Encoding.ASCII.GetBytes).ToList()));
        var service = new DnsSetupService(host.Accounts, host.Keys, new DnsRecordChecker(zone), host.Services.GetRequiredService<ApplianceOptions>());

        var records = await service.GetRecordsAsync("BÜCHER.example");
        Assert.Equal("xn--bcher-kva.example", records[0].Name);
        Assert.Equal(key.RecordValue, records.Single(r => r.Purpose == DnsRecordPurpose.Dkim).Value);
        var checks = await service.CheckAsync("xn--bcher-kva.example");
        Assert.Equal(DnsCheckStatus.Ok, checks.Single(r => r.Expected.Purpose == DnsRecordPurpose.Mx).Status);
        Assert.Equal(DnsCheckStatus.Ok, checks.Single(r => r.Expected.Purpose == DnsRecordPurpose.Spf).Status);
        Assert.Equal(DnsCheckStatus.Ok, checks.Single(r => r.Expected.Purpose == DnsRecordPurpose.Dkim).Status);
        Assert.Equal(DnsCheckStatus.Missing, checks.Single(r => r.Expected.Purpose == DnsRecordPurpose.Dmarc).Status);
        Assert.StartsWith("xn--bcher-kva.example. 3600 IN MX 10 mail.example.org.", await service.GetZoneFileAsync("bücher.example"));

        var error = await Assert.ThrowsAsync<AccountException>(() => service.GetRecordsAsync("elsewhere.example"));
        Assert.Equal(AccountError.DomainNotFound, error.Error);
    }

    [Fact]
    public void The_mta_sts_policy_is_in_testing_mode_for_the_mail_host_and_its_id_follows_it()
    {
        Assert.Equal("version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n", MtaStsPolicy.Text("mail.example.org"));
        Assert.Matches("^[a-z0-9]{1,32}$", MtaStsPolicy.Id("mail.example.org"));
        Assert.NotEqual(MtaStsPolicy.Id("mail.example.org"), MtaStsPolicy.Id("mx.example.org"));
    }

    [Fact]
    public void A_public_address_that_is_not_an_ip_is_a_configuration_error_naming_it()
    {
        var options = new ApplianceOptions { PublicAddresses = ["192.0.2.1", "mail.example.org"] };
        var error = Assert.Throws<ApplianceConfigurationException>(() => options.ParsePublicAddresses());
        Assert.Equal("Appliance:PublicAddresses: \"mail.example.org\" is not an IPv4 or IPv6 address.", error.Message);
        Assert.Equal([IPAddress.Parse("2001:db8::1")], new ApplianceOptions { PublicAddresses = [" 2001:db8::1 "] }.ParsePublicAddresses());
    }
}
