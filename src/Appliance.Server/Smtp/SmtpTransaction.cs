using Appliance.MailAuth.Spf;
using Appliance.Server.Accounts;
using Appliance.Server.Queue;

namespace Appliance.Server.Smtp;

/// <summary>One accepted RCPT.</summary>
/// <param name="Resolution">For a local address: where it goes. Null for a remote recipient of an authenticated user.</param>
internal sealed record AcceptedRecipient(SmtpPath Path, RecipientResolution? Resolution, DsnNotify Notify, string? OriginalRecipient)
{
    public bool IsLocal => Resolution is not null;
}

/// <summary>The envelope of the mail transaction in progress (RFC 5321 3.3): from MAIL to the end of data or RSET.</summary>
internal sealed class SmtpTransaction(SmtpPath reversePath)
{
    public SmtpPath ReversePath { get; } = reversePath;

    /// <summary>SIZE= (RFC 1870), or null.</summary>
    public long? DeclaredSize { get; init; }

    /// <summary>BODY=8BITMIME (RFC 6152).</summary>
    public bool EightBitMime { get; init; }

    /// <summary>SMTPUTF8 (RFC 6531 3.4).</summary>
    public bool SmtpUtf8 { get; init; }

    /// <summary>RET= (RFC 3461 4.3).</summary>
    public DsnReturn Return { get; init; }

    /// <summary>ENVID=, decoded (RFC 3461 4.4).</summary>
    public string? EnvelopeId { get; init; }

    public List<AcceptedRecipient> Recipients { get; } = [];

    /// <summary>Every recipient the client tried, accepted or not, for the delivery log.</summary>
    public List<string> Attempted { get; } = [];

    /// <summary>The last refusal in this transaction (a RCPT, the DATA), for the log of an abandoned transaction.</summary>
    public SmtpReply? LastRefusal { get; set; }

    /// <summary>The transaction's outcome is in the delivery log already.</summary>
    public bool Logged { get; set; }

    /// <summary>The SPF check of the MAIL FROM identity, started at MAIL so it runs while the message arrives (port 25 only).</summary>
    public Task<SpfResult>? Spf { get; set; }

    /// <summary>BDAT state (RFC 3030): the line discipline across chunks, and whether a chunk already failed.</summary>
    public LineDiscipline? Chunks { get; set; }

    public SmtpReply? ChunkFailure { get; set; }
}
