using System.Globalization;

namespace Appliance.Dns;

/// <summary>Domain name normalization shared by the resolver, its cache and the fake.</summary>
public static class DnsName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = true, UseStd3AsciiRules = false };

    /// <summary>Lower-case A-label form without the trailing dot; "" is the root.</summary>
    /// <exception cref="ArgumentException">The name cannot be a domain name (bad IDN, empty label, over 255 octets).</exception>
    public static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string trimmed = name.Trim();
        if (trimmed is "" or ".")
            return "";
        if (trimmed.EndsWith('.'))
            trimmed = trimmed[..^1];
        // Underscore labels (_dmarc, selector._domainkey) are legal DNS names but not IDNA: keep ASCII as is.
        string ascii = trimmed.All(char.IsAscii) ? trimmed : Idn.GetAscii(trimmed);
        ascii = ascii.ToLowerInvariant();
        // RFC 1035 2.3.4: labels of 63 octets, names of 255 octets on the wire (253 in text form).
        if (ascii.Length > 253 || ascii.Split('.').Any(l => l.Length is 0 or > 63))
            throw new ArgumentException($"'{name}' is not a valid domain name.", nameof(name));
        return ascii;
    }
}
