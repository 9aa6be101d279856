// RFC 5322 (3.3 date-time, 3.6 fields, 3.6.4 identification fields), RFC 2045 (4 MIME-Version,
// 5 Content-Type, 6 Content-Transfer-Encoding, 7 Content-ID), RFC 2046 (5.1.1 boundaries,
// 5.1.3 mixed, 5.1.4 alternative, 5.2.1 message/rfc822), RFC 2387 (multipart/related), RFC 2183
// (Content-Disposition), RFC 2231 (parameter values), RFC 2047 (encoded-words), RFC 6532 (UTF-8 headers).
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// Composes a message: plain text, HTML, both (multipart/alternative), inline images for the HTML
/// (multipart/related, referenced as cid:), attachments (multipart/mixed). Everything given is checked
/// when the message is written: a CR, LF or NUL in any one-line value throws an
/// <see cref="ArgumentException"/> naming the field, so nothing a caller passes can add header fields.
/// Output has CRLF line ends only.
/// </summary>
public sealed partial class MessageBuilder
{
    /// <summary>A file name longer than this is refused: common file systems stop at 255.</summary>
    private const int MaxFileNameLength = 255;

    // Fields the builder writes itself; a custom header with one of these names would duplicate or
    // contradict them (RFC 5322 3.6 allows each at most once).
    private static readonly HashSet<string> ReservedNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To",
        "References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID",
    };

    private readonly TimeProvider timeProvider;
    private readonly List<(string Name, string Value)> headers = [];
    private readonly List<Attachment> attachments = [];

    public MessageBuilder(TimeProvider? timeProvider = null) => this.timeProvider = timeProvider ?? TimeProvider.System;

    public MailboxAddress? From { get; set; }

    public IList<MailboxAddress> To { get; } = new List<MailboxAddress>();

    public IList<MailboxAddress> Cc { get; } = new List<MailboxAddress>();

    /// <summary>Blind copies: envelope recipients only (<see cref="Recipients"/>), never written to the header (RFC 5322 3.6.3 third way).</summary>
    public IList<MailboxAddress> Bcc { get; } = new List<MailboxAddress>();

    public IList<MailboxAddress> ReplyTo { get; } = new List<MailboxAddress>();

    public string? Subject { get; set; }

    /// <summary>RFC 5322 3.6.4 msg-id; when null, the first write generates "&lt;random@sender-domain&gt;" and keeps it here.</summary>
    public string? MessageId { get; set; }

    /// <summary>RFC 5322 3.6.1 origination date; when null, the time provider's now at the first write, kept here.</summary>
    public DateTimeOffset? Date { get; set; }

    public string? InReplyTo { get; set; }

    public IList<string> References { get; } = new List<string>();

    /// <summary>The text/plain body; line breaks become CRLF and it ends with one.</summary>
    public string? TextBody { get; set; }

    /// <summary>The text/html body; line breaks become CRLF and it ends with one.</summary>
    public string? HtmlBody { get; set; }

    /// <summary>RFC 6532: write non-ASCII header text and addresses as raw UTF-8 (only on an SMTPUTF8 path).</summary>
    public bool Utf8Headers { get; set; }

    /// <summary>RFC 6152: the path supports 8BITMIME, so text with non-ASCII may go as 8bit.</summary>
    public bool Allow8Bit { get; set; }

    /// <summary>
    /// Write the Bcc field: only for the sender's own copy (Sent, Drafts), which RFC 5322 3.6.3
    /// allows to keep it; what recipients get never has it.
    /// </summary>
    public bool WriteBcc { get; set; }

    /// <summary>The envelope recipients (RCPT TO): To, Cc and Bcc, each address once.</summary>
    public IReadOnlyList<MailboxAddress> Recipients =>
        [.. To.Concat(Cc).Concat(Bcc).DistinctBy(m => m.Address.ToLowerInvariant())];

    /// <summary>Adds a header field written after the builder's own (names from RFC 5322 ftext; not one the builder writes).</summary>
    /// <summary>The attachments added so far, in order (a reply or forward built from a message starts with its files).</summary>
    public IReadOnlyList<Attachment> Attachments => attachments;

    public void AddHeader(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        HeaderWriter.CheckFieldName(name, "header name");
        HeaderWriter.CheckSingleLine(value, name);
        if (ReservedNames.Contains(name))
        {
            throw new ArgumentException($"{name} is written by the builder; set its property instead.", nameof(name));
        }
        headers.Add((name, value));
    }

    /// <summary>Adds an attachment (Content-Disposition: attachment, RFC 2183).</summary>
    public void AddAttachment(string fileName, byte[] content, string mediaType = "application/octet-stream")
    {
        ArgumentNullException.ThrowIfNull(content);
        CheckFileName(fileName);
        CheckMediaType(mediaType);
        attachments.Add(new Attachment(fileName, mediaType, content, null, IsMessage: false));
    }

    /// <summary>
    /// Adds an image the HTML body shows as "cid:" + the returned id (RFC 2392; RFC 2387 related).
    /// A given <paramref name="contentId"/> is used as is (without angle brackets); else one is generated.
    /// </summary>
    public string AddInlineImage(string fileName, byte[] content, string mediaType, string? contentId = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        CheckFileName(fileName);
        CheckMediaType(mediaType);
        string id = contentId is null ? $"{RandomToken(16)}@{SenderDomain()}" : HeaderWriter.CheckMessageId(contentId, "Content-ID")[1..^1];
        attachments.Add(new Attachment(fileName, mediaType, content, id, IsMessage: false));
        return id;
    }

    /// <summary>Attaches a whole message as message/rfc822 (RFC 2046 5.2.1), e.g. to forward it.</summary>
    public void AddMessageAttachment(byte[] rawMessage, string fileName = "forwarded.eml")
    {
        ArgumentNullException.ThrowIfNull(rawMessage);
        CheckFileName(fileName);
        attachments.Add(new Attachment(fileName, "message/rfc822", rawMessage, null, IsMessage: true));
    }

    /// <summary>The message as bytes; see <see cref="WriteTo"/>.</summary>
    public byte[] ToArray()
    {
        using var output = new MemoryStream();
        WriteTo(output);
        return output.ToArray();
    }

    /// <summary>Writes the message. Throws <see cref="ArgumentException"/> naming the field when one is unsafe or invalid.</summary>
    public void WriteTo(Stream output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (From is null)
        {
            throw new ArgumentException("From is required (RFC 5322 3.6).", nameof(From));
        }
        HeaderWriter.CheckSingleLine(Subject, nameof(Subject));
        string messageId = HeaderWriter.CheckMessageId(MessageId ?? $"<{RandomToken(24)}@{SenderDomain()}>", nameof(MessageId));
        MessageId = messageId;
        Date ??= timeProvider.GetLocalNow(); // the sender's zone, as RFC 5322 3.3 intends for the zone field

        var header = new StringBuilder(1024);
        bool utf8 = Utf8Headers;
        // RFC 5322 3.6.1: Date and From are required; 3.6.4 Message-ID SHOULD be present.
        header.Append("Date: ").Append(FormatDate(Date.Value)).Append("\r\n");
        WriteAddresses(header, "From", [From], utf8);
        if (ReplyTo.Count > 0)
        {
            WriteAddresses(header, "Reply-To", [.. ReplyTo], utf8);
        }
        if (To.Count > 0)
        {
            WriteAddresses(header, "To", [.. To], utf8);
        }
        if (Cc.Count > 0)
        {
            WriteAddresses(header, "Cc", [.. Cc], utf8);
        }
        // Bcc addresses are checked like the others but written only into the sender's copy (RFC 5322 3.6.3).
        for (int i = 0; i < Bcc.Count; i++)
        {
            HeaderWriter.FormatAddress(Bcc[i], $"Bcc[{i}]", utf8);
        }
        if (WriteBcc && Bcc.Count > 0)
        {
            WriteAddresses(header, "Bcc", [.. Bcc], utf8);
        }
        header.Append("Message-ID: ").Append(messageId).Append("\r\n");
        if (InReplyTo is not null)
        {
            header.Append("In-Reply-To: ").Append(HeaderWriter.CheckMessageId(InReplyTo, nameof(InReplyTo))).Append("\r\n");
        }
        if (References.Count > 0)
        {
            HeaderWriter.WriteFolded(header, "References", [.. References.Select((r, i) => HeaderWriter.CheckMessageId(r, $"References[{i}]"))]);
        }
        if (Subject is not null)
        {
            HeaderWriter.WriteUnstructured(header, "Subject", Subject, utf8);
        }
        foreach ((string name, string value) in headers)
        {
            HeaderWriter.WriteUnstructured(header, name, value, utf8);
        }
        header.Append("MIME-Version: 1.0\r\n"); // RFC 2045 4

        Part root = BuildTree();
        output.Write(Encoding.UTF8.GetBytes(header.ToString()));
        output.Write(root.Render(utf8));
    }

    private static void WriteAddresses(StringBuilder header, string field, IReadOnlyList<MailboxAddress> list, bool utf8) =>
        HeaderWriter.WriteFolded(header, field, HeaderWriter.AddressTokens(list, field, utf8, field.Length + 2));

    /// <summary>RFC 5322 3.3: "Sat, 21 Nov 2026 15:36:02 +0000": English names, two-digit time fields, numeric zone.</summary>
    internal static string FormatDate(DateTimeOffset date)
    {
        TimeSpan offset = date.Offset;
        char sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        return date.ToString("ddd, d MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture)
            + sign + offset.Hours.ToString("00", CultureInfo.InvariantCulture) + offset.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// RFC 2046 5.1.3 mixed around the body and attachments; 5.1.4 alternative for text + HTML (plainest
    /// first); RFC 2387 related for HTML with its inline images, type naming the root's type.
    /// </summary>
    private Part BuildTree()
    {
        Part? text = TextBody is null ? null : TextPart("plain", TextBody);
        Part? html = HtmlBody is null ? null : TextPart("html", HtmlBody);
        List<Part> inline = [.. attachments.Where(a => a.ContentId is not null).Select(AttachmentPart)];
        List<Part> attached = [.. attachments.Where(a => a.ContentId is null).Select(AttachmentPart)];
        if (html is not null && inline.Count > 0)
        {
            html = Part.Multipart("related", [html, .. inline], "type=\"text/html\"");
        }
        else
        {
            attached.AddRange(inline); // no HTML to show them in: they travel as ordinary parts
        }
        Part body = (text, html) switch
        {
            (not null, not null) => Part.Multipart("alternative", [text, html]),
            (not null, null) => text,
            (null, not null) => html,
            _ => TextPart("plain", ""),
        };
        return attached.Count == 0 ? body : Part.Multipart("mixed", [body, .. attached]);
    }

    private Part TextPart(string subtype, string text)
    {
        (string encoding, byte[] body) = BodyEncoder.EncodeText(BodyEncoder.NormalizeText(text), Allow8Bit);
        return Part.Leaf(
            [["Content-Type", $"text/{subtype};", "charset=utf-8"], ["Content-Transfer-Encoding", encoding]],
            body);
    }

    private Part AttachmentPart(Attachment attachment)
    {
        string disposition = attachment.ContentId is null ? "attachment" : "inline";
        List<string> type = [attachment.MediaType + ";", .. NameParameter(attachment.FileName)];
        List<string> dispositionTokens = [disposition + ";", .. FileNameParameter(attachment.FileName)];
        List<List<string>> fields = [["Content-Type", .. type]];
        byte[] body;
        if (attachment.IsMessage)
        {
            // RFC 2046 5.2.1: message/rfc822 takes no encoding but 7bit, 8bit or binary; lines become
            // CRLF since the whole output is CRLF.
            body = Encoding.Latin1.GetBytes(BodyEncoder.NormalizeLineEnds(Encoding.Latin1.GetString(attachment.Content)));
            fields.Add(["Content-Transfer-Encoding", Ascii.IsValid(body) ? "7bit" : "8bit"]);
        }
        else
        {
            body = BodyEncoder.Base64(attachment.Content);
            fields.Add(["Content-Transfer-Encoding", "base64"]);
        }
        fields.Add(["Content-Disposition", .. dispositionTokens]);
        if (attachment.ContentId is not null)
        {
            fields.Add(["Content-ID", "<" + attachment.ContentId + ">"]);
        }
        return Part.Leaf(fields, body);
    }

    /// <summary>RFC 2183 2.3 filename: quoted when short printable ASCII, else RFC 2231 ext-value sections.</summary>
    private static List<string> FileNameParameter(string fileName) =>
        IsPlainFileName(fileName) ? [HeaderWriter.QuotedParameter("filename", fileName)] : Sections(HeaderWriter.Rfc2231Parameter("filename", fileName));

    /// <summary>
    /// The Content-Type name parameter older clients read instead of filename: as is when plain, else
    /// RFC 2047 words inside the quoted string (not valid RFC 2047 5, but what those clients decode).
    /// </summary>
    private static List<string> NameParameter(string fileName)
    {
        if (IsPlainFileName(fileName))
        {
            return [HeaderWriter.QuotedParameter("name", fileName)];
        }
        List<string> words = HeaderWriter.EncodeWords(fileName, firstColumn: 40);
        words[0] = "name=\"" + words[0];
        words[^1] += "\"";
        return words;
    }

    private static List<string> Sections(List<string> sections)
    {
        for (int i = 0; i < sections.Count - 1; i++)
        {
            sections[i] += ";";
        }
        return sections;
    }

    private static bool IsPlainFileName(string name) =>
        name.Length <= 60 && name.All(c => c is >= ' ' and <= '~' and not '"' and not '\\') && !name.Contains("=?", StringComparison.Ordinal);

    private static void CheckFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        HeaderWriter.CheckSingleLine(fileName, "FileName");
        if (fileName.Length == 0 || fileName.Length > MaxFileNameLength)
        {
            throw new ArgumentException($"FileName must be 1 to {MaxFileNameLength} characters.", nameof(fileName));
        }
    }

    /// <summary>RFC 2045 5.1: type "/" subtype, both tokens.</summary>
    private static void CheckMediaType(string mediaType)
    {
        ArgumentNullException.ThrowIfNull(mediaType);
        HeaderWriter.CheckSingleLine(mediaType, "MediaType");
        int slash = mediaType.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == mediaType.Length - 1 || !IsToken(mediaType[..slash]) || !IsToken(mediaType[(slash + 1)..])
            || mediaType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"MediaType \"{mediaType}\" is not type/subtype (RFC 2045 5.1) of a leaf part.", nameof(mediaType));
        }
    }

    // RFC 2045 5.1 token: printable ASCII except SPACE and tspecials.
    private static bool IsToken(string text) =>
        text.All(c => c is > ' ' and <= '~' && !"()<>@,;:\\\"/[]?=".Contains(c, StringComparison.Ordinal));

    private string SenderDomain()
    {
        string domain = From?.Domain is { Length: > 0 } d ? d : "localhost";
        try
        {
            // msg-id id-right is ASCII (RFC 5322 3.6.4 dot-atom-text); an IDN domain goes as its A-label.
            return HeaderWriter.ToAsciiDomain(domain, "From.Domain", utf8: false);
        }
        catch (ArgumentException)
        {
            return "localhost";
        }
    }

    /// <summary>Random lower-case base-32 characters: unguessable, and safe in msg-ids and boundaries.</summary>
    internal static string RandomToken(int length)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        Span<byte> random = stackalloc byte[length];
        RandomNumberGenerator.Fill(random);
        return string.Create(length, random.ToArray(), static (chars, bytes) =>
        {
            for (int i = 0; i < chars.Length; i++)
            {
                chars[i] = Alphabet[bytes[i] & 31];
            }
        });
    }

    /// <summary>A file the message carries: an attachment, an inline image (with its Content-ID) or an attached message.</summary>
    public sealed record Attachment(string FileName, string MediaType, byte[] Content, string? ContentId, bool IsMessage);

    /// <summary>One entity to write: its content fields as folding tokens and either a body or children.</summary>
    private sealed class Part
    {
        private readonly List<List<string>> fields;
        private readonly byte[]? body;
        private readonly List<Part>? children;
        private readonly string? subtype;
        private readonly string? extraParameter;

        private Part(List<List<string>> fields, byte[]? body, List<Part>? children, string? subtype, string? extraParameter)
        {
            this.fields = fields;
            this.body = body;
            this.children = children;
            this.subtype = subtype;
            this.extraParameter = extraParameter;
        }

        public static Part Leaf(List<List<string>> fields, byte[] body) => new(fields, body, null, null, null);

        public static Part Multipart(string subtype, List<Part> children, string? extraParameter = null) =>
            new([], null, children, subtype, extraParameter);

        /// <summary>Content fields, a blank line, then the body (RFC 2045 3, RFC 5322 2.1).</summary>
        public byte[] Render(bool utf8)
        {
            var header = new StringBuilder(256);
            byte[] content;
            if (children is null)
            {
                foreach (List<string> field in fields)
                {
                    HeaderWriter.WriteFolded(header, field[0], field.GetRange(1, field.Count - 1));
                }
                content = body!;
            }
            else
            {
                List<byte[]> rendered = [.. children.Select(c => c.Render(utf8))];
                string boundary = ChooseBoundary(rendered);
                List<string> type = [$"multipart/{subtype};", $"boundary=\"{boundary}\"" + (extraParameter is null ? "" : ";")];
                if (extraParameter is not null)
                {
                    type.Add(extraParameter);
                }
                HeaderWriter.WriteFolded(header, "Content-Type", type);
                content = Delimit(rendered, boundary);
            }
            header.Append("\r\n");
            byte[] headerBytes = utf8 ? Encoding.UTF8.GetBytes(header.ToString()) : Encoding.ASCII.GetBytes(header.ToString());
            return [.. headerBytes, .. content];
        }

        /// <summary>
        /// RFC 2046 5.1.1: the boundary must not occur in the encapsulated parts. "=_" never occurs in
        /// base64 or quoted-printable; 7bit/8bit parts are searched, and a clash draws a new one.
        /// </summary>
        private static string ChooseBoundary(List<byte[]> parts)
        {
            while (true)
            {
                string boundary = "=_" + RandomToken(28);
                byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
                if (!parts.Any(p => p.AsSpan().IndexOf(delimiter) >= 0))
                {
                    return boundary;
                }
            }
        }

        // RFC 2046 5.1.1: each part follows "--boundary" CRLF; the CRLF before a delimiter belongs to
        // it, so a part's own final CRLF stays part of its body; the last part ends with "--boundary--".
        private static byte[] Delimit(List<byte[]> parts, string boundary)
        {
            using var output = new MemoryStream();
            byte[] delimiter = Encoding.ASCII.GetBytes("--" + boundary);
            for (int i = 0; i < parts.Count; i++)
            {
                if (i > 0)
                {
                    output.Write("\r\n"u8);
                }
                output.Write(delimiter);
                output.Write("\r\n"u8);
                output.Write(parts[i]);
            }
            output.Write("\r\n"u8);
            output.Write(delimiter);
            output.Write("--\r\n"u8);
            return output.ToArray();
        }
    }
}
