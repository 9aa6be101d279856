// RFC 9051 section 6.4.5 (BODY[section]: HEADER, HEADER.FIELDS, HEADER.FIELDS.NOT, TEXT, MIME, part
// numbers, partial fetches; "the blank line is included in all header fetches") and RFC 3501 6.4.5
// (the same for rev1); RFC 3516 section 4 (BINARY decodes the Content-Transfer-Encoding; UNKNOWN-CTE).
// Mark Crispin on imap-protocol (2011-04): a section that does not apply to a part (3.HEADER of a
// text part), or a part that does not exist, is answered with the empty string, not an error.
using Appliance.Mime;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Fetch;

/// <summary>
/// One message being fetched: its index row, its file (opened on first need) and its structure (from
/// the cache, or parsed once from the file). Only what the items need is read: FLAGS, UID, dates and
/// sizes come from the row; ENVELOPE and top-level header sections read the header alone when the
/// structure is not cached; everything else uses the structure.
/// </summary>
internal sealed class FetchedMessage(MailAccount account, string mailbox, MessageFetchRow row, MessageKey key, MessageStructureCache cache, EnvelopeCache envelopes) : IDisposable
{
    private Stream? _file;
    private MessageStructure? _structure;
    private HeaderBlock? _header;
    private string? _envelope;

    public MessageFetchRow Row { get; } = row;

    /// <summary>Opens the file; <see cref="MessageNotFoundException"/> when another session expunged it.</summary>
    public Stream File => _file ??= account.OpenMessage(mailbox, Row.File);

    /// <summary>The parsed tree, from the cache or parsed from the file now (then cached).</summary>
    public MessageStructure Structure
    {
        get
        {
            if (_structure is not null)
                return _structure;
            if (!cache.TryGet(key, out var structure))
            {
                var file = File;
                file.Position = 0;
                structure = new MessageStructure(MimeParser.Parse(file));
                cache.Add(key, structure);
            }
            return _structure = structure;
        }
    }

    /// <summary>Whether the structure is at hand without reading the whole message.</summary>
    private bool HasStructure
    {
        get
        {
            if (_structure is null && cache.TryGet(key, out var cached))
                _structure = cached;
            return _structure is not null;
        }
    }

    /// <summary>
    /// The top-level header: from the structure when there is one, else read up to the blank line
    /// only. A header past <see cref="HeaderLimits.MaxHeaderBytes"/> needs the full parse for its end.
    /// </summary>
    private HeaderBlock TopHeader
    {
        get
        {
            if (_header is not null)
                return _header;
            if (HasStructure)
                return _header = Structure.Root.Header;
            var file = File;
            file.Position = 0;
            var header = HeaderBlock.Read(file);
            if ((header.Problems & HeaderProblems.TooLarge) != 0)
                return _header = Structure.Root.Header;
            return _header = header;
        }
    }

    /// <summary>Where the top-level body starts; a message without a blank line is all header (RFC 9051 6.4.5: no body, no blank line).</summary>
    private long TopBodyStart
    {
        get
        {
            // The header first: an oversized one brings in the structure, whose offsets are exact.
            var header = TopHeader;
            return HasStructure ? Structure.Root.BodyStart : Math.Min(header.Length, File.Length);
        }
    }

    /// <summary>RFC 9051 7.5.2 ENVELOPE: from the structure when cached, else from the envelope cache, else from the header alone (then cached).</summary>
    public string Envelope => _envelope ??= HasStructure ? Structure.Envelope : CachedEnvelope();

    private string CachedEnvelope()
    {
        if (envelopes.TryGet(key, out var envelope))
            return envelope;
        envelope = ImapEnvelope.FromHeader(TopHeader).ToString();
        envelopes.Add(key, envelope);
        return envelope;
    }

    /// <summary>
    /// What a BODY[...] or BINARY[...] section names in this message, before any partial. Null for
    /// BINARY of a part whose Content-Transfer-Encoding is unknown (RFC 3516 4.1: NO [UNKNOWN-CTE]).
    /// </summary>
    public SectionContent? Resolve(FetchSection section)
    {
        if (section.IsBinary)
            return ResolveBinary(section);
        if (section.Part.Count == 0)
        {
            return section.Text switch
            {
                SectionText.None => new SectionContent.FileRange(0, File.Length),
                SectionText.Header => new SectionContent.FileRange(0, TopBodyStart),
                SectionText.Text => new SectionContent.FileRange(TopBodyStart, File.Length - TopBodyStart),
                SectionText.HeaderFields or SectionText.HeaderFieldsNot => new SectionContent.Octets(HeaderFields.Select(TopHeader, section)),
                _ => SectionContent.Empty,
            };
        }
        var part = Structure.Root.FindPart(PartNumber(section.Part));
        if (part is null)
            return SectionContent.Empty;
        if (section.Text == SectionText.None)
            return Range(part.BodyStart, part.BodyEnd);
        if (section.Text == SectionText.Mime)
            return Range(part.HeaderStart, part.BodyStart);
        // RFC 9051 6.4.5: HEADER, HEADER.FIELDS(.NOT) and TEXT after part numbers need a message/rfc822 (or message/global) part.
        if (part.EncapsulatedMessage is not { } message)
            return SectionContent.Empty;
        return section.Text switch
        {
            SectionText.Header => Range(message.HeaderStart, message.BodyStart),
            SectionText.Text => Range(message.BodyStart, message.BodyEnd),
            _ => new SectionContent.Octets(HeaderFields.Select(message.Header, section)),
        };
    }

