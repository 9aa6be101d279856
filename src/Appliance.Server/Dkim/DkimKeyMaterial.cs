// RFC 6376 3.1 (selectors), 3.6.1 (key record), 3.6.2.1 (record name); RFC 8301 3.2; RFC 8463 4;
// RFC 5958 (PKCS#8, the form the private key is protected in).
using System.Globalization;
using System.Security.Cryptography;
using Appliance.MailAuth.Dkim;
using Appliance.Server.Security;
using Appliance.Storage.Entities;
using StoredAlgorithm = Appliance.Storage.Entities.DkimAlgorithm;

namespace Appliance.Server.Dkim;

/// <summary>Making, opening and describing stored DKIM keys; shared by <see cref="DkimKeyService"/> and the add-domain path.</summary>
internal static class DkimKeyMaterial
{
    private const string Pkcs8Label = "PRIVATE KEY";

    /// <summary>
    /// A new key for a domain, private part protected, not yet saved. The key is generated here, in
    /// memory; only the Data Protection ciphertext of its PKCS#8 form leaves this method.
    /// </summary>
    /// <param name="takenSelectors">Selectors the domain has used (retired ones too): a selector is never reused.</param>
    public static DkimKey Create(IReadOnlyCollection<string> takenSelectors, DkimKeyOptions options, SecretProtector protector, DateTime nowUtc)
    {
        using DkimSigningKey key = options.Algorithm switch
        {
            StoredAlgorithm.RsaSha256 => DkimSigningKey.GenerateRsa(options.RsaKeyBits),
            StoredAlgorithm.Ed25519Sha256 => DkimSigningKey.GenerateEd25519(),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Algorithm, "Unknown DKIM algorithm."),
        };
        byte[] pkcs8 = PemToDer(key.ExportPem());
        try
        {
            return new DkimKey
            {
                Selector = NewSelector(options.Algorithm, nowUtc, takenSelectors),
                Algorithm = options.Algorithm,
                ProtectedPrivateKey = protector.ProtectDkimPrivateKey(pkcs8),
                PublicKey = Convert.ToBase64String(key.PublicKey.Span),
                CreatedUtc = nowUtc,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>The usable private key of a stored key. The caller disposes it.</summary>
    /// <exception cref="CryptographicException">The key ring that protected it is gone or the value was altered.</exception>
    public static DkimSigningKey Open(DkimKey stored, SecretProtector protector)
    {
        byte[] pkcs8 = protector.UnprotectDkimPrivateKey(stored.ProtectedPrivateKey);
        try
        {
            return DkimSigningKey.ImportPem(PemEncoding.WriteString(Pkcs8Label, pkcs8));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>RFC 6376 3.6.2.1: the key record lives at <c>selector._domainkey.domain</c>.</summary>
    public static string RecordName(string selector, string domain) => $"{selector}._domainkey.{domain}";

    /// <summary>RFC 6376 3.6.1 (k=rsa) and RFC 8463 4 (k=ed25519): the same text DkimSigningKey.DnsRecordValue gives, from the stored public key.</summary>
    public static string RecordValue(StoredAlgorithm algorithm, string publicKey) =>
        $"v=DKIM1; k={(algorithm == StoredAlgorithm.Ed25519Sha256 ? "ed25519" : "rsa")}; p={publicKey}";

    public static DkimKeyInfo Describe(string domain, DkimKey key, DkimKeyState state, DateTime? activatesUtc)
    {
        string value = RecordValue(key.Algorithm, key.PublicKey);
        return new DkimKeyInfo(domain, key.Selector, key.Algorithm, state, key.CreatedUtc, key.RetiredUtc, activatesUtc,
            RecordName(key.Selector, domain), value, DkimSigningKey.SplitTxtValue(value));
    }

    /// <summary>
    /// Selector scheme: a letter for the algorithm ("r" rsa-sha256, "e" ed25519-sha256) and the UTC
    /// creation date, e.g. "r20261121"; a second key of the same algorithm on the same day gets
    /// "-2", "-3" .... Why: the date tells the admin at a glance how old a published key is and
    /// which record is the newer one during a rotation; the letter
    /// keeps an RSA and an Ed25519 key made the same day apart, so both can be published side by
    /// side (RFC 8463 3); starting with a letter keeps the label from looking like a number. Only
    /// letters, digits and "-": a valid sub-domain label (RFC 6376 3.1). Never reused for a domain,
    /// so an old signature can never be checked against a different key.
    /// </summary>
    public static string NewSelector(StoredAlgorithm algorithm, DateTime nowUtc, IReadOnlyCollection<string> takenSelectors)
    {
        string stem = (algorithm == StoredAlgorithm.Ed25519Sha256 ? "e" : "r") + nowUtc.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        string selector = stem;
        for (int n = 2; takenSelectors.Contains(selector, StringComparer.OrdinalIgnoreCase); n++)
        {
            selector = stem + "-" + n.ToString(CultureInfo.InvariantCulture);
        }
        return selector;
    }

    private static byte[] PemToDer(string pem)
    {
        PemFields fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
