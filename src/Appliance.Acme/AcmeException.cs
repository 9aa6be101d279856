using System.Net;

namespace Appliance.Acme;

/// <summary>
/// The CA refused a request or reported a failed validation (with its <see cref="Problem"/>), or
/// the exchange could not complete (no problem document: a bound on polling was reached, or the
/// CA answered something that is not ACME). <see cref="RetryAfter"/> is the CA's requested wait
/// (RFC 8555 6.6 rateLimited with Retry-After; 429 and 503 with Retry-After, RFC 9110 10.2.3).
/// </summary>
public sealed class AcmeException : Exception
{
    public AcmeException(string message, AcmeProblem? problem = null, HttpStatusCode? status = null, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, inner)
    {
        Problem = problem;
        Status = status;
        RetryAfter = retryAfter;
    }

    /// <summary>Builds the exception for a CA's error document, its message the problem in one line.</summary>
    public static AcmeException FromProblem(string action, AcmeProblem problem, HttpStatusCode? status = null, TimeSpan? retryAfter = null) =>
        new($"{action}: {problem.Describe()}", problem, status, retryAfter);

    public AcmeProblem? Problem { get; }

    public HttpStatusCode? Status { get; }

    public TimeSpan? RetryAfter { get; }
}
