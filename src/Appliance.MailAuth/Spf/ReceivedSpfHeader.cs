// RFC 7208 (SPF) section 9.1: the Received-SPF header field.
using Appliance.MailAuth.Internal;

namespace Appliance.MailAuth.Spf;

/// <summary>Which identity an SPF check was about (RFC 7208 2.3, 2.4; the "identity" key of 9.1).</summary>
public enum SpfIdentity
{
    MailFrom,
    Helo,
}

/// <summary>Builds the Received-SPF trace field (RFC 7208 9.1) for a check result.</summary>
public static class ReceivedSpfHeader
{
    /// <summary>
    /// The whole field, "Received-SPF: " through the last key-value pair, on one line without the
    /// final CRLF (the message writer folds it if needed). Keys in the order of RFC 7208 9.1's list:
    /// client-ip, envelope-from, helo, problem (errors only), receiver, identity, mechanism.
    /// </summary>
    /// <param name="receiver">The host name of the checking server (9.1 "receiver").</param>
    public static string Format(SpfResult result, string receiver, SpfIdentity identity = SpfIdentity.MailFrom)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(receiver);
        string ip = result.ClientIp.ToString();
        string who = identity == SpfIdentity.Helo && result.Helo is not null ? result.Helo : result.Sender;
        // RFC 7208 9.1: the comment is free text; these mirror the RFC's examples.
        string comment = result.Verdict switch
        {
            SpfVerdict.Pass => $"{receiver}: domain of {who} designates {ip} as permitted sender",
            SpfVerdict.Fail => $"{receiver}: domain of {who} does not designate {ip} as permitted sender",
            SpfVerdict.SoftFail => $"{receiver}: domain of transitioning {who} does not designate {ip} as permitted sender",
            SpfVerdict.Neutral => $"{receiver}: {ip} is neither permitted nor denied by domain of {who}",
            SpfVerdict.None => $"{receiver}: domain of {who} does not designate permitted sender hosts",
            SpfVerdict.TempError => $"{receiver}: error in processing during lookup of {who}",
            _ => $"{receiver}: permanent error in processing domain of {who}",
        };
        var pairs = new List<string>
        {
            "client-ip=" + HeaderSyntax.DotAtomOrQuoted(ip),
            "envelope-from=" + HeaderSyntax.DotAtomOrQuoted(result.Sender),
        };
        if (result.Helo is not null)
        {
            pairs.Add("helo=" + HeaderSyntax.DotAtomOrQuoted(result.Helo));
        }
        if (result.Verdict is SpfVerdict.TempError or SpfVerdict.PermError)
        {
            pairs.Add("problem=" + HeaderSyntax.DotAtomOrQuoted(result.Reason));
        }
        pairs.Add("receiver=" + HeaderSyntax.DotAtomOrQuoted(receiver));
        pairs.Add("identity=" + (identity == SpfIdentity.Helo ? "helo" : "mailfrom"));
        if (result.Mechanism is not null && result.Mechanism != "default")
        {
            pairs.Add("mechanism=" + HeaderSyntax.DotAtomOrQuoted(result.Mechanism));
        }
        return $"Received-SPF: {VerdictName(result.Verdict)} {HeaderSyntax.Comment(comment)} {string.Join("; ", pairs)};";
    }

    /// <summary>The result keyword of RFC 7208 2.6 / 9.1 ("pass", "softfail" ...), also used by RFC 8601.</summary>
    public static string VerdictName(SpfVerdict verdict) => verdict switch
    {
        SpfVerdict.None => "none",
        SpfVerdict.Neutral => "neutral",
        SpfVerdict.Pass => "pass",
        SpfVerdict.Fail => "fail",
        SpfVerdict.SoftFail => "softfail",
        SpfVerdict.TempError => "temperror",
        _ => "permerror",
    };
}
