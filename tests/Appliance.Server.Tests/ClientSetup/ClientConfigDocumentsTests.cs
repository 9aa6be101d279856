using System.Text;
using System.Xml;
using System.Xml.Linq;
using Appliance.Server.Accounts;
using Appliance.Server.ClientSetup;
using Appliance.Server.Configuration;
using Appliance.Server.Tests.Dkim;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.ClientSetup;

/// <summary>Thunderbird autoconfig, Outlook autodiscover and Apple profiles: their content and what the service refuses.</summary>
public sealed class ClientConfigDocumentsTests
{
    private const string Host = "mail.example.org";

    private static IReadOnlyList<MailClientEndpoint> Standard()
    {
        var options = new ApplianceOptions { Hostname = Host };
        (options.Listeners.Imaps.Port, options.Listeners.Imap.Port, options.Listeners.Pop3s.Port) = (993, 143, 995);
        (options.Listeners.Pop3.Port, options.Listeners.Smtps.Port, options.Listeners.Submission.Port) = (110, 465, 587);
        options.Listeners.Pop3.Enabled = false;
        return MailClientEndpoints.From(options);
    }

    [Fact]
    public void Endpoints_prefer_implicit_tls_and_skip_disabled_listeners_and_use_bound_ports()
    {
        Assert.Equal(
        [
            new(MailClientProtocol.Imap, Host, 993, MailClientSecurity.ImplicitTls),
            new(MailClientProtocol.Imap, Host, 143, MailClientSecurity.StartTls),
            new(MailClientProtocol.Pop3, Host, 995, MailClientSecurity.ImplicitTls),
            new(MailClientProtocol.Smtp, Host, 465, MailClientSecurity.ImplicitTls),
            new MailClientEndpoint(MailClientProtocol.Smtp, Host, 587, MailClientSecurity.StartTls),
        ], Standard());
        var bound = MailClientEndpoints.From(new ApplianceOptions { Hostname = Host }, kind => kind == Appliance.Server.Listeners.ListenerKind.Imaps ? 40993 : null);
        Assert.Equal(40993, bound[0].Port);
        Assert.Equal(2143, bound[1].Port);
    }

    [Fact]
    public void Thunderbird_autoconfig_lists_incoming_and_outgoing_servers_with_the_whole_address_as_user()
    {
        var document = XDocument.Parse(ClientConfigDocuments.Thunderbird("xn--bcher-kva.example", "bücher.example", Standard()));
        var provider = document.Root!.Element("emailProvider")!;
        Assert.Equal("1.1", document.Root.Attribute("version")!.Value);
        Assert.Equal("xn--bcher-kva.example", provider.Attribute("id")!.Value);
        Assert.Equal("bücher.example mail", provider.Element("displayName")!.Value);
        Assert.Equal(
            ["imap mail.example.org 993 SSL", "imap mail.example.org 143 STARTTLS", "pop3 mail.example.org 995 SSL"],
            provider.Elements("incomingServer").Select(Describe));
        Assert.Equal(["smtp mail.example.org 465 SSL", "smtp mail.example.org 587 STARTTLS"], provider.Elements("outgoingServer").Select(Describe));
        Assert.All(provider.Elements().Where(e => e.Name.LocalName.EndsWith("Server", StringComparison.Ordinal)), server =>
        {
            Assert.Equal("%EMAILADDRESS%", server.Element("username")!.Value);
            Assert.Equal("password-cleartext", server.Element("authentication")!.Value);
        });

        static string Describe(XElement server) =>
            $"{server.Attribute("type")!.Value} {server.Element("hostname")!.Value} {server.Element("port")!.Value} {server.Element("socketType")!.Value}";
    }

    [Fact]
    public void Outlook_autodiscover_gives_imap_and_smtp_with_tls()
    {
        var document = XDocument.Parse(ClientConfigDocuments.Outlook("alice@example.org", Standard()));
        XNamespace o = ClientConfigDocuments.OutlookResponse;
        Assert.Equal(ClientConfigDocuments.AutodiscoverResponse + "Autodiscover", document.Root!.Name);
        var protocols = document.Descendants(o + "Protocol").ToList();
        Assert.Equal(["IMAP 993 SSL=on", "IMAP 143 Encryption=TLS", "SMTP 465 SSL=on", "SMTP 587 Encryption=TLS"], protocols.Select(p =>
            $"{p.Element(o + "Type")!.Value} {p.Element(o + "Port")!.Value} " +
            (p.Element(o + "SSL") is { } ssl ? "SSL=" + ssl.Value : "Encryption=" + p.Element(o + "Encryption")!.Value)));
        Assert.All(protocols, p => Assert.Equal("alice@example.org", p.Element(o + "LoginName")!.Value));
    }

