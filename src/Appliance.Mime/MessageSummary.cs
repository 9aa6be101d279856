namespace Appliance.Mime;

/// <summary>
/// The fields a mailbox listing shows, read from a message's header (and the start of its body
/// for the preview). CONTRACT ONLY: implemented in the Mime work; the store caches these values.
/// </summary>
public sealed record MessageSummary(
    DateTimeOffset? Date,
    string From,
    string To,
    string Subject,
    string? MessageId,
    bool HasAttachment,
    string Preview)
{
    public static MessageSummary Empty { get; } = new(null, "", "", "", null, false, "");

    /// <summary>
    /// Reads the summary from a complete RFC 5322 message. Never throws on malformed input;
    /// reads at most the header plus a bounded prefix of the body.
    /// </summary>
    public static MessageSummary Read(Stream message) => throw new NotImplementedException("MessageSummary.Read lands with the Mime header reader");
}
