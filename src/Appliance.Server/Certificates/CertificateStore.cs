using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Appliance.Server.Configuration;

namespace Appliance.Server.Certificates;

/// <summary>Why the stored server certificate was (or was not) used as it is.</summary>
internal enum CertificateOrigin
{
    /// <summary>Loaded unchanged from {DataDirectory}/certs.</summary>
    Loaded,
    /// <summary>There was none: a self-signed one was made.</summary>
    Created,
    /// <summary>The stored one had expired: a new self-signed one replaced it.</summary>
    ReplacedExpired,
    /// <summary>The stored one does not name the configured host: a new self-signed one replaced it.</summary>
    ReplacedHostnameChanged,
    /// <summary>The stored file could not be read as PKCS#12: a new self-signed one replaced it.</summary>
    ReplacedUnreadable,
}

internal sealed record StoredCertificate(X509Certificate2 Certificate, CertificateOrigin Origin, string Path);

/// <summary>
/// The certificates on disk, PKCS#12 without password, readable by the service user only (a
/// private key is as sensitive as a password file):
/// {DataDirectory}/certs/server.pfx, the self-signed bootstrap certificate;
/// {DataDirectory}/certs/issued.pfx, the certificate from the ACME CA with its chain (the leaf with
/// its key, then the intermediates), so that one file restores everything a handshake sends.
/// {DataDirectory}/acme holds the ACME account key. Start-up is refused while a key file in either
/// directory is readable by anyone but the owner (<see cref="RefuseKeysReadableByOthers"/>).
/// </summary>
internal static class CertificateStore
{
    public const string DirectoryName = "certs";
    public const string FileName = "server.pfx";
    public const string IssuedFileName = "issued.pfx";

    /// <summary>Where the ACME issuer keeps its account key.</summary>
    public const string AcmeDirectoryName = "acme";

    /// <summary>Owner read/write only: like Postfix's and Dovecot's documented key file mode 0600.</summary>
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The self-signed bootstrap certificate's file.</summary>
    public static string PathFor(string dataPath) => Path.Combine(dataPath, DirectoryName, FileName);

    /// <summary>The issued (ACME) certificate's file.</summary>
    public static string IssuedPathFor(string dataPath) => Path.Combine(dataPath, DirectoryName, IssuedFileName);

    /// <summary>
    /// Loads the stored certificate, or makes (and stores) a self-signed one when there is none,
    /// when it has expired, or when it does not cover <paramref name="hostname"/>.
    /// </summary>
    public static StoredCertificate LoadOrCreate(string dataPath, string hostname, DateTimeOffset now)
    {
        string path = PathFor(dataPath);
        CertificateOrigin origin = CertificateOrigin.Created;
        if (File.Exists(path))
        {
            X509Certificate2? stored = TryLoad(path);
            if (stored is null)
            {
                origin = CertificateOrigin.ReplacedUnreadable;
            }
            else if (now.UtcDateTime >= stored.NotAfter.ToUniversalTime() || now.UtcDateTime < stored.NotBefore.ToUniversalTime())
            {
                origin = CertificateOrigin.ReplacedExpired;
                stored.Dispose();
            }
            else if (!CertificateNames.Covers(stored, hostname))
            {
                origin = CertificateOrigin.ReplacedHostnameChanged;
                stored.Dispose();
            }
            else
            {
                return new StoredCertificate(stored, CertificateOrigin.Loaded, path);
            }
        }

        byte[] pfx;
        using (var created = SelfSignedCertificate.Create(hostname, now))
            pfx = created.Export(X509ContentType.Pkcs12);
        WritePrivateFile(path, pfx);
        // Reload from the bytes we stored, so the first start uses exactly what later starts load.
        return new StoredCertificate(X509CertificateLoader.LoadPkcs12(pfx, password: null), origin, path);
    }

