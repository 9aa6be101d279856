// resolv.conf(5) as glibc reads it: the nameserver lines and the options we act on.
using System.Globalization;
using System.Net;

namespace Appliance.Dns;

/// <summary>
/// The parts of /etc/resolv.conf a stub resolver needs. Unknown keywords and options (search,
/// domain, ndots, ...) are ignored: we only resolve fully qualified names.
/// </summary>
public sealed class ResolvConf
{
    /// <summary>The system file.</summary>
    public const string DefaultPath = "/etc/resolv.conf";

    /// <summary>resolv.conf(5): "Up to MAXNS (currently 3) name servers may be listed"; later lines are ignored.</summary>
    public const int MaxNameservers = 3;

    /// <summary>resolv.conf(5): RES_TIMEOUT, 5 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>resolv.conf(5): "timeout:n ... capped to 30".</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(30);

    /// <summary>resolv.conf(5): RES_DFLRETRY, 2 attempts.</summary>
    public const int DefaultAttempts = 2;

    /// <summary>resolv.conf(5): "attempts:n ... capped to 5".</summary>
    public const int MaxAttempts = 5;

    /// <summary>Servers on port 53 in file order. resolv.conf(5): none listed means the local machine.</summary>
    public IReadOnlyList<IPEndPoint> Nameservers { get; private init; } = [];

    public TimeSpan Timeout { get; private init; } = DefaultTimeout;

    public int Attempts { get; private init; } = DefaultAttempts;

    /// <summary>options rotate: spread queries round-robin over the servers.</summary>
    public bool Rotate { get; private init; }

    /// <summary>Reads <paramref name="path"/>; a missing or unreadable file gives the defaults (as glibc does).</summary>
    public static ResolvConf Load(string path = DefaultPath)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            text = "";
        }
        return Parse(text);
    }

    public static ResolvConf Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var servers = new List<IPEndPoint>();
        TimeSpan timeout = DefaultTimeout;
        int attempts = DefaultAttempts;
        bool rotate = false;

        foreach (string rawLine in text.Split('\n'))
        {
            // resolv.conf(5): '#' or ';' in the first column starts a comment; glibc also stops a
            // nameserver address at whitespace, so trailing comments after a value do no harm.
            string line = rawLine.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            string[] words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            switch (words[0])
            {
                case "nameserver" when words.Length > 1:
                    // Addresses may be IPv6 and carry a scope ("fe80::1%eth0"); glibc skips unparsable ones.
                    if (servers.Count < MaxNameservers && IPAddress.TryParse(words[1], out var address))
                        servers.Add(new IPEndPoint(address, 53));
                    break;
                case "options":
                    foreach (string option in words.Skip(1))
                    {
                        if (option == "rotate")
                            rotate = true;
                        else if (TryOption(option, "timeout:", out int seconds))
                            timeout = TimeSpan.FromSeconds(Math.Clamp(seconds, 1, (int)MaxTimeout.TotalSeconds));
                        else if (TryOption(option, "attempts:", out int n))
                            attempts = Math.Clamp(n, 1, MaxAttempts);
                    }
                    break;
            }
        }
        if (servers.Count == 0)
            servers.Add(new IPEndPoint(IPAddress.Loopback, 53));
        return new ResolvConf { Nameservers = servers, Timeout = timeout, Attempts = attempts, Rotate = rotate };
    }

    private static bool TryOption(string option, string prefix, out int value)
    {
        value = 0;
        return option.StartsWith(prefix, StringComparison.Ordinal)
            && int.TryParse(option.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
