using Appliance.Server.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Certificates;

/// <summary>
/// Keeps a CA-issued certificate in place (runs when Appliance:Acme:Enabled): plans the names
/// (<see cref="CertificateNamePlanner"/>), orders them through <see cref="ICertificateIssuer"/>
/// when there is no issued certificate yet, when the names changed, or when
/// <see cref="AcmeOptions.RenewalFraction"/> of its lifetime has passed; stores the result
/// ({DataDirectory}/certs/issued.pfx, 0600) and installs it in <see cref="ServerCertificateProvider"/>,
/// which serves it from the next handshake on. Failures are retried with doubling waits
/// (<see cref="AcmeOptions.RetryInitialDelay"/> up to <see cref="AcmeOptions.RetryMaxDelay"/>),
/// never sooner than the CA's Retry-After. All waiting is on <see cref="TimeProvider"/> timers.
/// </summary>
internal sealed partial class CertificateManager : BackgroundService
{
    /// <summary>Task.Delay's longest single wait is uint.MaxValue - 1 milliseconds (about 49.7 days); longer waits are chained.</summary>
    private static readonly TimeSpan MaxSingleWait = TimeSpan.FromDays(49);

    private readonly ApplianceOptions _options;
    private readonly AcmeOptions _acme;
    private readonly ICertificateIssuer _issuer;
    private readonly CertificateNamePlanner _planner;
    private readonly ServerCertificateProvider _certificates;
    private readonly CertificateStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger<CertificateManager> _logger;
    private readonly IHostApplicationLifetime? _lifetime;

    private int _consecutiveFailures;
    private DateTimeOffset? _retryAt;
    private IReadOnlyList<string> _failedNames = [];

