// RFC 5322 3.6 (fields: 3.6.1 Date, 3.6.2 From, 3.6.3 To, 3.6.4 Message-ID, 3.6.5 Subject).
using System.Buffers;

namespace Appliance.Mime;

/// <summary>
/// The fields a mailbox listing shows, read from a message's header (and the start of its body
/// for the preview). The store caches these values.
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
    /// <summary>
    /// Body bytes read after the header for <see cref="HasAttachment"/> and <see cref="Preview"/>. Our
    /// choice: enough for a typical multipart preamble, a text part or two and the headers of the
    /// first attachment; an attachment announced later than this is missed, and the store keeps the
    /// full structure for when that matters.
    /// </summary>
    internal const int BodyPrefixBytes = 64 * 1024;

    /// <summary>Characters of preview text: about two lines of a list view.</summary>
    internal const int PreviewLength = 200;

    public static MessageSummary Empty { get; } = new(null, "", "", "", null, false, "");

    /// <summary>
    /// Reads the summary from a complete RFC 5322 message. Never throws on malformed input;
    /// reads at most the header plus a bounded prefix of the body.
    /// </summary>
    public static MessageSummary Read(Stream message)
    {
        ArgumentNullException.ThrowIfNull(message);
        // HeaderBlock.Read reads a non-seekable stream a byte at a time so as not to overshoot; here
        // the body is read next anyway, so a buffer in between makes those byte reads cheap. It is
        // not disposed: that would close the caller's stream.
        Stream input = message.CanSeek ? message : new BufferedStream(message, 16 * 1024);
        HeaderBlock header = HeaderBlock.Read(input);
        // An incomplete header (no blank line within the limit) leaves no known body start: no preview.
        // The store summarises every message it appends: rent the prefix buffer rather than allocate
        // 64 KB each time. Nothing the scan returns refers to it.
        byte[] prefix = ArrayPool<byte>.Shared.Rent(BodyPrefixBytes);
        BodyScanResult scan;
        try
        {
            int length = header.IsComplete ? input.ReadAtLeast(prefix.AsSpan(0, BodyPrefixBytes), BodyPrefixBytes, throwOnEndOfStream: false) : 0;
            scan = BodyScanner.Scan(header, prefix.AsMemory(0, length), PreviewLength);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(prefix);
        }
        return new MessageSummary(
            MailDate.Parse(header.Get("Date")?.Value),
            DisplayAddresses(header.Get("From")),
            DisplayAddresses(header.Get("To")),
            Text.Collapse(header.Get("Subject")?.DecodeText() ?? ""),
            ParseMessageId(header.Get("Message-ID")?.Value),
            scan.HasAttachment,
            scan.Preview);
    }

    /// <summary>Display names (else addresses) joined with ", "; the raw text when no mailbox parses.</summary>
    private static string DisplayAddresses(HeaderField? field)
    {
        if (field is null)
        {
            return "";
        }
        IReadOnlyList<MailboxAddress> mailboxes = MailboxAddress.ParseList(field.Value);
        if (mailboxes.Count == 0)
        {
            // "undisclosed-recipients:;" (an empty group, RFC 5322 3.4) reads best as its name.
            string text = Text.Collapse(EncodedWords.Decode(field.Value));
            return text.EndsWith(":;", StringComparison.Ordinal) ? text[..^2].TrimEnd() : text;
        }
        return string.Join(", ", mailboxes.Select(m => Text.Collapse(m.ToString())));
    }

    /// <summary>
    /// RFC 5322 3.6.4: msg-id = [CFWS] "&lt;" id-left "@" id-right "&gt;" [CFWS]; the obsolete form (4.5.4)
    /// allows CFWS inside, so whitespace is removed. Without brackets, the first word is taken.
    /// </summary>
    internal static string? ParseMessageId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        // RFC 5322 4.5.4 / 3.2.2: comments may stand anywhere CFWS may; they are not part of the id.
        value = StripComments(value);
        int open = value.IndexOf('<');
        int close = open < 0 ? -1 : value.IndexOf('>', open + 1);
        string[] words = value.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string id = open >= 0 && close > open ? value[(open + 1)..close] : words.Length > 0 ? words[0].Trim('<', '>') : "";
        id = string.Concat(id.Where(c => !char.IsWhiteSpace(c)));
        return id.Length == 0 ? null : id;
    }

    private static string StripComments(string value)
    {
        if (!value.Contains('(', StringComparison.Ordinal))
        {
            return value;
        }
        var text = new System.Text.StringBuilder(value.Length);
        int depth = 0;
        foreach (char c in value)
        {
            if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                text.Append(c);
            }
        }
        return text.ToString();
    }
}
