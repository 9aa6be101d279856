// RFC 6376 3.3 (signing algorithms), RFC 8301 3.2 (RSA key sizes), RFC 8463 (ed25519-sha256).
using Appliance.Storage.Entities;

namespace Appliance.Server.Dkim;

/// <summary>How DKIM keys are generated, rotated and cached. Bound by <see cref="DkimServices.AddDkimSigning"/>.</summary>
public sealed class DkimKeyOptions
{
    /// <summary>
    /// Algorithm of generated keys. rsa-sha256 by default: RFC 8463 ed25519-sha256 is not yet verified
    /// by every large receiver, and RFC 8463 3 itself says signers should add an RSA signature alongside it.
    /// </summary>
    public DkimAlgorithm Algorithm { get; set; } = DkimAlgorithm.RsaSha256;

    /// <summary>
    /// RSA modulus size of generated keys: 2048, RFC 8301 3.2 ("Signers SHOULD use RSA keys of at least
    /// 2048 bits"). Its p= value (about 392 characters) needs two 255-octet TXT strings; every
    /// provider we know of accepts that.
    /// </summary>
    public int RsaKeyBits { get; set; } = Appliance.MailAuth.Dkim.DkimSigningKey.DefaultRsaKeyBits;

    /// <summary>
    /// How long a key made by a rotation stays "pending" (published in DNS, not yet signing) before it
    /// takes over from the active key on its own. 72 hours: the 48 hours registrars quote for DNS
    /// changes to propagate, plus a day of margin for the admin to publish the record at all. The
    /// admin can shorten it by retiring the old key, which hands over at once.
    /// </summary>
    public TimeSpan RotationGracePeriod { get; set; } = TimeSpan.FromHours(72);

    /// <summary>
    /// How long the outbound signer waits before trying again to decrypt a key it could not decrypt
    /// (a lost or replaced key ring): one minute, so the error is logged once a minute per domain
    /// rather than per message, and a restored key ring is used within a minute.
    /// </summary>
    public TimeSpan UnreadableKeyRetryInterval { get; set; } = TimeSpan.FromMinutes(1);
}
