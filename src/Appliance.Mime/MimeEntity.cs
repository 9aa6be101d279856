// RFC 2045 (MIME header fields: 5 Content-Type, 6 Content-Transfer-Encoding, 7 Content-ID,
// 8 Content-Description), RFC 2183 (Content-Disposition), RFC 3282 (Content-Language),
// RFC 2557 4.2 (Content-Location), RFC 1864 (Content-MD5), RFC 9051 6.4.5 (part numbers).
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// One entity of a parsed message: the message itself, a part of a multipart, or the message
/// encapsulated in a message/rfc822 part. It holds the header and byte offsets into the raw message,
/// never the body: content is read on demand from the raw message with <see cref="OpenContentStream"/>.
/// </summary>
public sealed class MimeEntity
{
    private static readonly HeaderBlock EmptyHeader = HeaderBlock.Parse("\r\n"u8);
    private static readonly ContentHeader DefaultText = ContentHeader.Parse("text/plain; charset=us-ascii");
    private static readonly ContentHeader DefaultMessage = ContentHeader.Parse("message/rfc822");
    private static readonly ContentHeader NoDisposition = ContentHeader.Parse(null);
    private List<MimeEntity>? children; // most entities are leaves: no list for them
    private int index; // position among the parent's children
    private string? partNumber;
    private ContentHeader contentType = DefaultText;
    private ContentHeader disposition = NoDisposition;

    internal MimeEntity(MimeEntity? parent, long headerStart, string defaultType, bool isMessage)
    {
        Parent = parent;
        HeaderStart = headerStart;
        BodyStart = headerStart;
        BodyEnd = headerStart;
        DefaultType = defaultType;
        IsMessage = isMessage;
        if (defaultType != "text/plain")
        {
            contentType = DefaultMessage;
            MediaType = "message";
            MediaSubtype = "rfc822";
        }
    }

    /// <summary>The enclosing entity: a multipart, or the message/rfc822 part for an encapsulated message.</summary>
    public MimeEntity? Parent { get; }

    /// <summary>True for an RFC 5322 message (the top level or one encapsulated in message/rfc822), false for a body part.</summary>
    public bool IsMessage { get; }

    /// <summary>
    /// The IMAP section part number (RFC 9051 6.4.5) that addresses this entity's content: "1",
    /// "1.2", ...; empty for a multipart top-level message. A non-multipart message's body is part
    /// "1" of it, so a message/rfc822 part "3" holds a message whose own number is "3" when it is a
    /// multipart and "3.1" when it is not.
    /// </summary>
    // Numbered on first use, not by the parser: most trees are never asked (the summary, the
    // store), and a string per part was a fixed cost of every parse.
    public string PartNumber => partNumber ?? NumberFromParents();

    public HeaderBlock Header { get; private set; } = EmptyHeader;

    /// <summary>"text", "multipart" ...: lower-cased; the default of RFC 2045 5.2 or RFC 2046 5.1.5 when absent or unreadable.</summary>
    public string MediaType { get; private set; } = "text";

    public string MediaSubtype { get; private set; } = "plain";

    /// <summary>Content-Type parameters as written (names lower-cased), RFC 2231 sections not joined.</summary>
    public IReadOnlyDictionary<string, string> ContentTypeParameters => contentType.Parameters;

    /// <summary>A Content-Type parameter decoded (RFC 2231 sections and charsets, RFC 2047 words), or null.</summary>
    public string? GetContentTypeParameter(string name) => contentType.GetParameter(name);

    /// <summary>RFC 2183 disposition type, lower-cased ("inline", "attachment"), or null when absent.</summary>
    public string? Disposition => disposition.Value.Length == 0 ? null : disposition.Value;

    /// <summary>Content-Disposition parameters as written (names lower-cased).</summary>
    public IReadOnlyDictionary<string, string> DispositionParameters => disposition.Parameters;

    /// <summary>A Content-Disposition parameter decoded (RFC 2231, RFC 2047), or null.</summary>
    public string? GetDispositionParameter(string name) => disposition.GetParameter(name);