    /// <param name="lifetime">When given, the first order waits until the host has started: the CA's HTTP-01 validation needs the HTTP listener up.</param>
    public CertificateManager(
        ApplianceOptions options,
        ICertificateIssuer issuer,
        CertificateNamePlanner planner,
        ServerCertificateProvider certificates,
        CertificateStatus status,
        TimeProvider time,
        ILogger<CertificateManager> logger,
        IHostApplicationLifetime? lifetime = null)
    {
        _options = options;
        _acme = options.Acme;
        _issuer = issuer;
        _planner = planner;
        _certificates = certificates;
        _status = status;
        _time = time;
        _logger = logger;
        _lifetime = lifetime;
        _status.RecordEnabled();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            if (_lifetime is not null)
                await WhenStartedAsync(_lifetime, stoppingToken).ConfigureAwait(false);
            while (true)
            {
                DateTimeOffset wakeAt;
                try
                {
                    wakeAt = await CheckAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Planning failed (the configuration database, say): the served certificate
                    // stays; the renewal must not end the process, so it looks again later.
                    wakeAt = _time.GetUtcNow() + _acme.RetryInitialDelay;
                    LogCheckFailed(wakeAt.UtcDateTime, e);
                }
                await WaitUntilAsync(wakeAt, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// One round: plans the names, orders when due and allowed by the backoff, and returns when to
    /// look again (the renewal or retry time, or the next name check if that is sooner).
    /// </summary>
    internal async Task<DateTimeOffset> CheckAsync(CancellationToken cancellationToken)
    {
        var issued = _certificates.Issued;
        var plan = await _planner.PlanAsync(issued?.Names ?? [], cancellationToken).ConfigureAwait(false);
        _status.RecordPlan(plan);
        foreach (var name in plan.LeftOut)
            LogNameLeftOut(name.Name, name.Reason);

        var now = _time.GetUtcNow();
        var nextCheck = now + _acme.NameCheckInterval;
        var reason = WhyOrder(issued, plan, now);
        if (reason is null)
        {
            var renewAt = RenewalTime(issued!);
            _status.RecordNextAttempt(renewAt);
            return Earlier(renewAt, nextCheck);
        }

        if (!plan.SameNamesAs(_failedNames))
        {
            // Other names than the ones that failed: a fixed DNS record or a new domain is worth
            // trying at once, and its failures count from the start.
            _consecutiveFailures = 0;
            _retryAt = null;
        }
        if (_retryAt is { } retryAt && now < retryAt)
        {
            _status.RecordNextAttempt(retryAt);
            return Earlier(retryAt, nextCheck);
        }
        return await OrderAsync(plan, reason.Value, cancellationToken).ConfigureAwait(false);
    }

    private async Task<DateTimeOffset> OrderAsync(CertificateNamePlan plan, OrderReason reason, CancellationToken cancellationToken)
    {
        _status.RecordAttempt(_time.GetUtcNow());
        LogOrdering(reason, string.Join(", ", plan.Names));
        try
        {
            var issued = await _issuer.IssueAsync(plan.Names, cancellationToken).ConfigureAwait(false);
            RequireUsable(issued, plan.Names);
            CertificateStore.SaveIssued(_options.DataPath, issued);
            _certificates.Install(issued);

            _consecutiveFailures = 0;
            _retryAt = null;
            _failedNames = [];
            var served = _certificates.Issued!;
            var renewAt = RenewalTime(served);
            _status.RecordSuccess(renewAt);
            LogIssued(served.Certificate.Thumbprint, served.NotAfter.UtcDateTime, renewAt.UtcDateTime);
            return Earlier(renewAt, _time.GetUtcNow() + _acme.NameCheckInterval);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _consecutiveFailures++;
            _failedNames = plan.Names;
            var wait = Backoff(_consecutiveFailures);
            if (e is CertificateIssuanceException { RetryAfter: { } retryAfter } && retryAfter > wait)
                wait = retryAfter;
            var now = _time.GetUtcNow();
            var retryAt = now + wait;
            _retryAt = retryAt;
            // The CA's refusals carry their own words for the admin; anything else is our failure
            // (storing, an unexpected exception) and says what kind it was.
            string error = e is CertificateIssuanceException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            _status.RecordFailure(error, retryAt, _consecutiveFailures);
            LogOrderFailed(_consecutiveFailures, retryAt.UtcDateTime, error, e is CertificateIssuanceException ? null : e);
            return Earlier(retryAt, now + _acme.NameCheckInterval);
        }
    }

    /// <summary>Why a new certificate is needed now, or null while the served one is fine.</summary>
    private OrderReason? WhyOrder(ServedCertificate? issued, CertificateNamePlan plan, DateTimeOffset now)
    {
        if (issued is null)
            return OrderReason.NoIssuedCertificate;
        if (!plan.SameNamesAs(issued.Names))
            return OrderReason.NamesChanged;
        if (now >= RenewalTime(issued))
            return OrderReason.RenewalDue;
        return null;
    }

    /// <summary>NotBefore plus <see cref="AcmeOptions.RenewalFraction"/> of the lifetime.</summary>
    internal DateTimeOffset RenewalTime(ServedCertificate certificate) =>
        certificate.NotBefore + (certificate.NotAfter - certificate.NotBefore) * _acme.RenewalFraction;

    /// <summary>The wait after the <paramref name="failures"/>-th failure in a row: initial, doubled each time, capped.</summary>
    internal TimeSpan Backoff(int failures)
    {
        double factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var wait = TimeSpan.FromTicks((long)Math.Min(_acme.RetryInitialDelay.Ticks * factor, _acme.RetryMaxDelay.Ticks));
        return wait;
    }

    /// <summary>A certificate the CA returned is checked before it replaces a working one.</summary>
    private static void RequireUsable(IssuedCertificate issued, IReadOnlyList<string> names)
    {
        if (!issued.Certificate.HasPrivateKey)
            throw new CertificateIssuanceException("The issued certificate came without its private key.");
        var missing = names.Where(name => !CertificateNames.Covers(issued.Certificate, name)).ToList();
        if (missing.Count > 0)
            throw new CertificateIssuanceException($"The issued certificate does not cover {string.Join(", ", missing)}.");
    }

    private async Task WaitUntilAsync(DateTimeOffset wakeAt, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = wakeAt - _time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
                return;
            await Task.Delay(remaining < MaxSingleWait ? remaining : MaxSingleWait, _time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static Task WhenStartedAsync(IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        return started.Task.WaitAsync(cancellationToken);
    }

    private static DateTimeOffset Earlier(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    internal enum OrderReason
    {
        NoIssuedCertificate,
        NamesChanged,
        RenewalDue,
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Ordering a certificate ({Reason}) for {Names}")]
    private partial void LogOrdering(OrderReason reason, string names);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information,
        Message = "Certificate issued and installed: thumbprint {Thumbprint}, valid until {NotAfter:u}, renewal at {RenewAt:u}")]
    private partial void LogIssued(string thumbprint, DateTime notAfter, DateTime renewAt);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Warning,
        Message = "Certificate order failed ({Failures} in a row); next attempt at {RetryAt:u}: {Error}")]
    private partial void LogOrderFailed(int failures, DateTime retryAt, string error, Exception? exception);

    [LoggerMessage(EventId = 1214, Level = LogLevel.Error, Message = "Certificate renewal check failed; looking again at {RetryAt:u}")]
    private partial void LogCheckFailed(DateTime retryAt, Exception exception);

    [LoggerMessage(EventId = 1213, Level = LogLevel.Debug, Message = "Not ordering a certificate for {Name}: {Reason}")]
    private partial void LogNameLeftOut(string name, string reason);
}
