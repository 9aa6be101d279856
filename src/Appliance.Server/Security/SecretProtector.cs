using Microsoft.AspNetCore.DataProtection;

namespace Appliance.Server.Security;

/// <summary>
/// Encrypts secrets the configuration database holds (DKIM private keys now; smarthost passwords
/// later) with ASP.NET Core Data Protection. The key ring lives in {DataDirectory}/keys, outside the
/// database, so a leaked database dump alone reveals no private key.
/// </summary>
public sealed class SecretProtector(IDataProtectionProvider provider)
{
    /// <summary>Purpose strings isolate each kind of secret: a DKIM ciphertext cannot be unprotected as anything else.</summary>
    public const string DkimPrivateKeyPurpose = "Appliance.DkimKey.PrivateKey.v1";

    public const string TotpSecretPurpose = "Appliance.Totp.Secret.v1";

    private readonly IDataProtector _dkim = provider.CreateProtector(DkimPrivateKeyPurpose);
    private readonly IDataProtector _totp = provider.CreateProtector(TotpSecretPurpose);

    public string ProtectTotpSecret(ReadOnlySpan<byte> secret) => Convert.ToBase64String(_totp.Protect(secret.ToArray()));

    /// <exception cref="System.Security.Cryptography.CryptographicException">The key ring that protected it is gone or the value was altered.</exception>
    public byte[] UnprotectTotpSecret(string protectedSecret) => _totp.Unprotect(Convert.FromBase64String(protectedSecret));

    public string ProtectDkimPrivateKey(ReadOnlySpan<byte> pkcs8PrivateKey) =>
        Convert.ToBase64String(_dkim.Protect(pkcs8PrivateKey.ToArray()));

    /// <exception cref="System.Security.Cryptography.CryptographicException">The key ring that protected it is gone or the value was altered.</exception>
    public byte[] UnprotectDkimPrivateKey(string protectedKey) =>
        _dkim.Unprotect(Convert.FromBase64String(protectedKey));
}
