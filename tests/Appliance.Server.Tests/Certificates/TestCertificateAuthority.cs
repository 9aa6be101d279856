using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Appliance.Server.Certificates;

namespace Appliance.Server.Tests.Certificates;

/// <summary>
/// A local CA standing in for ACME: a root, an intermediate under it, and leaves issued by the
/// intermediate with the intermediate as their chain, as Let's Encrypt returns them. ECDSA P-256
/// keys, because they are made in microseconds.
/// </summary>
internal sealed class TestCertificateAuthority : ICertificateIssuer, IDisposable
{
    private const string ServerAuthenticationOid = "1.3.6.1.5.5.7.3.1";

    private readonly TimeProvider _time;
    private readonly Queue<Exception> _failures = new();
    private readonly List<IReadOnlyList<string>> _requests = [];

    public TestCertificateAuthority(TimeProvider time, TimeSpan? lifetime = null)
    {
        _time = time;
        Lifetime = lifetime ?? TimeSpan.FromDays(90);
        var from = time.GetUtcNow().AddYears(-1);
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("CN=Appliance Test Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        Root = rootRequest.CreateSelfSigned(from, from.AddYears(20));

        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var intermediateRequest = new CertificateRequest("CN=Appliance Test Intermediate", intermediateKey, HashAlgorithmName.SHA256);
        intermediateRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        intermediateRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        intermediateRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(intermediateRequest.PublicKey, false));
        intermediateRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Root, true, false));
        using var intermediatePublic = intermediateRequest.Create(Root, from, from.AddYears(10), [1]);
        Intermediate = intermediatePublic.CopyWithPrivateKey(intermediateKey);
    }

    public X509Certificate2 Root { get; }

    public X509Certificate2 Intermediate { get; }

    /// <summary>NotAfter minus NotBefore of every leaf.</summary>
    public TimeSpan Lifetime { get; set; }

    /// <summary>The names of every IssueAsync call, failed ones included, in order.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Requests
    {
        get
        {
            lock (_requests)
                return [.. _requests];
        }
    }

    /// <summary>The certificates issued so far, in order.</summary>
    public List<IssuedCertificate> Issued { get; } = [];

    /// <summary>The next IssueAsync calls throw these, in order, before issuing again.</summary>
    public void FailNext(Exception failure)
    {
        lock (_failures)
            _failures.Enqueue(failure);
    }

    public Task<IssuedCertificate> IssueAsync(IReadOnlyList<string> dnsNames, CancellationToken cancellationToken = default)
    {
        lock (_requests)
            _requests.Add([.. dnsNames]);
        lock (_failures)
        {
            if (_failures.TryDequeue(out var failure))
                return Task.FromException<IssuedCertificate>(failure);
        }
        var issued = Issue(dnsNames, _time.GetUtcNow());
        lock (Issued)
            Issued.Add(issued);
        return Task.FromResult(issued);
    }

    /// <summary>A leaf for <paramref name="dnsNames"/> valid from <paramref name="notBefore"/> for <see cref="Lifetime"/>.</summary>
    public IssuedCertificate Issue(IReadOnlyList<string> dnsNames, DateTimeOffset notBefore)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsNames[0], key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthenticationOid)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate, true, false));
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames)
            san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var leaf = request.Create(Intermediate, notBefore, notBefore + Lifetime, serial);
        // Through PKCS#12, as a stored certificate would be: an exportable key the store can save.
        var withKey = leaf.CopyWithPrivateKey(key);
        var reloaded = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null, X509KeyStorageFlags.Exportable);
        withKey.Dispose();
        return new IssuedCertificate(reloaded, [X509CertificateLoader.LoadCertificate(Intermediate.RawData)]);
    }

    public void Dispose()
    {
        Root.Dispose();
        Intermediate.Dispose();
    }
}
