using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

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
/// The server certificate on disk: {DataDirectory}/certs/server.pfx, PKCS#12 without password,
/// readable by the service user only (the private key is as sensitive as a password file).
/// </summary>
internal static class CertificateStore
{
    public const string DirectoryName = "certs";
    public const string FileName = "server.pfx";

    /// <summary>Owner read/write only: like Postfix's and Dovecot's documented key file mode 0600.</summary>
    public const UnixFileMode PrivateFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static string PathFor(string dataPath) => Path.Combine(dataPath, DirectoryName, FileName);

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
            else if (!SelfSignedCertificate.Covers(stored, hostname))
            {
                origin = CertificateOrigin.ReplacedHostnameChanged;
                stored.Dispose();
            }
            else
            {
                TightenMode(path);
                return new StoredCertificate(stored, CertificateOrigin.Loaded, path);
            }
        }

        byte[] pfx;
        using (var created = SelfSignedCertificate.Create(hostname, now))
            pfx = created.Export(X509ContentType.Pkcs12);
        Write(path, pfx);
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

    /// <summary>Stores <paramref name="pfx"/> (any private key file) at <paramref name="path"/>: directory 0700, file 0600, atomically. The ACME account key uses it too.</summary>
    internal static void Write(string path, byte[] pfx)
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
            stream.Write(pfx);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>A file copied in by hand may be world-readable; the key must not stay so.</summary>
    private static void TightenMode(string path)
    {
        if (!OperatingSystem.IsWindows() && File.GetUnixFileMode(path) != PrivateFileMode)
            File.SetUnixFileMode(path, PrivateFileMode);
    }
}