    private SectionContent? ResolveBinary(FetchSection section)
    {
        // RFC 3516 4.1: BINARY[] is the whole message; multiparts and messages have an identity
        // encoding (RFC 2045 6.4: only 7bit, 8bit or binary), so their bytes go as they are.
        if (section.Part.Count == 0)
            return Undecoded(0, File.Length);
        var part = Structure.Root.FindPart(PartNumber(section.Part));
        if (part is null)
            return SectionContent.Empty;
        if (part.IsMultipart || part.EncapsulatedMessage is not null)
            return Undecoded(part.BodyStart, part.BodyEnd - part.BodyStart);
        if (part.TransferEncoding is not ("7bit" or "8bit" or "binary" or "base64" or "quoted-printable"))
            return null;
        if (!Structure.TryGetDecodedSize(part, out var size))
        {
            size = MeasureDecoded(part);
            Structure.SetDecodedSize(part, size);
        }
        return new SectionContent.Decoded(part, size);
    }

    /// <summary>
    /// BINARY of octets that need no decoding: they go as they are, so a NUL among them must be
    /// found first (one more read of the range) to choose literal8 (RFC 3516 4.2).
    /// </summary>
    private SectionContent.FileRange Undecoded(long start, long count)
    {
        var file = File;
        file.Position = start;
        var buffer = new byte[(int)Math.Min(Math.Max(count, 1), FetchOutput.ChunkSize)];
        long left = count;
        bool nul = false;
        int read;
        while (!nul && left > 0 && (read = file.Read(buffer, 0, (int)Math.Min(left, buffer.Length))) > 0)
        {
            nul = buffer.AsSpan(0, read).Contains((byte)0);
            left -= read;
        }
        return new SectionContent.FileRange(start, Math.Max(0, count), Binary: true, HasNul: nul);
    }

    /// <summary>Decodes the part once, counting octets and looking for NUL, without keeping it.</summary>
    private DecodedSize MeasureDecoded(MimeEntity part)
    {
        using var content = part.OpenContentStream(File);
        var buffer = new byte[64 * 1024];
        long length = 0;
        bool nul = false;
        int read;
        while ((read = content.Read(buffer)) > 0)
        {
            length += read;
            nul = nul || buffer.AsSpan(0, read).Contains((byte)0);
        }
        return new DecodedSize(length, nul);
    }

    private SectionContent Range(long start, long end) => new SectionContent.FileRange(start, Math.Max(0, end - start));

    private static string PartNumber(IReadOnlyList<uint> part) => string.Join('.', part);

    public void Dispose() => _file?.Dispose();
}

/// <summary>What a section resolves to; partial fetches then cut a window of it.</summary>
internal abstract record SectionContent
{
    public static readonly SectionContent Empty = new Octets([]);

    public abstract long Length { get; }

    /// <summary>
    /// Octets of the message file, streamed from it. For BODY (not <paramref name="Binary"/>) a NUL
    /// goes out as 0x80, since a literal cannot carry NUL (RFC 9051 4.3 CHAR8) and the count must
    /// stay; Dovecot does the same. BINARY sends them as they are, in literal8 when <paramref name="HasNul"/>.
    /// </summary>
    public sealed record FileRange(long Offset, long Count, bool Binary = false, bool HasNul = false) : SectionContent
    {
        public override long Length => Count;
    }

    /// <summary>Octets built here (HEADER.FIELDS subsets).</summary>
    public sealed record Octets(byte[] Bytes) : SectionContent
    {
        public override long Length => Bytes.Length;
    }

    /// <summary>A part's content with its transfer encoding decoded (BINARY), streamed as it is decoded.</summary>
    public sealed record Decoded(MimeEntity Part, DecodedSize Size) : SectionContent
    {
        public override long Length => Size.Length;
    }
}

/// <summary>RFC 9051 6.4.5 HEADER.FIELDS and HEADER.FIELDS.NOT: a subset of a header block.</summary>
internal static class HeaderFields
{
    /// <summary>
    /// The fields whose names are (or, for .NOT, are not) in the list, compared case-insensitively,
    /// in the header's order, each as written with its folds and a CRLF; then the blank line, which
    /// "is included in all header fetches, except in the case of a message which has no body and no
    /// blank line" (RFC 9051 6.4.5).
    /// </summary>
    public static byte[] Select(HeaderBlock header, FetchSection section)
    {
        bool not = section.Text == SectionText.HeaderFieldsNot;
        var names = new HashSet<string>(section.Fields, StringComparer.OrdinalIgnoreCase);
        using var output = new MemoryStream();
        foreach (var field in header)
        {
            if (names.Contains(field.Name) == not)
                continue;
            output.Write(field.RawName.Span);
            output.WriteByte((byte)':');
            output.Write(field.RawValue.Span);
            output.Write("\r\n"u8);
        }
        if ((header.Problems & HeaderProblems.MissingBlankLine) == 0)
            output.Write("\r\n"u8);
        return output.ToArray();
    }
}
