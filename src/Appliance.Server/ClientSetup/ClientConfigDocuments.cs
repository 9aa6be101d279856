// Documents that let a mail client set itself up from an address and a password:
// Thunderbird's autoconfig "config-v1.1.xml" (Mozilla's clientConfig format, version 1.1),
// Outlook's POX autodiscover response (schema .../outlook/responseschema/2006a), and an Apple
// configuration profile (a property list with a com.apple.mail.managed payload). None of them
// carries a secret: clients ask the user for the password.
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace Appliance.Server.ClientSetup;

public static class ClientConfigDocuments
{
    public static readonly XNamespace AutodiscoverResponse = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
    public static readonly XNamespace OutlookResponse = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

    /// <summary>Thunderbird autoconfig for a domain; the user name is the whole address (%EMAILADDRESS%).</summary>
    public static string Thunderbird(string domain, string displayDomain, IReadOnlyList<MailClientEndpoint> endpoints)
    {
        var provider = new XElement("emailProvider", new XAttribute("id", domain),
            new XElement("domain", domain),
            new XElement("displayName", displayDomain + " mail"),
            new XElement("displayShortName", displayDomain));
        foreach (var endpoint in endpoints)
        {
            bool outgoing = endpoint.Protocol == MailClientProtocol.Smtp;
            provider.Add(new XElement(outgoing ? "outgoingServer" : "incomingServer",
                new XAttribute("type", endpoint.Protocol.ToString().ToLowerInvariant()),
                new XElement("hostname", endpoint.Host),
                new XElement("port", endpoint.Port),
                new XElement("socketType", endpoint.Security == MailClientSecurity.ImplicitTls ? "SSL" : "STARTTLS"),
                new XElement("authentication", "password-cleartext"),
                new XElement("username", "%EMAILADDRESS%")));
        }
        return Serialize(new XDocument(new XElement("clientConfig", new XAttribute("version", "1.1"), provider)));
    }

    /// <summary>Outlook's autodiscover answer for one address: IMAP and SMTP settings, most preferred first.</summary>
    public static string Outlook(string address, IReadOnlyList<MailClientEndpoint> endpoints)
    {
        XNamespace o = OutlookResponse;
        var account = new XElement(o + "Account", new XElement(o + "AccountType", "email"), new XElement(o + "Action", "settings"));
        foreach (var endpoint in endpoints.Where(e => e.Protocol != MailClientProtocol.Pop3))
        {
            var protocol = new XElement(o + "Protocol",
                new XElement(o + "Type", endpoint.Protocol == MailClientProtocol.Smtp ? "SMTP" : "IMAP"),
                new XElement(o + "Server", endpoint.Host),
                new XElement(o + "Port", endpoint.Port),
                new XElement(o + "DomainRequired", "off"),
                new XElement(o + "LoginName", address),
                new XElement(o + "SPA", "off"),
                // SSL on means TLS from the start; STARTTLS is Encryption TLS.
                endpoint.Security == MailClientSecurity.ImplicitTls ? new XElement(o + "SSL", "on") : new XElement(o + "Encryption", "TLS"),
                new XElement(o + "AuthRequired", "on"));
            if (endpoint.Protocol == MailClientProtocol.Smtp)
                protocol.Add(new XElement(o + "UsePOPAuth", "on"), new XElement(o + "SMTPLast", "off"));
            account.Add(protocol);
        }
        return Serialize(new XDocument(new XElement(AutodiscoverResponse + "Autodiscover", new XElement(o + "Response", account))));
    }

    /// <summary>
    /// An Apple configuration profile with one mail account. Its identifiers are derived from the
    /// host and the address, so downloading it again replaces the installed profile instead of
    /// adding a second account.
    /// </summary>
    public static string AppleProfile(string address, string? displayName, IReadOnlyList<MailClientEndpoint> endpoints)
    {
        var incoming = endpoints.FirstOrDefault(e => e.Protocol == MailClientProtocol.Imap) ?? endpoints.First(e => e.Protocol == MailClientProtocol.Pop3);
        var outgoing = endpoints.First(e => e.Protocol == MailClientProtocol.Smtp);
        string reverseHost = string.Join('.', incoming.Host.Split('.').Reverse());
        string accountId = $"{reverseHost}.mail.{StableUuid(incoming.Host + "/account/" + address)}";
        var mail = Dict(
            ("EmailAccountDescription", String(address)),
            ("EmailAccountName", String(displayName ?? address)),
            ("EmailAccountType", String(incoming.Protocol == MailClientProtocol.Imap ? "EmailTypeIMAP" : "EmailTypePOP")),
            ("EmailAddress", String(address)),
            ("IncomingMailServerAuthentication", String("EmailAuthPassword")),
            ("IncomingMailServerHostName", String(incoming.Host)),
            ("IncomingMailServerPortNumber", Integer(incoming.Port)),
            // Apple's clients use TLS from the start on 993/465 and STARTTLS on other ports; either way, TLS.
            ("IncomingMailServerUseSSL", new XElement("true")),
            ("IncomingMailServerUsername", String(address)),
            ("OutgoingMailServerAuthentication", String("EmailAuthPassword")),
            ("OutgoingMailServerHostName", String(outgoing.Host)),
            ("OutgoingMailServerPortNumber", Integer(outgoing.Port)),
            ("OutgoingMailServerUseSSL", new XElement("true")),
            ("OutgoingMailServerUsername", String(address)),
            ("OutgoingPasswordSameAsIncomingPassword", new XElement("true")),
            ("PayloadDescription", String("Mail account " + address)),
            ("PayloadDisplayName", String(address)),
            ("PayloadIdentifier", String(accountId)),
            ("PayloadType", String("com.apple.mail.managed")),
            ("PayloadUUID", String(StableUuid(incoming.Host + "/account/" + address))),
            ("PayloadVersion", Integer(1)));
        var profile = Dict(
            ("PayloadContent", new XElement("array", mail)),
            ("PayloadDescription", String($"Sets up {address} on {incoming.Host}")),
            ("PayloadDisplayName", String($"Mail ({address})")),
            ("PayloadIdentifier", String($"{reverseHost}.profile.{StableUuid(incoming.Host + "/profile/" + address)}")),
            ("PayloadRemovalDisallowed", new XElement("false")),
            ("PayloadType", String("Configuration")),
            ("PayloadUUID", String(StableUuid(incoming.Host + "/profile/" + address))),
            ("PayloadVersion", Integer(1)));
        var document = new XDocument(
            new XDocumentType("plist", "-//Apple//DTD PLIST 1.0//EN", "http://www.apple.com/DTDs/PropertyList-1.0.dtd", null),
            new XElement("plist", new XAttribute("version", "1.0"), profile));
        return Serialize(document);
    }

    private static XElement Dict(params (string Key, XElement Value)[] entries) =>
        new("dict", entries.SelectMany(e => new[] { new XElement("key", e.Key), e.Value }));

    private static XElement String(string value) => new("string", value);

    private static XElement Integer(int value) => new("integer", value);

    /// <summary>A name-based UUID (RFC 9562 section 5.8, version 8 from SHA-256): the same input always gives the same id.</summary>
    private static string StableUuid(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString("D").ToUpperInvariant();
    }

    private static string Serialize(XDocument document)
    {
        var text = new StringBuilder();
        using (var writer = new Utf8StringWriter(text))
            document.Save(writer, SaveOptions.None);
        return text.ToString();
    }

    /// <summary>StringWriter says UTF-16 in the XML declaration; the documents are sent as UTF-8.</summary>
    private sealed class Utf8StringWriter(StringBuilder builder) : StringWriter(builder, System.Globalization.CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
