// Sender Rewriting Scheme (Shevek, "Sender Rewriting Scheme", 2004; the libsrs2 / postsrsd address
// format): options. SRS is not an RFC; it exists so that forwarding keeps SPF (RFC 7208 section
// 9.1 / appendix on forwarding) working.
namespace Appliance.MailAuth.Srs;

public sealed class SrsOptions
{
    /// <summary>The HMAC-SHA256 key that signs rewritten addresses. Keep it secret and stable; at least 16 bytes.</summary>
    public required byte[] Key { get; init; }

    /// <summary>Keys still accepted when reversing (after a key rotation), never used to sign.</summary>
    public IReadOnlyList<byte[]> PreviousKeys { get; init; } = [];

    /// <summary>
    /// Base32 characters of the truncated HMAC in each address. libsrs2 uses 4 base64 characters (24
    /// bits); we use base32 because relays may change the case of local parts, and 8 characters keep
    /// 40 bits, enough that guessing a valid bounce address is impractical.
    /// </summary>
    public int HashLength { get; init; } = 8;

    /// <summary>
    /// Days a rewritten address stays valid for bounces. 21 is libsrs2's and postsrsd's default: long
    /// enough for delayed DSNs (RFC 5321 4.5.4.1 suggests giving up after 4-5 days) with margin.
    /// </summary>
    public int MaxAgeDays { get; init; } = 21;

    /// <summary>The clock of the day timestamp.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
