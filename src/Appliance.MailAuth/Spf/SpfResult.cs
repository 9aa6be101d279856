// RFC 7208 (SPF) section 2.6 (results), 6.2 (explanation), 9.1 (what Received-SPF records).
using System.Net;

namespace Appliance.MailAuth.Spf;

/// <summary>
/// The outcome of <see cref="SpfEvaluator.CheckHostAsync"/> with what a Received-SPF or
/// Authentication-Results field needs to say about it.
/// </summary>
/// <param name="Verdict">The check_host() result.</param>
/// <param name="ClientIp">The client address as evaluated (an IPv4-mapped IPv6 address is reported as IPv4).</param>
/// <param name="Domain">The domain checked (the MAIL FROM domain or the HELO name).</param>
/// <param name="Sender">The sender as evaluated, "postmaster" substituted for a missing local part (4.3).</param>
/// <param name="Helo">The HELO/EHLO name given, or null.</param>
/// <param name="Mechanism">The mechanism that decided the result as written ("-all", "ip4:192.0.2.0/24", "default" when none matched), or null when no record was evaluated to the end.</param>
/// <param name="Explanation">For <see cref="SpfVerdict.Fail"/> only: the expanded exp= text (6.2), or null when none was published or it could not be fetched.</param>
/// <param name="Reason">A short human-readable reason, for logs and header comments.</param>
public sealed record SpfResult(
    SpfVerdict Verdict,
    IPAddress ClientIp,
    string Domain,
    string Sender,
    string? Helo,
    string? Mechanism,
    string? Explanation,
    string Reason);