    /// <summary>RFC 2045 6.1 mechanism, lower-cased; "7bit" when absent (RFC 2045 6.1 default).</summary>
    public string TransferEncoding { get; private set; } = "7bit";

    /// <summary>RFC 2045 7: the Content-ID as written (angle brackets included), or null.</summary>
    public string? ContentId => Nonempty(Header.Get("Content-ID")?.Value);

    /// <summary>RFC 2045 8 Content-Description with RFC 2047 words decoded, or null.</summary>
    public string? Description => Nonempty(Header.Get("Content-Description")?.DecodeText());

    /// <summary>RFC 3282 language tags, or empty.</summary>
    public IReadOnlyList<string> Languages =>
        Header.Get("Content-Language")?.Value.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries) ?? [];

    /// <summary>RFC 2557 4.2 Content-Location, unfolded, or null.</summary>
    public string? Location => Nonempty(Header.Get("Content-Location")?.Value.Replace(" ", "", StringComparison.Ordinal));

    /// <summary>RFC 1864 Content-MD5 as written, or null.</summary>
    public string? Md5 => Nonempty(Header.Get("Content-MD5")?.Value);

    /// <summary>The file name: RFC 2183 2.3 filename, else the older Content-Type name; RFC 2231 and RFC 2047 decoded.</summary>
    public string? FileName => Nonempty(disposition.GetParameter("filename")) ?? Nonempty(contentType.GetParameter("name"));

    /// <summary>A file name parameter in any form (RFC 2183 2.3 filename, Content-Type name, RFC 2231 sections), without decoding it.</summary>
    internal bool HasFileName => disposition.HasParameter("filename") || contentType.HasParameter("name");

    /// <summary>The charset parameter, or null.</summary>
    public string? Charset => contentType.GetParameter("charset");

    /// <summary>Offset in the raw message of the first header byte (IMAP BODY[n.MIME] and BODY[n.HEADER] start here).</summary>
    public long HeaderStart { get; internal set; }

    /// <summary>Offset of the first body byte: just past the header's blank line.</summary>
    public long BodyStart { get; internal set; }

    /// <summary>Offset just past the last body byte; the line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).</summary>
    public long BodyEnd { get; internal set; }

    /// <summary>Body size in octets (IMAP body-fld-octets).</summary>
    public long BodySize => BodyEnd - BodyStart;

    /// <summary>Body lines (IMAP body-fld-lines): the line breaks in the body, so a last line without one is not counted (as Dovecot does).</summary>
    public long BodyLines { get; internal set; }

    /// <summary>
    /// Line feeds in the body without a CR before them. A server that sends bare LF as CRLF (IMAP
    /// requires CRLF, RFC 9051 2.2) reports <see cref="BodySize"/> plus this, as Dovecot does.
    /// </summary>
    public long BodyBareLineFeeds { get; internal set; }

    /// <summary>Parts of a multipart, or the one encapsulated message of a message/rfc822 part; else empty.</summary>
    public IReadOnlyList<MimeEntity> Children => (IReadOnlyList<MimeEntity>?)children ?? [];

    /// <summary>True when the entity was read as a multipart with parts (not one kept opaque by a limit).</summary>
    public bool IsMultipart => MediaType == "multipart" && Boundary is not null;

    /// <summary>The encapsulated message of a message/rfc822 or message/global part, or null.</summary>
    public MimeEntity? EncapsulatedMessage => !IsMultipart && children is [MimeEntity message] ? message : null;

    public MimeProblems Problems { get; internal set; }

    internal string DefaultType { get; }

    /// <summary>The multipart boundary when the entity is read as a multipart; null for a leaf.</summary>
    internal string? Boundary { get; set; }

    internal void AddChild(MimeEntity child)
    {
        children ??= [];
        child.index = children.Count;
        children.Add(child);
    }

    /// <summary>
    /// RFC 9051 6.4.5: parts of a multipart are numbered from 1; a non-multipart message's body is
    /// part 1 of it; a message/rfc822 part numbered N holds a message whose parts are N.1, N.2 ...
    /// (or whose body is N.1). Walks up to the nearest numbered ancestor and numbers the path down,
    /// without recursion, so deep trees cannot exhaust the call stack. Racing callers compute the same strings.
    /// </summary>
    private string NumberFromParents()
    {
        var path = new List<MimeEntity>();
        MimeEntity top = this;
        while (top.partNumber is null && top.Parent is not null)
        {
            path.Add(top);
            top = top.Parent;
        }
        string number = top.partNumber ?? Own(top, "");
        top.partNumber = number;
        for (int i = path.Count - 1; i >= 0; i--)
        {
            MimeEntity entity = path[i];
            MimeEntity parent = entity.Parent!;
            string inherited = parent.IsMultipart ? Join(number, (entity.index + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)) : number;
            number = Own(entity, inherited);
            entity.partNumber = number;
        }
        return number;

        static string Own(MimeEntity entity, string inherited) => entity.IsMessage && !entity.IsMultipart ? Join(inherited, "1") : inherited;
    }

    private static string Join(string prefix, string number) => prefix.Length == 0 ? number : prefix + "." + number;

    /// <summary>
    /// The entity an IMAP section part number addresses (RFC 9051 6.4.5), searched from this
    /// message: "2.1" is the first part of part 2, or of the message inside part 2 when that is a
    /// message/rfc822; a non-multipart message's body is its part 1. For a message/rfc822 part the
    /// part itself is returned (BODY[n], BODY[n.MIME]); its <see cref="EncapsulatedMessage"/> holds
    /// BODY[n.HEADER] and BODY[n.TEXT]. Empty means the message itself; null when there is no such part.
    /// </summary>
    public MimeEntity? FindPart(string partNumber)
    {
        ArgumentNullException.ThrowIfNull(partNumber);
        if (partNumber.Length == 0)
        {
            return this;
        }
        MimeEntity container = this;
        MimeEntity? current = null;
        foreach (string piece in partNumber.Split('.'))
        {
            // RFC 9051 9: nz-number, a decimal without leading zeros.
            if (piece.Length is 0 or > 9 || piece[0] == '0' || !piece.All(char.IsAsciiDigit))
            {
                return null;
            }
            int n = int.Parse(piece, System.Globalization.CultureInfo.InvariantCulture);
            if (current is not null)
            {
                MimeEntity? next = current.IsMultipart ? current : current.EncapsulatedMessage;
                if (next is null)
                {
                    return null;
                }
                container = next;
            }
            current = container.IsMultipart
                ? (n <= container.Children.Count ? container.Children[n - 1] : null)
                : (n == 1 ? container : null);
            if (current is null)
            {
                return null;
            }
        }
        return current;
    }

    /// <summary>
    /// Decoded content: base64 (tolerating whitespace and garbage, RFC 2045 6.8), quoted-printable
    /// (RFC 2045 6.7), else the bytes as they are (7bit, 8bit, binary and unknown encodings, RFC 2045
    /// 6.2/6.4). <paramref name="rawMessage"/> is the message this entity was parsed from, read
    /// lazily and not disposed with the returned stream. A seekable stream serves parts in any order.
    /// A stream that cannot seek (a pipe, a socket) is read forward: open and read parts in the order
    /// of their content; the bytes before a part are skipped. Its position is its Position when it
    /// reports one, else the bytes read through these content streams, starting from the first byte of
    /// the message, so nothing else may read from it in between. Reading a part whose content such a
    /// stream has already passed throws <see cref="InvalidOperationException"/>.
    /// </summary>
    public Stream OpenContentStream(Stream rawMessage)
    {
        ArgumentNullException.ThrowIfNull(rawMessage);
        if (!rawMessage.CanRead)
        {
            throw new ArgumentException("The raw message stream must be readable.", nameof(rawMessage));
        }
        Stream raw = rawMessage.CanSeek
            ? new SliceStream(rawMessage, BodyStart, BodySize)
            : new ForwardSliceStream(rawMessage, BodyStart, BodySize, PartNumber);
        return TransferEncoding switch
        {
            "base64" => new DecodingStream(raw, new Base64Decoder()),
            "quoted-printable" => new DecodingStream(raw, new QuotedPrintableDecoder()),
            _ => raw,
        };
    }

    /// <summary>The content decoded to text with its charset (RFC 2046 4.1.2), falling back as <see cref="Charsets"/> does.</summary>
    public string ReadText(Stream rawMessage)
    {
        using Stream content = OpenContentStream(rawMessage);
        using var bytes = new MemoryStream();
        content.CopyTo(bytes);
        return Charsets.Decode(bytes.GetBuffer().AsSpan(0, (int)bytes.Length), Charset);
    }

    public override string ToString() => $"{PartNumber} {MediaType}/{MediaSubtype}";

    internal void ApplyHeader(HeaderBlock header)
    {
        Header = header;
        // One pass over the names for the three fields the structure needs, read from the raw bytes
        // without making HeaderField objects: a part's header is rarely read for anything else.
        int typeField = -1, dispositionField = -1, encodingField = -1;
        for (int i = 0; i < header.Count; i++)
        {
            if (typeField < 0 && header.NameIs(i, "Content-Type"))
            {
                typeField = i;
            }
            else if (dispositionField < 0 && header.NameIs(i, "Content-Disposition"))
            {
                dispositionField = i;
            }
            else if (encodingField < 0 && header.NameIs(i, "Content-Transfer-Encoding"))
            {
                encodingField = i;
            }
        }
        contentType = typeField < 0 ? NoDisposition : ContentHeader.Parse(HeaderField.Unfold(header.RawValueAt(typeField)));
        string type = contentType.Value;
        int slash = type.IndexOf('/', StringComparison.Ordinal);
        // RFC 2045 5.2: a missing or syntactically invalid Content-Type means the default
        // (text/plain; charset=us-ascii, or message/rfc822 in a digest: RFC 2046 5.1.5).
        if (slash <= 0 || slash == type.Length - 1 || type.IndexOf('/', slash + 1) >= 0)
        {
            contentType = DefaultType == "text/plain" ? DefaultText : DefaultMessage;
            type = DefaultType;
            slash = type.IndexOf('/', StringComparison.Ordinal);
        }
        MediaType = Common(type.AsSpan(0, slash));
        MediaSubtype = Common(type.AsSpan(slash + 1));
        disposition = dispositionField < 0 ? NoDisposition : ContentHeader.Parse(HeaderField.Unfold(header.RawValueAt(dispositionField)));
        TransferEncoding = encodingField < 0 ? "7bit" : Mechanism(header.RawValueAt(encodingField));
    }

    /// <summary>RFC 2045 6.1: the mechanism token, lower-cased, without a comment; "7bit" when empty.</summary>
    private static string Mechanism(ReadOnlySpan<byte> raw)
    {
        // The usual values are matched on the raw bytes, without unfolding the field into a string.
        int rawComment = raw.IndexOf((byte)'(');
        ReadOnlySpan<byte> token = (rawComment < 0 ? raw : raw[..rawComment]).Trim(" \t\r\n"u8);
        foreach (string common in (ReadOnlySpan<string>)["7bit", "8bit", "base64", "quoted-printable", "binary"])
        {
            if (Ascii.EqualsIgnoreCase(token, common))
            {
                return common;
            }
        }
        string encoding = HeaderField.Unfold(raw);
        int comment = encoding.IndexOf('(', StringComparison.Ordinal);
        encoding = (comment < 0 ? encoding : encoding[..comment]).Trim().ToLowerInvariant();
        return encoding.Length == 0 ? "7bit" : encoding;
    }

    // The names nearly every message uses, without a new string each time.
    private static string Common(ReadOnlySpan<char> name) => name switch
    {
        "text" => "text",
        "plain" => "plain",
        "html" => "html",
        "multipart" => "multipart",
        "mixed" => "mixed",
        "alternative" => "alternative",
        "related" => "related",
        "application" => "application",
        "image" => "image",
        "message" => "message",
        "rfc822" => "rfc822",
        _ => name.ToString(),
    };

    private static string? Nonempty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
