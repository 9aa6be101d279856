// What to publish for a mail domain: RFC 5321 5.1 (MX), RFC 7208 (SPF; 2.3 for the HELO identity),
// RFC 6376 3.6.2 (DKIM key records), RFC 7489 6.1 (DMARC at _dmarc), RFC 6186 and RFC 8314 5.1
// (SRV records for submission, IMAP and POP3, implicit TLS preferred), RFC 8460 3 (TLS-RPT), RFC 8461 3.1 (MTA-STS),
// Thunderbird's autoconfig and Outlook's autodiscover host names, and the PTR record that
// receivers compare with the HELO name (RFC 8601 / FCrDNS practice).
using System.Net;
using System.Net.Sockets;
using Appliance.Dns;
using Appliance.Server.ClientSetup;
using Appliance.Server.Dkim;

namespace Appliance.Server.DnsAdvisor;

/// <summary>Computes the exact records for one domain. Pure: the same inputs give the same plan.</summary>
public static class DnsRecordPlanner
{
    /// <summary>The TTL written in the zone-file export: one hour, a common default that still lets mistakes be fixed the same day.</summary>
    public const uint ZoneTtl = 3600;

    /// <param name="domain">The mail domain's A-label.</param>
    /// <param name="mailHost">The server's host name (MX target, HELO name, certificate name).</param>
    /// <param name="publicAddresses">The addresses the world reaches the server on; empty when unknown (no A/AAAA/PTR then).</param>
    /// <param name="dkimKeys">The domain's keys that must be in DNS (pending, active and superseded).</param>
    /// <param name="clientEndpoints">The services clients use (<see cref="MailClientEndpoints.From"/>), for the SRV records.</param>
    public static IReadOnlyList<ExpectedDnsRecord> Plan(string domain, string mailHost, IReadOnlyList<IPAddress> publicAddresses, IReadOnlyList<DkimKeyInfo> dkimKeys,
        IReadOnlyList<MailClientEndpoint> clientEndpoints)
    {
        domain = DnsName.Normalize(domain);
        mailHost = DnsName.Normalize(mailHost);
        var records = new List<ExpectedDnsRecord>
        {
            new(domain, DnsRecordType.MX, $"10 {mailHost}", RecordRequirement.Required, DnsRecordPurpose.Mx,
                $"Tells other mail servers to deliver mail for {domain} to {mailHost}."),
        };
        foreach (var address in publicAddresses)
        {
            bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
            records.Add(new(mailHost, v6 ? DnsRecordType.AAAA : DnsRecordType.A, address.ToString(),
                v6 ? RecordRequirement.Recommended : RecordRequirement.Required, DnsRecordPurpose.HostAddress,
                v6 ? $"Lets IPv6 senders and clients reach {mailHost}." : $"Lets senders and mail clients find {mailHost}."));
        }
        records.Add(new(domain, DnsRecordType.TXT, "v=spf1 mx -all", RecordRequirement.Required, DnsRecordPurpose.Spf,
            $"Says that only the servers in the MX record send mail from {domain}; Gmail and Outlook reject or junk mail without SPF or DKIM."));
        foreach (var key in dkimKeys.Where(k => k.State is not DkimKeyState.Retired))
        {
            string why = key.State switch
            {
                DkimKeyState.Pending => "The next DKIM key, published ahead of the rotation so that it is in every cache when it starts signing.",
                DkimKeyState.Superseded => "The previous DKIM key; keep it until mail it signed has been delivered, then retire it.",
                _ => "The public key receivers use to verify this server's DKIM signatures.",
            };
            records.Add(new(DnsName.Normalize(key.RecordName), DnsRecordType.TXT, key.RecordValue,
                key.State == DkimKeyState.Active ? RecordRequirement.Required : RecordRequirement.Recommended, DnsRecordPurpose.Dkim, why));
        }
        records.Add(new("_dmarc." + domain, DnsRecordType.TXT, $"v=DMARC1; p=quarantine; rua=mailto:postmaster@{domain}", RecordRequirement.Recommended, DnsRecordPurpose.Dmarc,
            "Tells receivers to junk mail that fails SPF and DKIM for this domain, and where to send reports; large senders must have it."));
        records.Add(new(mailHost, DnsRecordType.TXT, "v=spf1 a -all", RecordRequirement.Optional, DnsRecordPurpose.HeloSpf,
            $"SPF for the HELO name {mailHost}, checked for bounces, which have an empty sender."));
        records.Add(new("autoconfig." + domain, DnsRecordType.CNAME, mailHost, RecordRequirement.Optional, DnsRecordPurpose.Autoconfig,
            "Lets Thunderbird and other clients set themselves up from the address alone."));
        records.Add(new("autodiscover." + domain, DnsRecordType.CNAME, mailHost, RecordRequirement.Optional, DnsRecordPurpose.Autodiscover,
            "Lets Outlook and phones set themselves up from the address alone."));
        foreach (var endpoint in clientEndpoints)
        {
            string service = MailClientEndpoints.SrvService(endpoint);
            records.Add(new($"{service}._tcp.{domain}", DnsRecordType.SRV, $"0 1 {endpoint.Port} {mailHost}", RecordRequirement.Optional, DnsRecordPurpose.Service,
                $"Tells mail clients that {service.TrimStart('_')} is on {mailHost} port {endpoint.Port} (RFC 6186)."));
        }
        records.Add(new("_mta-sts." + domain, DnsRecordType.TXT, $"v=STSv1; id={MtaStsPolicy.Id(mailHost)}", RecordRequirement.Optional, DnsRecordPurpose.MtaSts,
            "Asks senders to deliver only over TLS to this server (MTA-STS, testing mode); needs a certificate for the mta-sts name below."));
        records.Add(new("mta-sts." + domain, DnsRecordType.CNAME, mailHost, RecordRequirement.Optional, DnsRecordPurpose.MtaStsHost,
            $"Where senders fetch the MTA-STS policy: this server serves it at https://mta-sts.{domain}/.well-known/mta-sts.txt."));
        records.Add(new("_smtp._tls." + domain, DnsRecordType.TXT, $"v=TLSRPTv1; rua=mailto:postmaster@{domain}", RecordRequirement.Optional, DnsRecordPurpose.TlsReporting,
            "Asks senders to report TLS problems they meet delivering to this domain."));
        foreach (var address in publicAddresses)
        {
            records.Add(new(ReverseName(address), DnsRecordType.PTR, mailHost, RecordRequirement.Required, DnsRecordPurpose.ReverseDns,
                $"Many receivers refuse mail from an address whose reverse name is not {mailHost}; only the hosting provider can set it.",
                SetByProvider: true));
        }
        return records;
    }

