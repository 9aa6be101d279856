using System.Security.Cryptography;

namespace Appliance.Server.Certificates;

/// <summary>
/// The ACME account key on disk: {DataDirectory}/acme/account-key.pem, ECDSA P-256 (ES256, the
/// algorithm RFC 8555 6.2 requires every server to accept) as PKCS#8 PEM, readable by the service
/// user only. The key is the account (RFC 8555 7.3.1 finds it by key), so it is made once and kept.
/// </summary>
internal static class AcmeAccountKey
{
    public const string DirectoryName = "acme";
    public const string FileName = "account-key.pem";

    /// <summary>Owner read/write only, as <see cref="CertificateStore.WritePrivateFile"/> creates it.</summary>
    public const UnixFileMode FileMode = CertificateStore.PrivateFileMode;

    /// <summary>Any of these on the key file means someone besides the service user can read or replace the account.</summary>
    private const UnixFileMode ForeignAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    public static string PathFor(string dataPath) => Path.Combine(dataPath, DirectoryName, FileName);

    /// <summary>
    /// Loads the key, or creates and stores one when there is none. A key file that group or
    /// others may read or write is refused rather than silently tightened: its key may already
    /// have leaked, and the administrator should decide whether to replace it.
    /// </summary>
    /// <exception cref="CertificateIssuanceException">The file is exposed, unreadable, or not a P-256 key.</exception>
    public static ECDsa LoadOrCreate(string dataPath)
    {
        string path = PathFor(dataPath);
        if (File.Exists(path))
            return Load(path);

        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            // Created 0600 in a 0700 directory, flushed and renamed into place: never readable by
            // others, not even for a moment, and a crash leaves no half-written key.
            CertificateStore.WritePrivateFile(path, System.Text.Encoding.ASCII.GetBytes(key.ExportPkcs8PrivateKeyPem() + "\n"));
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static ECDsa Load(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & ForeignAccess) != 0)
                throw new CertificateIssuanceException(
                    $"The ACME account key {path} is readable or writable by other users (mode {Octal(mode)}); it must be 0600. " +
                    $"If nobody else could have copied it, run: chmod 600 {path}. Otherwise delete it, and a new account is made on the next issuance.");
        }
        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(File.ReadAllText(path));
            if (key.ExportParameters(false).Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value)
                throw new CryptographicException("not a P-256 key");
            return key;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new CertificateIssuanceException(
                $"The ACME account key {path} is not an ECDSA P-256 private key in PEM ({e.Message}). Delete it, and a new account is made on the next issuance.", inner: e);
        }
    }

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);
}
