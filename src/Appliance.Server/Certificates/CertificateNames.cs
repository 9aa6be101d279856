using System.Security.Cryptography.X509Certificates;

namespace Appliance.Server.Certificates;

/// <summary>
/// Which DNS names a certificate is for, and whether it covers a host name: the SAN's dNSName
/// entries only (RFC 6125 6.4.4: the CN is not consulted when a SAN is present, and all of ours have one).
/// </summary>
internal static class CertificateNames
{
    /// <summary>The SAN's DNS names, lower case, without a trailing dot, in certificate order.</summary>
    public static IReadOnlyList<string> Of(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                foreach (string name in san.EnumerateDnsNames())
                    names.Add(Normalize(name));
            }
        }
        return names;
    }

    /// <summary>True when the certificate's SAN covers <paramref name="hostname"/>.</summary>
    public static bool Covers(X509Certificate2 certificate, string hostname) => Covers(Of(certificate), hostname);

    /// <summary>
    /// True when one of <paramref name="names"/> is <paramref name="hostname"/> (ignoring case), or is
    /// a wildcard "*.parent" and the host name is exactly one label under parent: RFC 6125 6.4.3 lets
    /// the wildcard stand for the left-most label only, so "*.example.org" covers "a.example.org"
    /// but neither "example.org" nor "a.b.example.org".
    /// </summary>
    public static bool Covers(IEnumerable<string> names, string hostname)
    {
        string host = Normalize(hostname);
        if (host.Length == 0)
            return false;
        int firstDot = host.IndexOf('.');
        foreach (string name in names)
        {
            if (string.Equals(name, host, StringComparison.OrdinalIgnoreCase))
                return true;
            if (name.StartsWith("*.", StringComparison.Ordinal) && firstDot > 0
                && string.Equals(name.AsSpan(1).ToString(), host[firstDot..], StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    /// <summary>Lower case without a trailing dot: the form SNI (RFC 6066 3) and ACME identifiers use.</summary>
    public static string Normalize(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();
}