    /// <summary>The in-addr.arpa (RFC 1035 3.5) or ip6.arpa (RFC 3596 2.5) name of an address.</summary>
    public static string ReverseName(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
            return string.Join('.', address.GetAddressBytes().Reverse()) + ".in-addr.arpa";
        var nibbles = address.GetAddressBytes().SelectMany(b => new[] { b >> 4, b & 0xF }).Reverse().Select(n => n.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        return string.Join('.', nibbles) + ".ip6.arpa";
    }

    /// <summary>
    /// The plan as zone-file lines (RFC 1035 5.1): absolute names, TXT values quoted in 255-octet
    /// strings; PTR records commented out, since they belong in the provider's reverse zone.
    /// </summary>
    public static string ZoneFile(IReadOnlyList<ExpectedDnsRecord> records)
    {
        var text = new System.Text.StringBuilder();
        foreach (var record in records)
        {
            string value = record.Type switch
            {
                DnsRecordType.TXT => string.Join(' ', record.TxtStrings.Select(s => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"")),
                DnsRecordType.MX or DnsRecordType.SRV => AbsoluteLastWord(record.Value),
                DnsRecordType.CNAME or DnsRecordType.PTR => record.Value + ".",
                _ => record.Value,
            };
            text.Append(record.SetByProvider ? "; set by your hosting provider: " : "")
                .Append($"{record.Name}. {ZoneTtl} IN {record.Type} {value}\n");
        }
        return text.ToString();
    }

    private static string AbsoluteLastWord(string value)
    {
        int space = value.LastIndexOf(' ');
        return value[..(space + 1)] + value[(space + 1)..] + ".";
    }
}
