namespace Appliance.Server.Queue;

/// <summary>NOTIFY= of RFC 3461 section 4.1. Default (no NOTIFY given) means Failure and Delay.</summary>
[Flags]
public enum DsnNotify
{
    Default = 0,
    Never = 1,
    Success = 2,
    Failure = 4,
    Delay = 8,
}

/// <summary>RET= of RFC 3461 section 4.3: what a failure DSN carries of the original.</summary>
public enum DsnReturn
{
    /// <summary>Not given: we return the headers only (RFC 3461 4.3 leaves it to the MTA).</summary>
    Default,
    Full,
    Headers,
}

/// <param name="Address">The forward path as it will be sent in RCPT TO (ASCII or UTF-8 with SMTPUTF8).</param>
/// <param name="OriginalRecipient">ORCPT= of RFC 3461 4.2, already decoded ("rfc822;user@example.org"), or null.</param>
public sealed record OutboundRecipient(string Address, DsnNotify Notify = DsnNotify.Default, string? OriginalRecipient = null);

/// <summary>The envelope of a message handed to the outbound queue.</summary>
/// <param name="ReversePath">MAIL FROM; the empty string is the null sender (a DSN or auto-reply: never bounced).</param>
/// <param name="EnvelopeId">ENVID= of RFC 3461 4.4, decoded, or null.</param>
/// <param name="RequiresSmtpUtf8">The message or envelope needs SMTPUTF8 (RFC 6531); a peer without it gets no attempt and the recipient bounces.</param>
/// <param name="EightBitMime">The body is 8BITMIME (RFC 6152) rather than 7BIT.</param>
/// <param name="Origin">Who queued it, for the log and the queue view: "submission user@example.org", "forward", "dsn", "sendmail".</param>
public sealed record OutboundEnvelope(
    string ReversePath,
    IReadOnlyList<OutboundRecipient> Recipients,
    string? EnvelopeId = null,
    DsnReturn Return = DsnReturn.Default,
    bool RequiresSmtpUtf8 = false,
    bool EightBitMime = false,
    string Origin = "");

/// <summary>
/// The durable outbound spool. The SMTP session, webmail and alias forwarding hand messages for
/// remote recipients here and reply 250 only after <see cref="EnqueueAsync"/> returns.
/// </summary>
public interface IOutboundQueue
{
    /// <summary>
    /// Stores the message and one queue row per recipient durably (file fsynced, directory
    /// fsynced, row committed) and returns the queue id. The message is sent byte for byte as
    /// given (already DKIM-signed when it should be), CRLF line endings, not dot-stuffed.
    /// </summary>
    Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default);
}
