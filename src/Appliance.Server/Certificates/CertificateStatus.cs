namespace Appliance.Server.Certificates;

/// <summary>One served certificate as the admin dashboard shows it.</summary>
/// <param name="Names">The SAN's DNS names.</param>
/// <param name="LastAttempt">When the renewal last asked the CA for this certificate's successor (null: never, or renewal is off).</param>
/// <param name="LastError">Why that attempt failed; null after a success.</param>
/// <param name="NextAttempt">When the CA will be asked next: renewal time, or the retry after a failure.</param>
public sealed record CertificateReport(
    IReadOnlyList<string> Names,
    string Subject,
    string Issuer,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    CertificateSource Source,
    string Thumbprint,
    DateTimeOffset? LastAttempt,
    string? LastError,
    DateTimeOffset? NextAttempt);

/// <summary>
/// What the certificates are and how their renewal goes, for the admin dashboard: the served
/// certificates from <see cref="ServerCertificateProvider"/>, and the renewal's last attempt, last
/// error, next attempt and the names it left out (with why) from <see cref="CertificateManager"/>.
/// </summary>
internal sealed class CertificateStatus(ServerCertificateProvider certificates)
{
    private sealed record RenewalState(
        bool Enabled,
        CertificateNamePlan? Plan,
        DateTimeOffset? LastAttempt,
        string? LastError,
        DateTimeOffset? NextAttempt,
        int ConsecutiveFailures);

    private readonly Lock _lock = new();
    private RenewalState _renewal = new(false, null, null, null, null, 0);

    /// <summary>True when ACME renewal runs (Appliance:Acme:Enabled and the manager started).</summary>
    public bool RenewalEnabled => Renewal.Enabled;

    /// <summary>Failures since the last success: the retry backoff's step.</summary>
    public int ConsecutiveFailures => Renewal.ConsecutiveFailures;

    /// <summary>The names last planned for the order; empty before the first plan.</summary>
    public IReadOnlyList<string> PlannedNames => Renewal.Plan?.Names ?? [];

    /// <summary>Hosted-domain names not ordered, each with why.</summary>
    public IReadOnlyList<LeftOutName> LeftOutNames => Renewal.Plan?.LeftOut ?? [];

    /// <summary>
    /// Every served certificate, the issued one first. The renewal's attempt times and error are on
    /// the certificate it is replacing: the issued one, or the self-signed one before the first issuance.
    /// </summary>
    public IReadOnlyList<CertificateReport> Certificates
    {
        get
        {
            if (!certificates.IsLoaded)
                return [];
            var renewal = Renewal;
            var served = certificates.All;
            var renewed = served.FirstOrDefault(certificate => certificate.Source == CertificateSource.Acme) ?? served[^1];
            return served.Select(certificate => new CertificateReport(
                certificate.Names,
                certificate.Certificate.Subject,
                certificate.Certificate.Issuer,
                certificate.NotBefore,
                certificate.NotAfter,
                certificate.Source,
                certificate.Certificate.Thumbprint,
                renewal.Enabled && certificate == renewed ? renewal.LastAttempt : null,
                renewal.Enabled && certificate == renewed ? renewal.LastError : null,
                renewal.Enabled && certificate == renewed ? renewal.NextAttempt : null)).ToList();
        }
    }

    private RenewalState Renewal
    {
        get
        {
            lock (_lock)
                return _renewal;
        }
    }

    internal void RecordEnabled() => Update(state => state with { Enabled = true });

    internal void RecordPlan(CertificateNamePlan plan) => Update(state => state with { Plan = plan });

    internal void RecordNextAttempt(DateTimeOffset next) => Update(state => state with { NextAttempt = next });

    internal void RecordAttempt(DateTimeOffset at) => Update(state => state with { LastAttempt = at });

    internal void RecordSuccess(DateTimeOffset next) =>
        Update(state => state with { LastError = null, NextAttempt = next, ConsecutiveFailures = 0 });

    internal void RecordFailure(string error, DateTimeOffset retryAt, int consecutiveFailures) =>
        Update(state => state with { LastError = error, NextAttempt = retryAt, ConsecutiveFailures = consecutiveFailures });

    private void Update(Func<RenewalState, RenewalState> change)
    {
        lock (_lock)
            _renewal = change(_renewal);
    }
}
