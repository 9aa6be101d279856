namespace Appliance.Storage.Entities;

/// <summary>
/// A user's own settings (the webmail's settings page), one row per mailbox at most: a mailbox
/// without a row has the defaults. The display name stays on <see cref="Mailbox"/>.
/// </summary>
public sealed class MailboxSettings
{
    /// <summary>
    /// RFC 1855 2.1.1 asks signatures to be short (no more than 4 lines); this allows ten times
    /// that at 80 columns and then some, and still bounds what every composed message carries.
    /// </summary>
    public const int MaxSignatureLength = 4000;

    /// <summary>
    /// RFC 5322 2.1.1: lines SHOULD stay within 78 characters; a 200-character subject already
    /// folds to three lines, more than any client shows. Same bound as a display name.
    /// </summary>
    public const int MaxVacationSubjectLength = 200;

    /// <summary>
    /// RFC 3834 3.2: responses SHOULD be brief, and (section 2) not more than a few kilobytes to an
    /// unauthenticated address; 8000 characters is a long letter and still a few kilobytes.
    /// </summary>
    public const int MaxVacationTextLength = 8000;

    /// <summary>The mailbox these belong to; also the key (one row per mailbox).</summary>
    public int MailboxId { get; set; }
    public Mailbox? Mailbox { get; set; }

    /// <summary>Plain text the composer appends; empty for none.</summary>
    public string Signature { get; set; } = "";

    public bool VacationEnabled { get; set; }

    /// <summary>First day of replies, inclusive, as a UTC calendar date; null: no start limit.</summary>
    public DateOnly? VacationStartDate { get; set; }

    /// <summary>Last day of replies, inclusive, as a UTC calendar date; null: no end limit.</summary>
    public DateOnly? VacationEndDate { get; set; }

    /// <summary>The reply's subject; null means "Auto: " + the original's (RFC 3834 3.1.5).</summary>
    public string? VacationSubject { get; set; }

    public string VacationText { get; set; } = "";

    /// <summary>RFC 5230 4.1 :days: at most one reply per sender in this many days.</summary>
    public int VacationReplyIntervalDays { get; set; } = 7;

    public DateTime UpdatedUtc { get; set; }
}

/// <summary>
/// That a vacation reply went to a sender (RFC 5230 4.2 previous response tracking): no second
/// reply to the same sender from the same mailbox until the mailbox's interval has passed.
/// </summary>
public sealed class VacationReply
{
    public long Id { get; set; }

    public int MailboxId { get; set; }

    /// <summary>As long as any stored address (RFC 5321 4.5.3.1.3: a path is at most 256 octets).</summary>
    public const int MaxSenderLength = 320;

    /// <summary>The envelope sender replied to, lower-cased; unique per mailbox.</summary>
    public required string Sender { get; set; }

    public DateTime RepliedUtc { get; set; }
}