    private static X509Certificate2? TryLoad(string path)
    {
        try
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
            if (certificate.HasPrivateKey)
                return certificate;
            certificate.Dispose();
            return null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// Stores an issued certificate as PKCS#12: the leaf with its private key, then the chain. The
    /// next start loads it back with <see cref="LoadIssued"/>.
    /// </summary>
    public static void SaveIssued(string dataPath, IssuedCertificate issued)
    {
        var bundle = new X509Certificate2Collection { issued.Certificate };
        bundle.AddRange(issued.Chain);
        WritePrivateFile(IssuedPathFor(dataPath), bundle.Export(X509ContentType.Pkcs12)!);
    }

    /// <summary>
    /// The stored issued certificate, or null when there is none.
    /// </summary>
    /// <exception cref="CryptographicException">The file is not PKCS#12 or holds no certificate with a private key.</exception>
    public static IssuedCertificate? LoadIssued(string dataPath)
    {
        string path = IssuedPathFor(dataPath);
        if (!File.Exists(path))
            return null;
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password: null);
        var leaf = all.FirstOrDefault(certificate => certificate.HasPrivateKey)
            ?? throw new CryptographicException($"{path} holds no certificate with its private key.");
        var chain = new X509Certificate2Collection();
        // Nearest issuer first, as IssuedCertificate promises: follow issuer names up from the leaf
        // rather than trusting the order the PKCS#12 bags came back in.
        var rest = all.Where(certificate => !ReferenceEquals(certificate, leaf)).ToList();
        var current = leaf;
        while (rest.FirstOrDefault(candidate => candidate.SubjectName.RawData.AsSpan().SequenceEqual(current.IssuerName.RawData)) is { } issuer)
        {
            chain.Add(issuer);
            rest.Remove(issuer);
            current = issuer;
        }
        chain.AddRange(rest.ToArray());
        return new IssuedCertificate(leaf, chain);
    }

    /// <summary>
    /// Refuses to go on while a private key file under {DataDirectory}/certs or {DataDirectory}/acme
    /// can be read (or replaced) by the group or by others. It is not silently tightened: a key that
    /// was readable may already have been copied, and the administrator should know (and then
    /// replace it). Only the file's own mode is judged, as OpenSSH does for its private keys.
    /// </summary>
    /// <exception cref="ApplianceConfigurationException">Names the first such file and the chmod that fixes it.</exception>
    public static void RefuseKeysReadableByOthers(string dataPath)
    {
        if (OperatingSystem.IsWindows())
            return;
        const UnixFileMode openToOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        foreach (string directory in new[] { DirectoryName, AcmeDirectoryName }.Select(name => Path.Combine(dataPath, name)))
        {
            if (!Directory.Exists(directory))
                continue;
            foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if ((File.GetUnixFileMode(file) & openToOthers) != 0 && HoldsPrivateKey(file))
                    throw new ApplianceConfigurationException(
                        $"The private key file {file} is readable or writable by users other than its owner. " +
                        $"Run: chmod 600 '{file}' (and consider replacing the key, since others could read it).");
            }
        }
    }

    /// <summary>
    /// PKCS#12, .key and .jwk files by name, and our own temporary files (a key being written, see
    /// <see cref="WritePrivateFile"/>); any other file when it holds a PEM private key.
    /// </summary>
    private static bool HoldsPrivateKey(string file)
    {
        string extension = Path.GetExtension(file);
        if (extension is ".pfx" or ".p12" or ".key" or ".jwk" or ".tmp")
            return true;
        // The PEM label of every private key form ends so (RFC 7468 10 and 11, and the legacy
        // "RSA PRIVATE KEY"/"EC PRIVATE KEY"); the first block of a small file is enough to tell.
        var buffer = new byte[MaxPemProbeBytes];
        int read;
        using (var stream = File.OpenRead(file))
            read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return Encoding.ASCII.GetString(buffer, 0, read).Contains("PRIVATE KEY-----", StringComparison.Ordinal);
    }

    /// <summary>A PEM key with a chain in front of it still has its key label in the first 64 KB.</summary>
    private const int MaxPemProbeBytes = 64 * 1024;

    /// <summary>
    /// Writes a file only the owner can read (for keys and certificates), creating the directory
    /// 0700 when missing.
    /// </summary>
    public static void WritePrivateFile(string path, ReadOnlySpan<byte> contents)
    {
        string directory = Path.GetDirectoryName(path)!;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, DirectoryMode);

        // Written beside and renamed over: a crash never leaves a half-written key, and the file
        // is created with mode 0600 rather than chmod-ed afterwards (no window where it is readable).
        string temporary = path + ".tmp";
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = PrivateFileMode;
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(contents);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }
}