    [Fact]
    public void Apple_profiles_are_plists_with_stable_identifiers_per_address()
    {
        string profile = ClientConfigDocuments.AppleProfile("alice@example.org", "Alice Liddell", Standard());
        var plist = LoadPlist(profile);
        Assert.Contains("<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">", profile, StringComparison.Ordinal);
        var mail = Dictionary(plist.Root!.Element("dict")!.Element("array")!.Element("dict")!);
        Assert.Equal("com.apple.mail.managed", mail["PayloadType"].Value);
        Assert.Equal("EmailTypeIMAP", mail["EmailAccountType"].Value);
        Assert.Equal("Alice Liddell", mail["EmailAccountName"].Value);
        Assert.Equal((Host, "993"), (mail["IncomingMailServerHostName"].Value, mail["IncomingMailServerPortNumber"].Value));
        Assert.Equal((Host, "465"), (mail["OutgoingMailServerHostName"].Value, mail["OutgoingMailServerPortNumber"].Value));
        Assert.Equal("true", mail["IncomingMailServerUseSSL"].Name.LocalName);
        Assert.Equal("alice@example.org", mail["IncomingMailServerUsername"].Value);
        Assert.True(Guid.TryParse(mail["PayloadUUID"].Value, out _));
        Assert.DoesNotContain("Password</key><string>", profile, StringComparison.Ordinal);

        Assert.Equal(profile, ClientConfigDocuments.AppleProfile("alice@example.org", "Alice Liddell", Standard()));
        Assert.NotEqual(mail["PayloadUUID"].Value,
            Dictionary(LoadPlist(ClientConfigDocuments.AppleProfile("bob@example.org", null, Standard()))
                .Root!.Element("dict")!.Element("array")!.Element("dict")!)["PayloadUUID"].Value);

        // The plist DOCTYPE is only a declaration: read it without processing the DTD.
        static XDocument LoadPlist(string text)
        {
            using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore });
            return XDocument.Load(reader);
        }

        static Dictionary<string, XElement> Dictionary(XElement dict)
        {
            var items = dict.Elements().ToList();
            return Enumerable.Range(0, items.Count / 2).ToDictionary(i => items[2 * i].Value, i => items[2 * i + 1]);
        }
    }

    [Fact]
    public async Task The_service_answers_for_hosted_enabled_domains_only_and_resists_hostile_xml()
    {
        await using var host = await DkimTestHost.StartAsync(configureAppliance: o => o.Hostname = Host);
        await host.Accounts.AddDomainAsync("example.org", "test");
        await host.Accounts.AddDomainAsync("paused.example", "test");
        await host.Accounts.SetDomainEnabledAsync("paused.example", false, "test");
        var setup = new ClientSetupService(host.Accounts, host.Services.GetRequiredService<ApplianceOptions>());

        Assert.NotNull(await setup.ThunderbirdAsync("nobody@EXAMPLE.org"));
        Assert.NotNull(await setup.ThunderbirdAsync("example.org"));
        Assert.Null(await setup.ThunderbirdAsync("someone@elsewhere.example"));
        Assert.Null(await setup.ThunderbirdAsync("someone@paused.example"));
        Assert.Null(await setup.ThunderbirdAsync("not a domain"));
        Assert.Null(await setup.AppleProfileAsync("example.org", null));
        Assert.NotNull(await setup.AppleProfileAsync("anyone@example.org", null));

        const string request = """
            <?xml version="1.0" encoding="utf-8"?>
            <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
              <Request><EMailAddress>carol@example.org</EMailAddress>
              <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request>
            </Autodiscover>
            """;
        string? answer = await setup.OutlookAsync(new MemoryStream(Encoding.UTF8.GetBytes(request)));
        Assert.Contains("<LoginName>carol@example.org</LoginName>", answer);
        Assert.Null(await setup.OutlookAsync(new MemoryStream(Encoding.UTF8.GetBytes(request.Replace("example.org", "elsewhere.example")))));
        Assert.Null(await setup.OutlookAsync(new MemoryStream("not xml"u8.ToArray())));

        // XXE and entity expansion: DTDs are refused outright, nothing is fetched or expanded.
        const string hostile = """
            <?xml version="1.0"?>
            <!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd"><!ENTITY a "carol@example.org">]>
            <Autodiscover><Request><EMailAddress>&a;</EMailAddress><Note>&x;</Note></Request></Autodiscover>
            """;
        Assert.Null(await setup.OutlookAsync(new MemoryStream(Encoding.UTF8.GetBytes(hostile))));
    }
}
