using System.Net;

namespace Appliance.Acme;

/// <summary>A successful answer of the CA, read in full: status, the headers ACME uses, and the body.</summary>
internal sealed record AcmeResponse(HttpStatusCode Status, Uri? Location, TimeSpan? RetryAfter, string? ContentType, byte[] Body);
