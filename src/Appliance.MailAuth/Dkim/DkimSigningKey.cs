// RFC 6376 3.6.1 (key record), RFC 8301 3.2 (RSA key sizes), RFC 8463 4 (Ed25519 keys), RFC 5958 /
// RFC 8410 7 (PKCS#8 form of Ed25519 private keys), RFC 1035 3.3.14 (255-octet TXT strings).
using System.Security.Cryptography;

namespace Appliance.MailAuth.Dkim;

/// <summary>
/// A DKIM private key: generated here or imported, with the TXT record value to publish at
/// <c>selector._domainkey.domain</c>.
/// </summary>
public sealed class DkimSigningKey : IDisposable
{
    /// <summary>RFC 8301 3.2: "Signers MUST use RSA keys of at least 1024 bits".</summary>
    public const int MinRsaKeyBits = 1024;

    /// <summary>Generated RSA keys: RFC 8301 3.2 says signers SHOULD use at least 2048 bits.</summary>
    public const int DefaultRsaKeyBits = 2048;

    // RFC 8410 7: PrivateKeyInfo { version 0, AlgorithmIdentifier id-Ed25519 (1.3.101.112), OCTET STRING { OCTET STRING seed } }.
    private static readonly byte[] Ed25519Pkcs8Prefix = Convert.FromHexString("302e020100300506032b657004220420");

    private readonly RSA? rsa;
    private readonly byte[]? ed25519Seed;

    private DkimSigningKey(RSA rsa)
    {
        this.rsa = rsa;
        Algorithm = DkimAlgorithm.RsaSha256;
        PublicKey = rsa.ExportSubjectPublicKeyInfo(); // RFC 6376 3.6.1 p=: the SubjectPublicKeyInfo, base64
    }

    private DkimSigningKey(byte[] seed)
    {
        ed25519Seed = seed;
        Algorithm = DkimAlgorithm.Ed25519Sha256;
        PublicKey = Ed25519.PublicKeyFromSeed(seed); // RFC 8463 4: p= is the bare 32-byte public key
    }

    public DkimAlgorithm Algorithm { get; }

    /// <summary>The p= bytes of the key record.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>The TXT record value for the admin's DNS page: <c>v=DKIM1; k=rsa; p=...</c> (RFC 6376 3.6.1).</summary>
    public string DnsRecordValue => $"v=DKIM1; k={DkimAlgorithmNames.KeyType(Algorithm)}; p={Convert.ToBase64String(PublicKey.Span)}";

    /// <summary>A new RSA key; refuses sizes under 1024 bits (RFC 8301 3.2).</summary>
    public static DkimSigningKey GenerateRsa(int bits = DefaultRsaKeyBits)
    {
        CheckRsaSize(bits);
        return new DkimSigningKey(RSA.Create(bits));
    }

    public static DkimSigningKey GenerateEd25519() => new(RandomNumberGenerator.GetBytes(Ed25519.KeySize));

    /// <summary>Imports a PEM private key: PKCS#8 (RSA or Ed25519) or PKCS#1 "RSA PRIVATE KEY".</summary>
    public static DkimSigningKey ImportPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        PemFields fields = PemEncoding.Find(pem);
        string label = pem[fields.Label];
        byte[] der = Convert.FromBase64String(pem[fields.Base64Data]);
        if (label == "PRIVATE KEY" && der.Length == Ed25519Pkcs8Prefix.Length + Ed25519.KeySize && der.AsSpan().StartsWith(Ed25519Pkcs8Prefix))
        {
            return FromEd25519Seed(der.AsSpan(Ed25519Pkcs8Prefix.Length));
        }
        RSA imported = RSA.Create();
        try
        {
            imported.ImportFromPem(pem);
            CheckRsaSize(imported.KeySize);
            return new DkimSigningKey(imported);
        }
        catch
        {
            imported.Dispose();
            throw;
        }
    }

    /// <summary>An Ed25519 key from its 32-byte private key (RFC 8032 5.1.5 calls it the secret).</summary>
    public static DkimSigningKey FromEd25519Seed(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != Ed25519.KeySize)
        {
            throw new ArgumentException("An Ed25519 private key is 32 bytes.", nameof(seed));
        }
        return new DkimSigningKey(seed.ToArray());
    }

    /// <summary>The private key as PKCS#8 PEM, for storage; <see cref="ImportPem"/> reads it back.</summary>
    public string ExportPem()
    {
        if (rsa is not null)
        {
            return rsa.ExportPkcs8PrivateKeyPem();
        }
        byte[] der = [.. Ed25519Pkcs8Prefix, .. ed25519Seed!];
        return PemEncoding.WriteString("PRIVATE KEY", der);
    }

    /// <summary>
    /// Splits a TXT record value into strings of at most 255 octets (RFC 1035 3.3.14: a
    /// character-string is at most 255 octets; RFC 6376 3.6.2.2: the verifier joins them), for zone files.
    /// </summary>
    public static IReadOnlyList<string> SplitTxtValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        const int maxOctets = 255;
        List<string> parts = [];
        for (int i = 0; i < value.Length; i += maxOctets)
        {
            parts.Add(value.Substring(i, Math.Min(maxOctets, value.Length - i))); // the record value is ASCII
        }
        return parts.Count == 0 ? [""] : parts;
    }

    /// <summary>
    /// The value as zone-file text: the 255-octet strings quoted and space-separated inside
    /// parentheses (RFC 1035 5.1), e.g. <c>( "v=DKIM1; k=rsa; p=MIIB..." "...AQAB" )</c>.
    /// </summary>
    public static string FormatForZoneFile(string value) =>
        "( " + string.Join(" ", SplitTxtValue(value).Select(part => "\"" + part.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"")) + " )";

    internal byte[] SignHash(byte[] headerData)
    {
        if (rsa is not null)
        {
            // RFC 6376 3.3.1: RSASSA-PKCS1-v1_5 over SHA-256 of the header data.
            return rsa.SignData(headerData, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        }
        // RFC 8463 3: PureEdDSA Ed25519 over the SHA-256 hash of the header data.
        return Ed25519.Sign(ed25519Seed, SHA256.HashData(headerData));
    }

    private static void CheckRsaSize(int bits)
    {
        if (bits < MinRsaKeyBits)
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, $"DKIM RSA keys must have at least {MinRsaKeyBits} bits (RFC 8301 3.2).");
        }
    }

    public void Dispose()
    {
        rsa?.Dispose();
        if (ed25519Seed is not null)
        {
            CryptographicOperations.ZeroMemory(ed25519Seed);
        }
    }
}
