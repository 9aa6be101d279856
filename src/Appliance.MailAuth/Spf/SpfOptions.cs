// RFC 7208 (SPF) section 4.6.4 (DNS lookup limits), 7.3 (the r and t macro letters).
namespace Appliance.MailAuth.Spf;

/// <summary>Limits and environment of an <see cref="SpfEvaluator"/>. The defaults are the RFC's.</summary>
public sealed class SpfOptions
{
    public static SpfOptions Default { get; } = new();

    /// <summary>
    /// Terms that cause DNS queries (include, a, mx, ptr, exists, redirect) per check, counted over
    /// the whole include/redirect tree. RFC 7208 4.6.4: "MUST NOT exceed 10"; over it is permerror.
    /// </summary>
    public int MaxDnsLookups { get; init; } = 10;

    /// <summary>
    /// Lookups that answer NXDOMAIN or no records ("void lookups"). RFC 7208 4.6.4: "SHOULD limit
    /// void lookups to two ... a default of two is RECOMMENDED"; over it is permerror.
    /// </summary>
    public int MaxVoidLookups { get; init; } = 2;

    /// <summary>MX records one "mx" mechanism may look up addresses for. RFC 7208 4.6.4: more than 10 is permerror.</summary>
    public int MaxMxNames { get; init; } = 10;

    /// <summary>PTR names one "ptr" mechanism or %{p} macro validates. RFC 7208 4.6.4: the first 10 are used, the rest ignored.</summary>
    public int MaxPtrNames { get; init; } = 10;

    /// <summary>
    /// Wall-clock time one check may take. RFC 7208 4.6.4: "SHOULD impose a limit on the maximum amount
    /// of elapsed time to evaluate check_host() ... at least 20 seconds"; over it the result is temperror.
    /// </summary>
    public TimeSpan MaxEvaluationTime { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The %{r} macro (RFC 7208 7.3): the domain of the host doing the check; "unknown" when not set.</summary>
    public string? ReceivingDomain { get; init; }

    /// <summary>The clock of the %{t} macro (RFC 7208 7.3).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
