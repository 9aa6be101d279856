using System.Net;
using Appliance.Dns;

namespace Appliance.Server.Configuration;

/// <summary>
/// The DNS resolver every lookup goes through (MX, SPF, DKIM, DMARC, the admin's DNS checks):
/// Appliance:Dns. Unset values come from /etc/resolv.conf, as for every program on the host.
/// </summary>
public sealed class DnsOptions
{
    /// <summary>
    /// Recursive resolvers to ask ("127.0.0.1", "127.0.0.1:5353", "[::1]:53"), for example a local
    /// unbound. A mail server should not depend on a shared resolver that drops or rate-limits
    /// queries (public resolvers also get refused by DNSBLs). Empty: resolv.conf's nameservers.
    /// </summary>
    public List<string> Nameservers { get; set; } = [];

    /// <summary>Wait per server and attempt. Null: resolv.conf "timeout:", else 5 s (resolv.conf(5)).</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Passes over the server list. Null: resolv.conf "attempts:", else 2 (resolv.conf(5)).</summary>
    public int? Attempts { get; set; }

    /// <summary>The resolver options these settings describe; bad values fail start-up with the setting's name.</summary>
    public DnsStubResolverOptions ToResolverOptions()
    {
        var servers = new List<IPEndPoint>();
        foreach (string text in Nameservers)
        {
            // "[v6]:port" and "v4:port" carry a port; a bare address (v6 has several colons) does not.
            bool hasPort = text.StartsWith('[') || text.Count(c => c == ':') == 1;
            if (hasPort && IPEndPoint.TryParse(text, out var endPoint))
                servers.Add(endPoint.Port == 0 ? new IPEndPoint(endPoint.Address, 53) : endPoint);
            else if (!hasPort && IPAddress.TryParse(text, out var address))
                servers.Add(new IPEndPoint(address, 53));
            else
                throw new ApplianceConfigurationException($"Appliance:Dns:Nameservers: '{text}' is not an IP address or address:port.");
        }
        if (Timeout is { } timeout && (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(1)))
            throw new ApplianceConfigurationException($"Appliance:Dns:Timeout must be between 0 and 1 minute (it is {timeout}).");
        if (Attempts is < 1 or > 10)
            throw new ApplianceConfigurationException($"Appliance:Dns:Attempts must be from 1 to 10 (it is {Attempts}).");
        return new DnsStubResolverOptions { Nameservers = servers, Timeout = Timeout, Attempts = Attempts };
    }
}
