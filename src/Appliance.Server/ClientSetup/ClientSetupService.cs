using System.Xml;
using System.Xml.Linq;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;

namespace Appliance.Server.ClientSetup;

/// <summary>
/// Answers mail clients' set-up questions for hosted domains. Only the domain is checked, never
/// whether the mailbox exists, so these public endpoints tell nobody which addresses are real.
/// </summary>
public sealed class ClientSetupService(AccountService accounts, ApplianceOptions options, IBoundListenerPorts? boundPorts = null)
{
    /// <summary>Outlook's request is a few hundred bytes; anything much larger is not one.</summary>
    public const int MaxAutodiscoverRequestBytes = 16 * 1024;

    /// <summary>The endpoints to advertise, with the ports the listeners really bound when the host says (port 0 in tests).</summary>
    private IReadOnlyList<MailClientEndpoint> Endpoints => MailClientEndpoints.From(options, boundPorts is null ? null : boundPorts.PortOf);

    /// <summary>Thunderbird's config for the domain of <paramref name="addressOrDomain"/>; null when it is not hosted here.</summary>
    public async Task<string?> ThunderbirdAsync(string addressOrDomain, CancellationToken ct = default)
    {
        if (await FindDomainAsync(addressOrDomain, ct) is not { } domain)
            return null;
        return ClientConfigDocuments.Thunderbird(domain.Name, domain.DisplayName, Endpoints);
    }

    /// <summary>Outlook's autodiscover answer to a request document; null when it names no hosted address.</summary>
    public async Task<string?> OutlookAsync(Stream request, CancellationToken ct = default)
    {
        if (ReadRequestedAddress(request) is not { } address || await FindDomainAsync(address, ct) is null)
            return null;
        return ClientConfigDocuments.Outlook(address, Endpoints);
    }

    /// <summary>The Apple profile for an address in a hosted domain; null otherwise.</summary>
    public async Task<string?> AppleProfileAsync(string address, string? displayName, CancellationToken ct = default)
    {
        if (!address.Contains('@') || await FindDomainAsync(address, ct) is null)
            return null;
        return ClientConfigDocuments.AppleProfile(address.Trim(), displayName, Endpoints);
    }

    private async Task<DomainInfo?> FindDomainAsync(string addressOrDomain, CancellationToken ct)
    {
        string domain = addressOrDomain[(addressOrDomain.LastIndexOf('@') + 1)..].Trim();
        if (!AddressRules.TryNormalizeDomain(domain, out string normalized, out _))
            return null;
        return (await accounts.ListDomainsAsync(ct)).FirstOrDefault(d => d.Name == normalized && d.Enabled);
    }

    /// <summary>
    /// The EMailAddress of an Outlook request, read with DTDs prohibited and no resolver, so a
    /// hostile document cannot expand entities or fetch anything (XXE).
    /// </summary>
    private static string? ReadRequestedAddress(Stream request)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxAutodiscoverRequestBytes,
        };
        try
        {
            using var reader = XmlReader.Create(request, settings);
            var document = XDocument.Load(reader);
            return document.Descendants().FirstOrDefault(e => e.Name.LocalName == "EMailAddress")?.Value.Trim() is { Length: > 0 } address
                ? address
                : null;
        }
        catch (XmlException)
        {
            return null;
        }
    }
}
