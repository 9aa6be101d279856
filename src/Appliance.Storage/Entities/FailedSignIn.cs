namespace Appliance.Storage.Entities;

/// <summary>
/// One failed sign-in to the web UI, for the admin's Logs page. The address is what the person (or
/// attacker) typed, made printable and bounded before it is stored; rows are pruned by age and
/// count (Server's SignInFailureLog).
/// </summary>
public sealed class FailedSignIn
{
    /// <summary>The longest stored address: RFC 5321 4.5.3.1.3 allows a path of 256 octets; anything longer is cut (and marked with "…").</summary>
    public const int MaxAddressLength = 256;

    /// <summary>An IPv6 address in text is at most 45 characters (RFC 4291 2.2, with an embedded IPv4 address); 64 leaves room for a zone id.</summary>
    public const int MaxClientLength = 64;

    public long Id { get; set; }

    public DateTime TimeUtc { get; set; }

    /// <summary>The address typed, printable and at most <see cref="MaxAddressLength"/> characters.</summary>
    public required string Address { get; set; }

    /// <summary>The client's IP address.</summary>
    public required string Client { get; set; }
}
