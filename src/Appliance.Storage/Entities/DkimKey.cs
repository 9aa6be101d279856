namespace Appliance.Storage.Entities;

public enum DkimAlgorithm
{
    /// <summary>RFC 6376 / RFC 8301.</summary>
    RsaSha256 = 0,
    /// <summary>RFC 8463.</summary>
    Ed25519Sha256 = 1,
}

/// <summary>A DKIM signing key of a domain. The private key is stored protected (ASP.NET Core Data Protection).</summary>
public sealed class DkimKey
{
    public int Id { get; set; }
    public int DomainId { get; set; }
    public Domain? Domain { get; set; }

    /// <summary>The s= selector; unique per domain.</summary>
    public required string Selector { get; set; }

    public DkimAlgorithm Algorithm { get; set; }

    /// <summary>The private key as protected by Data Protection; never the plain key.</summary>
    public required string ProtectedPrivateKey { get; set; }

    /// <summary>Base64 public key, the p= value of the DNS record.</summary>
    public required string PublicKey { get; set; }

    public DateTime CreatedUtc { get; set; }

    /// <summary>When the key stopped signing; null while it is active.</summary>
    public DateTime? RetiredUtc { get; set; }
}
