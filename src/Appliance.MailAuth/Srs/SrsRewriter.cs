// Sender Rewriting Scheme: SRS0 and SRS1 addresses in the libsrs2 / postsrsd format:
//   SRS0=HHH=TT=orig-domain=orig-local@forwarder
//   SRS1=HHH=first-forwarder==HHH=TT=orig-domain=orig-local@second-forwarder
// HHH is a truncated HMAC-SHA256 in base32, TT the day number modulo 1024 in two base32 characters.
using System.Security.Cryptography;
using System.Text;

namespace Appliance.MailAuth.Srs;

/// <summary>How reversing an address ended.</summary>
public enum SrsReverseStatus
{
    /// <summary>A valid SRS address; <see cref="SrsReverseResult.Address"/> is where the bounce goes.</summary>
    Ok,
    /// <summary>Not an SRS address at all: handle as ordinary mail.</summary>
    NotSrs,
    /// <summary>Starts like SRS but does not parse.</summary>
    Malformed,
    /// <summary>The hash does not verify with any key: forged, refuse it.</summary>
    BadHash,
    /// <summary>The timestamp is older than <see cref="SrsOptions.MaxAgeDays"/> (or in the future).</summary>
    Expired,
}

public sealed record SrsReverseResult(SrsReverseStatus Status, string? Address);

/// <summary>Rewrites envelope senders of forwarded mail and reverses them for bounces.</summary>
public sealed class SrsRewriter
{
    private const string Base32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const int TimestampModulus = 1024; // two base32 characters

    private readonly SrsOptions options;

