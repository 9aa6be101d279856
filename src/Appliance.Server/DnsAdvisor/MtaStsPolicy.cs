// RFC 8461 (SMTP MTA Strict Transport Security): the policy file served at
// https://mta-sts.<domain>/.well-known/mta-sts.txt (3.2, 3.3) and the _mta-sts TXT record whose id
// changes whenever the policy does (3.1). Mode "testing" (5): senders report failures (TLS-RPT)
// but still deliver, the safe start until the certificate for mta-sts.<domain> is in place.
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Server.DnsAdvisor;

public static class MtaStsPolicy
{
    /// <summary>max_age: one week, the value RFC 8461 3.2 uses in its example; senders re-fetch a changed id at once.</summary>
    public const int MaxAgeSeconds = 604_800;

    /// <summary>The policy text for a domain whose mail goes to <paramref name="mailHost"/>.</summary>
    public static string Text(string mailHost) =>
        $"version: STSv1\r\nmode: testing\r\nmx: {mailHost}\r\nmax_age: {MaxAgeSeconds}\r\n";

    /// <summary>RFC 8461 3.1: id is 1 to 32 alphanumerics; ours follows the policy's content.</summary>
    public static string Id(string mailHost) =>
        Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(Text(mailHost))))[..20].ToLowerInvariant();
}
