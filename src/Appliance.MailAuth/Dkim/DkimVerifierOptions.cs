// RFC 6376 6.1 and 8.4 (limits on verification work), RFC 8301 3.2 (RSA key sizes).
using Appliance.Mime;

namespace Appliance.MailAuth.Dkim;

public sealed class DkimVerifierOptions
{
    /// <summary>
    /// Signatures verified per message; later ones are reported Neutral. RFC 6376 6.1 lets verifiers
    /// limit the number of signatures they try to validate, against denial of service (8.4). Mail
    /// typically carries one to three (author, ESP, mailing list); 5 leaves margin and bounds the DNS
    /// lookups a message can cause, as SPF's 10-lookup limit does (RFC 7208 4.6.4).
    /// </summary>
    public int MaxSignatures { get; init; } = 5;

    /// <summary>RFC 8301 3.2: "Verifiers MUST NOT consider signatures using RSA keys of less than 1024 bits as valid".</summary>
    public int MinRsaKeyBits { get; init; } = 1024;

    /// <summary>
    /// Larger RSA keys are refused to bound verification cost (RFC 6376 8.4). RFC 8301 3.2 requires
    /// verifiers to handle up to 4096 bits; 8192 is twice that, and keys that large are not seen in practice.
    /// </summary>
    public int MaxRsaKeyBits { get; init; } = 8192;

    /// <summary>
    /// Limits of the header parse (HeaderLimits.Default: Postfix's 100 KB header, 1000 fields). A message
    /// past them is not verified: fields and the body start would be unknown.
    /// </summary>
    public HeaderLimits HeaderLimits { get; init; } = HeaderLimits.Default;

    /// <summary>The clock for x= (expiry).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
