using Appliance.Mime;
using Appliance.Storage.Mail;

namespace Appliance.Server.Webmail;

/// <summary>A refusal the webmail shows to the user as it is (a folder that exists already, a message gone).</summary>
public sealed class WebmailException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A folder in the folder list: the store's mailbox plus where it sorts.</summary>
public sealed record WebmailFolder(long Id, string Name, SpecialUse SpecialUse, int MessageCount, int UnseenCount)
{
    public bool IsInbox => Name == MailboxName.Inbox;

    /// <summary>INBOX and the special-use folders are not renamed or deleted from the webmail (IMAP clients rely on them).</summary>
    public bool IsSystem => IsInbox || SpecialUse != SpecialUse.None;

    /// <summary>The last part of a hierarchical name ("Work/2026" shows as "2026" under "Work").</summary>
    public string DisplayName => Name[(Name.LastIndexOf(MailboxName.Separator) + 1)..];

    /// <summary>Nesting level by hierarchy separators, for indentation.</summary>
    public int Depth => Name.Count(c => c == MailboxName.Separator);
}

/// <summary>One attachment of a message being read.</summary>
/// <param name="PartNumber">The IMAP part number (RFC 9051 6.4.5), the attachment's address in download links.</param>
/// <param name="Size">The file's size in bytes, decoded (approximate for base64: 3 bytes per 4 characters, RFC 2045 6.8).</param>
public sealed record WebmailAttachment(string PartNumber, string FileName, string MediaType, long Size)
{
    /// <summary>Raster images may be shown inline; everything else is only downloaded (issue 8: "only raster images are previewed inline").</summary>
    public bool IsRasterImage => WebmailMedia.IsRasterImage(MediaType);
}

public static class WebmailMedia
{
    /// <summary>The image types a browser shows without running anything (no SVG: it can carry script).</summary>
    public static bool IsRasterImage(string mediaType) => mediaType is "image/png" or "image/jpeg" or "image/gif" or "image/webp";
}

/// <summary>A message opened for reading: decoded header, the body to show, attachments.</summary>
/// <param name="HtmlBody">The HTML part as the sender wrote it, not yet sanitized; inline cid: images already turned into data: URLs.</param>
public sealed record WebmailMessage(
    string Folder,
    uint Uid,
    MessageFlags Flags,
    DateTimeOffset InternalDate,
    long Size,
    string Subject,
    IReadOnlyList<MailboxAddress> From,
    IReadOnlyList<MailboxAddress> To,
    IReadOnlyList<MailboxAddress> Cc,
    IReadOnlyList<MailboxAddress> ReplyTo,
    DateTimeOffset? Date,
    string? TextBody,
    string? HtmlBody,
    IReadOnlyList<WebmailAttachment> Attachments);

/// <summary>A part's decoded content, for a download.</summary>
public sealed record WebmailPart(string FileName, string MediaType, byte[] Content);

/// <summary>A file in the compose form.</summary>
public sealed record ComposeAttachment(string FileName, string MediaType, byte[] Content, bool IsMessage = false);

/// <summary>What the compose form holds. Address fields are comma-separated as the user typed them.</summary>
public sealed class ComposeForm
{
    /// <summary>The sender address (one the user owns); empty means their own address.</summary>
    public string From { get; set; } = "";
    public string To { get; set; } = "";
    public string Cc { get; set; } = "";
    public string Bcc { get; set; } = "";
    public string Subject { get; set; } = "";
    public string Body { get; set; } = "";

    /// <summary>Write the body as simple HTML too (paragraphs, bold, italic, links) from its lightweight markup.</summary>
    public bool RichText { get; set; }

    public string? InReplyTo { get; set; }
    public List<string> References { get; } = [];
    public List<ComposeAttachment> Attachments { get; } = [];

    /// <summary>The draft this form was saved as last (replaced on the next save, removed when sent).</summary>
    public uint? DraftUid { get; set; }

    /// <summary>The folder and UID of the message this answers, marked \Answered when it is sent.</summary>
    public (string Folder, uint Uid)? Answers { get; set; }
}
