namespace Appliance.Acme;

/// <summary>Retry-After (RFC 9110 10.2.3): a number of seconds or an HTTP-date, as a wait from now.</summary>
internal static class AcmeRetryAfter
{
    public static TimeSpan? From(HttpResponseMessage response, DateTimeOffset now)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
            return date <= now ? TimeSpan.Zero : date - now;
        return null;
    }
}
