// RFC 5322 3.6 (fields: 3.6.1 Date, 3.6.2 From, 3.6.3 To, 3.6.4 Message-ID, 3.6.5 Subject).
using System.Buffers;
using System.Text;

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

    /// <summary>Bytes asked of the stream per read while the header is still being read.</summary>
    private const int HeaderReadSize = 16 * 1024;

    public static MessageSummary Empty { get; } = new(null, "", "", "", null, false, "");

    /// <summary>
    /// Reads the summary from a complete RFC 5322 message. Never throws on malformed input; reads at
    /// most the header (up to <see cref="HeaderLimits.MaxHeaderBytes"/>) plus
    /// <see cref="BodyPrefixBytes"/> of the body, whether or not the stream can seek, and parses that
    /// with <see cref="MimeParser"/>: the attachment flag and the preview are what
    /// <see cref="MessageParts"/> says of that tree, so the list view and the reader never disagree.
    /// </summary>
    public static MessageSummary Read(Stream message)
    {
        ArgumentNullException.ThrowIfNull(message);
        int headerLimit = MimeLimits.Default.Header.MaxHeaderBytes;
        // The store summarises every message it appends: the prefix buffer is rented, and nothing
        // the summary returns refers to it.
        byte[] buffer = ArrayPool<byte>.Shared.Rent(headerLimit + BodyPrefixBytes);
        try
        {
            var parser = new MimeParser();
            int filled = 0;
            while (true)
            {
                // Exactly the header and BodyPrefixBytes after it, however the stream cuts its reads,
                // so a pipe and a file give the same summary. A header without its blank line within
                // the limit leaves no known body start: the summary has no preview then.
                int want = parser.RootBodyStart is long bodyStart
                    ? (int)Math.Min(bodyStart + BodyPrefixBytes - filled, buffer.Length - filled)
                    : Math.Min(HeaderReadSize, headerLimit - filled);
                if (want <= 0)
                {
                    break;
                }
                int read = message.Read(buffer, filled, want);
                if (read == 0)
                {
                    break;
                }
                parser.Write(buffer.AsSpan(filled, read));
                filled += read;
            }
            MimeEntity root = parser.Complete();
            HeaderBlock header = root.Header;
            return new MessageSummary(
                MailDate.Parse(header.Get("Date")?.Value),
                DisplayAddresses(header.Get("From")),
                DisplayAddresses(header.Get("To")),
                Text.Collapse(header.Get("Subject")?.DecodeText() ?? ""),
                ParseMessageId(header.Get("Message-ID")?.Value),
                MessageParts.HasAttachment(root),
                PreviewSource(root) is { } body ? PreviewOf(body, buffer.AsSpan(0, filled)) : "");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// The part the preview is taken from: the display body (<see cref="MessageParts.FindDisplayBody"/>),
    /// with a text/plain alternative preferred to HTML, since a preview is plain text.
    /// </summary>
    internal static MimeEntity? PreviewSource(MimeEntity root) =>
        MessageParts.FindDisplayBody(root, allowHtml: false) ?? MessageParts.FindDisplayBody(root, allowHtml: true);

    /// <summary>
    /// The first <see cref="PreviewLength"/> characters of the part's text with whitespace collapsed
    /// (<see cref="Text.Collapse"/>). Plain text is decoded only as far as the preview needs.
    /// </summary>
    private static string PreviewOf(MimeEntity body, ReadOnlySpan<byte> message)
    {
        ReadOnlySpan<byte> encoded = message[(int)body.BodyStart..(int)body.BodyEnd];
        byte[]? rented = null;
        try
        {
            // RFC 2045 6.2: 7bit, 8bit, binary and unknown encodings are the bytes as they are.
            ReadOnlySpan<byte> content = encoded;
            if (body.TransferEncoding is "base64" or "quoted-printable")
            {
                rented = ArrayPool<byte>.Shared.Rent(encoded.Length + 3);
                int length = body.TransferEncoding == "base64"
                    ? TransferEncodings.DecodeBase64(encoded, rented)
                    : TransferEncodings.DecodeQuotedPrintable(encoded, rented);
                content = rented.AsSpan(0, length);
            }
            // RFC 2046 4.1.2: the charset parameter; undeclared 8-bit text is UTF-8 when valid, else
            // Latin-1. The part may be cut by the prefix, so an incomplete last UTF-8 sequence is allowed.
            Encoding? encoding = Charsets.Find(body.Charset);
            if (encoding is null)
            {
                (encoding, int usable) = Charsets.ForUndeclaredPrefix(content);
                content = content[..usable];
            }
            var preview = new PreviewText(PreviewLength);
            if (body.MediaSubtype == "html")
            {
                preview.Append(HtmlText.ToText(encoding.GetString(content)));
            }
            else
            {
                preview.Append(encoding, content);
            }
            return preview.ToString();
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
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

    /// <summary>
    /// <see cref="Text.Collapse"/> cut to a length, built only as far as the cut: the text after
    /// the first <c>limit + 1</c> collapsed characters cannot change the result, so it is not decoded.
    /// </summary>
    private sealed class PreviewText(int limit)
    {
        private readonly char[] chars = new char[limit + 2];
        private int length;
        private bool space;

        private bool Full => length > limit;

        public void Append(ReadOnlySpan<char> text)
        {
            foreach (char c in text)
            {
                if (Full)
                {
                    return;
                }
                if (char.IsWhiteSpace(c) || char.IsControl(c))
                {
                    space = length > 0;
                    continue;
                }
                if (space)
                {
                    chars[length++] = ' ';
                    space = false;
                }
                chars[length++] = c;
            }
        }

        public void Append(Encoding encoding, ReadOnlySpan<byte> bytes)
        {
            Decoder decoder = encoding.GetDecoder();
            Span<char> decoded = stackalloc char[512];
            bool completed = false;
            while (!Full && !completed)
            {
                // Convert stops when the output is full and keeps a sequence cut at the input's end for later.
                decoder.Convert(bytes, decoded, flush: true, out int bytesUsed, out int charsUsed, out completed);
                Append(decoded[..charsUsed]);
                bytes = bytes[bytesUsed..];
            }
        }

        /// <summary>Never splits a surrogate pair; a cut text loses the space before the cut.</summary>
        public override string ToString()
        {
            if (length <= limit)
            {
                return new string(chars, 0, length);
            }
            int cut = char.IsHighSurrogate(chars[limit - 1]) ? limit - 1 : limit;
            return chars.AsSpan(0, cut).TrimEnd().ToString();
        }
    }
}
