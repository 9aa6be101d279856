using Appliance.Mime;

namespace Appliance.Storage.Mail;

/// <summary>The IMAP system flags (RFC 9051 section 2.3.2) the store keeps per message.</summary>
/// <remarks>\Recent is left out on purpose: IMAP4rev2 (RFC 9051) removed it.</remarks>
[Flags]
public enum MessageFlags
{
    None = 0,
    Seen = 1,
    Answered = 2,
    Flagged = 4,
    Deleted = 8,
    Draft = 16,
}

/// <summary>How <see cref="MailAccount.StoreFlags"/> applies the given flags (IMAP STORE FLAGS, +FLAGS, -FLAGS).</summary>
public enum FlagOperation
{
    Replace,
    Add,
    Remove,
}

/// <summary>SPECIAL-USE attributes of RFC 6154.</summary>
public enum SpecialUse
{
    None = 0,
    Drafts,
    Sent,
    Trash,
    Junk,
    Archive,
}

/// <summary>A mailbox as IMAP LIST/STATUS and the webmail folder list see it.</summary>
/// <param name="Id">Stable numeric id; also names the mailbox directory, never the user's text.</param>
public sealed record MailboxInfo(
    long Id,
    string Name,
    uint UidValidity,
    uint UidNext,
    ulong HighestModSeq,
    bool Subscribed,
    SpecialUse SpecialUse,
    int MessageCount,
    int UnseenCount);

/// <summary>One message's index entry, including the cached summary fields.</summary>
public sealed record MessageInfo(
    uint Uid,
    long Size,
    DateTimeOffset InternalDate,
    MessageFlags Flags,
    IReadOnlyList<string> Keywords,
    ulong ModSeq,
    MessageSummary Summary);

/// <summary>A message's size, flags and file, from <see cref="MailAccount.ListMessageFiles"/>: no cached summary.</summary>
/// <param name="Path">The file as it was named when listed; <see cref="MailAccount.OpenMessage(string, MessageFile)"/> copes with a rename.</param>
public sealed record MessageFile(uint Uid, long Size, MessageFlags Flags, string Path);

/// <summary>Result of an append: what UIDPLUS's APPENDUID response (RFC 4315 section 3) needs.</summary>
public sealed record AppendResult(uint UidValidity, uint Uid, ulong ModSeq);

/// <summary>One source UID and the UID its copy got in the target mailbox.</summary>
public readonly record struct UidMapping(uint SourceUid, uint TargetUid);

/// <summary>Result of copy or move: what UIDPLUS's COPYUID response (RFC 4315 section 3) needs.</summary>
public sealed record CopyResult(uint TargetUidValidity, IReadOnlyList<UidMapping> Map);

/// <summary>The new state of one message whose flags or keywords changed.</summary>
public sealed record FlagUpdate(uint Uid, MessageFlags Flags, IReadOnlyList<string> Keywords, ulong ModSeq);

/// <summary>Result of a flag store.</summary>
/// <param name="Updated">Messages whose flags or keywords really changed.</param>
/// <param name="Modified">UIDs refused because their MODSEQ exceeded UNCHANGEDSINCE (RFC 7162 section 3.1.3, the MODIFIED response code).</param>
public sealed record StoreResult(IReadOnlyList<FlagUpdate> Updated, IReadOnlyList<uint> Modified);

/// <summary>One page of a newest-first listing plus the mailbox's total message count.</summary>
public sealed record MessagePage(int Total, IReadOnlyList<MessageInfo> Messages);

/// <summary>What a reindex found.</summary>
public sealed record ReindexResult(int Mailboxes, int Messages, int NewUids);
