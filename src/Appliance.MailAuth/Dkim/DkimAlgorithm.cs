// RFC 6376 3.3 (signing algorithms), RFC 8301 (rsa-sha1 withdrawn, key sizes), RFC 8463 (ed25519-sha256).
namespace Appliance.MailAuth.Dkim;

/// <summary>The signing algorithms we sign with and accept (a= tag).</summary>
public enum DkimAlgorithm
{
    /// <summary>rsa-sha256: RFC 6376 3.3.1, keys of at least 1024 bits (RFC 8301 3.2).</summary>
    RsaSha256,
    /// <summary>ed25519-sha256: RFC 8463 3.</summary>
    Ed25519Sha256,
}

internal static class DkimAlgorithmNames
{
    public static string Name(DkimAlgorithm algorithm) => algorithm switch
    {
        DkimAlgorithm.RsaSha256 => "rsa-sha256",
        DkimAlgorithm.Ed25519Sha256 => "ed25519-sha256",
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    /// <summary>The k= value of the key record (RFC 6376 3.6.1, RFC 8463 4).</summary>
    public static string KeyType(DkimAlgorithm algorithm) => algorithm == DkimAlgorithm.RsaSha256 ? "rsa" : "ed25519";
}