    public SrsRewriter(SrsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Key);
        if (options.Key.Length < 16)
        {
            throw new ArgumentException("The SRS key must be at least 16 bytes.", nameof(options));
        }
        if (options.HashLength is < 4 or > 51)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.HashLength, "HashLength must be 4 to 51 base32 characters (a 256-bit HMAC).");
        }
        this.options = options;
    }

    /// <summary>
    /// Rewrites <paramref name="sender"/> so that it is in <paramref name="forwarderDomain"/>: an ordinary
    /// address becomes SRS0, an SRS0 address of another forwarder becomes SRS1, and an SRS1 address
    /// keeps its first forwarder with a new hash. The null reverse-path ("") and addresses already in
    /// the forwarder's domain are returned unchanged.
    /// </summary>
    public string Forward(string sender, string forwarderDomain)
    {
        ArgumentNullException.ThrowIfNull(sender);
        ArgumentException.ThrowIfNullOrWhiteSpace(forwarderDomain);
        int at = sender.LastIndexOf('@');
        if (sender.Length == 0 || at <= 0 || at == sender.Length - 1)
        {
            return sender;
        }
        string local = sender[..at];
        string domain = sender[(at + 1)..];
        if (domain.Equals(forwarderDomain, StringComparison.OrdinalIgnoreCase))
        {
            return sender;
        }
        if (HasPrefix(local, "SRS0"))
        {
            // SRS1=HHH=<domain of the SRS0 forwarder>==<the SRS0 address minus "SRS0=">
            string rest = local[5..];
            return $"SRS1={Hash(options.Key, domain, rest)}={domain}=={rest}@{forwarderDomain}";
        }
        if (HasPrefix(local, "SRS1"))
        {
            // Already SRS1: keep the first forwarder and the original SRS0 part, re-sign for our domain.
            string[] parts = local[5..].Split("==", 2);
            if (parts.Length == 2)
            {
                string[] hashAndHost = parts[0].Split('=', 2);
                if (hashAndHost.Length == 2)
                {
                    string firstForwarder = hashAndHost[1];
                    return $"SRS1={Hash(options.Key, firstForwarder, parts[1])}={firstForwarder}=={parts[1]}@{forwarderDomain}";
                }
            }
        }
        string timestamp = Timestamp(Today());
        return $"SRS0={Hash(options.Key, timestamp, domain, local)}={timestamp}={domain}={local}@{forwarderDomain}";
    }

    /// <summary>
    /// Reverses an SRS address a bounce came to: SRS0 gives the original sender after checking hash and
    /// age; SRS1 gives the first forwarder's SRS0 address after checking our hash (that forwarder checks the age).
    /// </summary>
    public SrsReverseResult Reverse(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        int at = address.LastIndexOf('@');
        string local = at < 0 ? address : address[..at];
        if (HasPrefix(local, "SRS0"))
        {
            // HHH=TT=domain=local; the original local part may itself contain "=".
            string[] parts = local[5..].Split('=', 4);
            if (parts.Length != 4 || parts[1].Length != 2 || parts[2].Length == 0 || parts[3].Length == 0 || !TryDay(parts[1], out int stamped))
            {
                return new SrsReverseResult(SrsReverseStatus.Malformed, null);
            }
            if (!Verify(parts[0], parts[1], parts[2], parts[3]))
            {
                return new SrsReverseResult(SrsReverseStatus.BadHash, null);
            }
            int age = ((Today() - stamped) % TimestampModulus + TimestampModulus) % TimestampModulus;
            if (age > options.MaxAgeDays)
            {
                return new SrsReverseResult(SrsReverseStatus.Expired, null);
            }
            return new SrsReverseResult(SrsReverseStatus.Ok, parts[3] + "@" + parts[2]);
        }
        if (HasPrefix(local, "SRS1"))
        {
            string[] halves = local[5..].Split("==", 2);
            string[] hashAndHost = halves[0].Split('=', 2);
            if (halves.Length != 2 || hashAndHost.Length != 2 || hashAndHost[1].Length == 0 || halves[1].Length == 0)
            {
                return new SrsReverseResult(SrsReverseStatus.Malformed, null);
            }
            if (!Verify(hashAndHost[0], hashAndHost[1], halves[1]))
            {
                return new SrsReverseResult(SrsReverseStatus.BadHash, null);
            }
            return new SrsReverseResult(SrsReverseStatus.Ok, "SRS0=" + halves[1] + "@" + hashAndHost[1]);
        }
        return new SrsReverseResult(SrsReverseStatus.NotSrs, null);
    }

    // The separator after SRS0/SRS1 is "=" here; the prefix is compared without case since relays may fold it.
    private static bool HasPrefix(string local, string prefix) =>
        local.Length > 5 && local.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && local[4] == '=';

    private int Today() => (int)(options.TimeProvider.GetUtcNow().ToUnixTimeSeconds() / 86400);

    private static string Timestamp(int day)
    {
        int t = day % TimestampModulus;
        return new string([Base32[t >> 5], Base32[t & 31]]);
    }

    private static bool TryDay(string text, out int day)
    {
        int hi = Base32.IndexOf(char.ToUpperInvariant(text[0]));
        int lo = Base32.IndexOf(char.ToUpperInvariant(text[1]));
        day = (hi << 5) | lo;
        return hi >= 0 && lo >= 0;
    }

    private bool Verify(string hash, params string[] fields)
    {
        byte[] given = Encoding.ASCII.GetBytes(hash.ToUpperInvariant());
        foreach (byte[] key in options.PreviousKeys.Prepend(options.Key))
        {
            // Constant time, so that the hash cannot be found a character at a time.
            if (CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Hash(key, fields))))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Truncated HMAC-SHA256 of the fields, lower-cased (relays may change case), in base32.</summary>
    private string Hash(byte[] key, params string[] fields)
    {
        byte[] data = Encoding.UTF8.GetBytes(string.Join('\0', fields).ToLowerInvariant());
        byte[] mac = HMACSHA256.HashData(key, data);
        var sb = new StringBuilder(options.HashLength);
        int buffer = 0, bits = 0, index = 0;
        while (sb.Length < options.HashLength)
        {
            if (bits < 5)
            {
                buffer = (buffer << 8) | mac[index++];
                bits += 8;
            }
            sb.Append(Base32[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
        return sb.ToString();
    }
}
