// RFC 2045 (MIME), RFC 2046 5.1 (multipart: 5.1.1 delimiters, 5.1.5 digest), 5.2.1 (message/rfc822),
// RFC 6532 3.7 (message/global), RFC 9051 6.4.5 (part numbers).
using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// Reads the structure of a message as it streams past: only header blocks and boundary lines are
/// kept, bodies are skipped over while their offsets, sizes and line counts are noted. Work is linear
/// in the input and the tree is bounded by <see cref="MimeLimits"/>; malformed input never throws.
/// </summary>
public sealed class MimeParser
{
    private const int ChunkSize = 64 * 1024;

    private readonly MimeLimits limits;
    private readonly List<Frame> stack = [];
    private readonly MimeEntity root;
    private readonly int maxPrefix;
    // One header buffer for the whole parse, rented from the pool and returned by Complete: only the
    // innermost entity reads a header at a time, and a fresh buffer per message was a fifth of the
    // bytes allocated per simple message on the mime benchmark.
    private byte[]? headerBuffer;
    private int headerCount;
    private bool headerTruncated; // bytes of the current header were dropped at MaxHeaderBytes
    private byte[] linePrefix = new byte[2]; // grows on the first "--" line; most messages have none
    private int prefixLength;
    private long position;
    private long lineStart;
    private long lineLength;
    private byte lastByte;
    private long lineFeeds;
    private long bareLineFeeds;
    private long previousTerminatorStart = -1;
    private bool previousTerminatorBare;
    private int entityCount = 1;
    private bool completed;

    internal MimeParser(MimeLimits? limits = null)
    {
        this.limits = limits ?? MimeLimits.Default;
        // Room for the longest line we examine plus its CRLF.
        maxPrefix = this.limits.MaxLineLength + 2;
        root = new MimeEntity(null, 0, "text/plain", isMessage: true);
        stack.Add(new Frame(root));
    }

    /// <summary>Reads <paramref name="message"/> to its end in chunks; the stream is not disposed. I/O errors propagate.</summary>
    public static MimeEntity Parse(Stream message, MimeLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        var parser = new MimeParser(limits);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        try
        {
            int read;
            while ((read = message.Read(buffer, 0, ChunkSize)) > 0)
            {
                parser.Write(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return parser.Complete();
    }

    public static MimeEntity Parse(in ReadOnlySequence<byte> message, MimeLimits? limits = null)
    {
        var parser = new MimeParser(limits);
        foreach (ReadOnlyMemory<byte> segment in message)
        {
            parser.Write(segment.Span);
        }
        return parser.Complete();
    }

    public static MimeEntity Parse(ReadOnlySpan<byte> message, MimeLimits? limits = null)
    {
        var parser = new MimeParser(limits);
        parser.Write(message);
        return parser.Complete();
    }

    /// <summary>Feeds the next bytes of the message; chunk edges may fall anywhere.</summary>
    internal void Write(ReadOnlySpan<byte> chunk)
    {
        if (completed)
        {
            throw new InvalidOperationException("The parser has completed.");
        }
        while (!chunk.IsEmpty)
        {
            if (lineLength == 0)
            {
                chunk = chunk[TakePlainLines(chunk)..];
                if (chunk.IsEmpty)
                {
                    break;
                }
            }
            int lf = chunk.IndexOf((byte)'\n');
            ReadOnlySpan<byte> segment = lf < 0 ? chunk : chunk[..(lf + 1)];
            bool crBeforeLf = lf >= 0 && (segment.Length >= 2 ? segment[^2] == '\r' : lineLength > 0 && lastByte == '\r');
            Append(segment);
            chunk = chunk[segment.Length..];
            if (lf >= 0)
            {
                EndLine(terminated: true, crBeforeLf);
            }
        }
    }

    /// <summary>
    /// Whole lines that cannot be delimiters (they do not start with "-") and, in a header, are not
    /// its blank line need only counting for sizes, line counts and the long-line flag, and a header's
    /// lines collecting: this does exactly what <see cref="Append"/> and <see cref="EndLine"/> would
    /// do for them, without the per-line bookkeeping of a line that might matter. Stops at a line
    /// starting with "-", a header's blank line, or a line the chunk does not finish. Returns the bytes taken.
    /// </summary>
    private int TakePlainLines(ReadOnlySpan<byte> chunk)
    {
        ref Frame top = ref Top;
        MimeEntity entity = top.Entity;
        bool header = top.ReadingHeader;
        int taken = 0;
        while (true)
        {
            ReadOnlySpan<byte> rest = chunk[taken..];
            int lf = rest.IndexOf((byte)'\n');
            if (lf < 0 || rest[0] == '-')
            {
                break;
            }
            bool cr = lf > 0 && rest[lf - 1] == '\r';
            int contentLength = cr ? lf - 1 : lf;
            if (header && contentLength == 0)
            {
                break; // RFC 5322 2.1: the blank line ends the header; the full path handles it
            }
            if (contentLength > limits.MaxLineLength)
            {
                entity.Problems |= MimeProblems.LongLine;
            }
            lineFeeds++;
            bareLineFeeds += cr ? 0 : 1;
            previousTerminatorStart = position + contentLength;
            previousTerminatorBare = !cr;
            position += lf + 1;
            taken += lf + 1;
        }
        if (taken > 0)
        {
            if (header)
            {
                CollectHeader(chunk[..taken]);
            }
            lineStart = position;
            lastByte = (byte)'\n';
        }
        return taken;
    }

    /// <summary>Ends the input: closes every open entity at the end (part numbers are computed when first asked for).</summary>
    internal MimeEntity Complete()
    {
        if (!completed)
        {
            if (lineLength > 0)
            {
                EndLine(terminated: false, crBeforeLf: false);
            }
            completed = true;
            while (stack.Count > 0)
            {
                Close(ref Top, position, lineFeeds, bareLineFeeds);
                stack.RemoveAt(stack.Count - 1);
            }
            if (headerBuffer is not null)
            {
                ArrayPool<byte>.Shared.Return(headerBuffer);
                headerBuffer = null;
                headerCount = 0;
                headerTruncated = false;
            }
        }
        return root;
    }

    /// <summary>Where the message's body starts, once its header has ended; null before that.</summary>
    internal long? RootBodyStart => stack.Count > 0 && At(0).ReadingHeader ? null : root.BodyStart;

    private ReadOnlySpan<byte> HeaderBytes => headerBuffer.AsSpan(0, headerCount);

    /// <summary>
    /// Keeps at most MaxHeaderBytes of a header: HeaderParser then reports TooLarge, and a 50 MB folded
    /// header costs a scan, not memory. Only the innermost entity can be reading its header.
    /// </summary>
    private void CollectHeader(ReadOnlySpan<byte> bytes)
    {
        int headerRoom = limits.Header.MaxHeaderBytes - headerCount;
        if (headerRoom > 0)
        {
            AppendHeader(bytes[..Math.Min(headerRoom, bytes.Length)]);
        }
        headerTruncated |= headerRoom < bytes.Length;
    }

    private void AppendHeader(ReadOnlySpan<byte> bytes)
    {
        if (headerBuffer is null || headerCount + bytes.Length > headerBuffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(1024, (headerCount + bytes.Length) * 2));
            if (headerBuffer is not null)
            {
                headerBuffer.AsSpan(0, headerCount).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(headerBuffer);
            }
            headerBuffer = larger;
        }
        bytes.CopyTo(headerBuffer.AsSpan(headerCount));
        headerCount += bytes.Length;
    }

    private void Append(ReadOnlySpan<byte> segment)
    {
        // Only a line starting with "--" can be a delimiter: other lines keep just their first two bytes.
        ReadOnlySpan<byte> take = segment;
        if (prefixLength < 2)
        {
            int first = Math.Min(2 - prefixLength, take.Length);
            take[..first].CopyTo(linePrefix.AsSpan(prefixLength));
            prefixLength += first;
            take = take[first..];
        }
        if (prefixLength >= 2 && linePrefix[0] == '-' && linePrefix[1] == '-' && !take.IsEmpty)
        {
            int n = Math.Min(maxPrefix - prefixLength, take.Length);
            if (prefixLength + n > linePrefix.Length)
            {
                Array.Resize(ref linePrefix, Math.Min(maxPrefix, Math.Max(linePrefix.Length * 2, prefixLength + n)));
            }
            take[..n].CopyTo(linePrefix.AsSpan(prefixLength));
            prefixLength += n;
        }
        if (Top.ReadingHeader)
        {
            CollectHeader(segment);
        }
        lineLength += segment.Length;
        position += segment.Length;
        lastByte = segment[^1];
    }

    private void EndLine(bool terminated, bool crBeforeLf)
    {
        long lineEnd = position;
        long terminatorStart = terminated ? lineEnd - 1 - (crBeforeLf ? 1 : 0) : lineEnd;
        long contentLength = terminatorStart - lineStart;
        long lineFeedsBefore = lineFeeds;
        long bareBefore = bareLineFeeds;
        if (terminated)
        {
            lineFeeds++;
            bareLineFeeds += crBeforeLf ? 0 : 1;
        }
        ProcessLine(lineEnd, contentLength, lineFeedsBefore, bareBefore);
        previousTerminatorStart = terminatorStart;
        previousTerminatorBare = terminated && !crBeforeLf;
        lineStart = lineEnd;
        lineLength = 0;
        prefixLength = 0;
    }

    private void ProcessLine(long lineEnd, long contentLength, long lineFeedsBefore, long bareBefore)
    {
        ref Frame top = ref Top;
        if (contentLength > limits.MaxLineLength)
        {
            top.Entity.Problems |= MimeProblems.LongLine;
        }
        else if (contentLength >= 2 && linePrefix[0] == '-' && linePrefix[1] == '-')
        {
            ReadOnlySpan<byte> content = linePrefix.AsSpan(0, (int)contentLength);
            // RFC 2046 5.1.1: the innermost open multipart whose delimiter this is; a parent's
            // delimiter also ends children whose own close delimiter never came.
            for (int k = stack.Count - 1; k >= 0; k--)
            {
                ref Frame frame = ref At(k);
                if (frame.Delimiter is not null && !frame.Closed && IsDelimiter(content, frame.Delimiter, out bool close))
                {
                    OnDelimiter(k, close, lineEnd, lineFeedsBefore, bareBefore);
                    return;
                }
            }
        }
        if (top.ReadingHeader && contentLength == 0)
        {
            FinishHeader(ref top, lineEnd); // RFC 5322 2.1: the first empty line ends the header
        }
    }

    /// <summary>
    /// RFC 2046 5.1.1: delimiter := "--" boundary transport-padding, close-delimiter := delimiter "--";
    /// transport padding is linear whitespace. Requiring only whitespace after the boundary keeps a
    /// boundary that is a prefix of another ("abc", "abcd") from matching the longer one's lines.
    /// </summary>
    private static bool IsDelimiter(ReadOnlySpan<byte> line, byte[] delimiter, out bool close)
    {
        close = false;
        if (!line.StartsWith(delimiter))
        {
            return false;
        }
        ReadOnlySpan<byte> rest = line[delimiter.Length..];
        if (rest.StartsWith("--"u8))
        {
            close = true;
            rest = rest[2..];
        }
        return rest.Trim(" \t"u8).IsEmpty;
    }

    private void OnDelimiter(int index, bool close, long lineEnd, long lineFeedsBefore, long bareBefore)
    {
        // RFC 2046 5.1.1: the CRLF before the delimiter line belongs to the delimiter, so the part
        // before it ends where the previous line's break starts.
        long cut = previousTerminatorStart >= 0 ? previousTerminatorStart : lineStart;
        long lineFeedsBeforeCut = previousTerminatorStart >= 0 ? lineFeedsBefore - 1 : lineFeedsBefore;
        long bareBeforeCut = previousTerminatorStart >= 0 && previousTerminatorBare ? bareBefore - 1 : bareBefore;
        while (stack.Count - 1 > index)
        {
            Close(ref Top, cut, lineFeedsBeforeCut, bareBeforeCut);
            stack.RemoveAt(stack.Count - 1);
        }
        ref Frame multipart = ref At(index);
        if (close)
        {
            multipart.Closed = true; // what follows is the epilogue (RFC 2046 5.1.1)
            multipart.SawClose = true;
            return;
        }
        if (entityCount >= limits.MaxParts)
        {
            multipart.Closed = true;
            multipart.Entity.Problems |= MimeProblems.TooManyParts;
            return;
        }
        // RFC 2046 5.1.5: in a digest a part without Content-Type is a message/rfc822.
        string defaultType = multipart.Entity.MediaSubtype == "digest" ? "message/rfc822" : "text/plain";
        var part = new MimeEntity(multipart.Entity, lineEnd, defaultType, isMessage: false);
        multipart.Entity.AddChild(part);
        entityCount++;
        headerCount = 0;
        headerTruncated = false;
        stack.Add(new Frame(part));
    }

    // Unless bytes were dropped at MaxHeaderBytes, the collected header ends with the blank line just seen.
    private void FinishHeader(ref Frame frame, long bodyStart) =>
        Begin(ref frame, HeaderParser.Parse(HeaderBytes, limits.Header, endsAtBlankLine: !headerTruncated), bodyStart);

    /// <summary>The header is complete: decide what the body is (RFC 2045 5, RFC 2046 5.1, 5.2.1).</summary>
    private void Begin(ref Frame frame, HeaderBlock header, long bodyStart)
    {
        MimeEntity entity = frame.Entity;
        entity.ApplyHeader(header);
        frame.ReadingHeader = false;
        entity.BodyStart = bodyStart;
        entity.BodyEnd = bodyStart;
        frame.LineFeedsAtBodyStart = lineFeeds;
        frame.BareLineFeedsAtBodyStart = bareLineFeeds;
        if (entity.MediaType == "multipart")
        {
            string? boundary = entity.GetContentTypeParameter("boundary");
            if (string.IsNullOrEmpty(boundary))
            {
                entity.Problems |= MimeProblems.MissingBoundary;
            }
            else if (stack.Count >= limits.MaxDepth)
            {
                entity.Problems |= MimeProblems.TooDeep;
            }
            else
            {
                entity.Boundary = boundary;
                byte[] delimiter = new byte[2 + Encoding.UTF8.GetByteCount(boundary)];
                delimiter[0] = delimiter[1] = (byte)'-';
                Encoding.UTF8.GetBytes(boundary, delimiter.AsSpan(2));
                frame.Delimiter = delimiter;
            }
        }
        else if (entity.MediaType == "message" && entity.MediaSubtype is "rfc822" or "global")
        {
            if (entity.TransferEncoding is "base64" or "quoted-printable")
            {
                entity.Problems |= MimeProblems.EncodedMessage;
            }
            else if (stack.Count >= limits.MaxDepth)
            {
                entity.Problems |= MimeProblems.TooDeep;
            }
            else if (entityCount >= limits.MaxParts)
            {
                entity.Problems |= MimeProblems.TooManyParts;
            }
            else
            {
                // RFC 2046 5.2.1: the body is a complete message, its header starting right here.
                var message = new MimeEntity(entity, bodyStart, "text/plain", isMessage: true);
                entity.AddChild(message);
                entityCount++;
                headerCount = 0;
                headerTruncated = false;
                stack.Add(new Frame(message));
            }
        }
    }

    private void Close(ref Frame frame, long end, long lineFeedsBeforeEnd, long bareBeforeEnd)
    {
        MimeEntity entity = frame.Entity;
        if (frame.ReadingHeader)
        {
            // The header never reached its blank line: it runs to the cut, and the body is empty.
            long headerLength = Math.Max(0, end - entity.HeaderStart);
            ReadOnlySpan<byte> bytes = HeaderBytes;
            entity.ApplyHeader(HeaderParser.Parse(bytes[..(int)Math.Min(bytes.Length, headerLength)], limits.Header));
            frame.ReadingHeader = false;
            entity.Problems |= MimeProblems.IncompleteHeader;
            entity.BodyStart = entity.HeaderStart + headerLength;
            entity.BodyEnd = entity.BodyStart;
            entity.BodyLines = 0;
            return;
        }
        if (entity.Children.Count > 0 && entity.Children[^1].BodyEnd > end)
        {
            // The last child began at the delimiter line itself (an empty part, or a header whose
            // blank line is also the delimiter's line break): that line break cannot belong both to
            // the delimiter and to the child, so the parent keeps it and still contains its child.
            end = entity.Children[^1].BodyEnd;
            lineFeedsBeforeEnd++;
            bareBeforeEnd += previousTerminatorBare ? 1 : 0;
        }
        entity.BodyEnd = Math.Max(entity.BodyStart, end);
        // Line breaks in the body, as Dovecot counts body-fld-lines: a last line without one is not counted.
        entity.BodyLines = entity.BodyEnd > entity.BodyStart ? lineFeedsBeforeEnd - frame.LineFeedsAtBodyStart : 0;
        entity.BodyBareLineFeeds = entity.BodyEnd > entity.BodyStart ? bareBeforeEnd - frame.BareLineFeedsAtBodyStart : 0;
        if (frame.Delimiter is not null && !frame.SawClose && (entity.Problems & MimeProblems.TooManyParts) == 0)
        {
            entity.Problems |= MimeProblems.MissingCloseDelimiter;
        }
    }

    // Frames live by value in the stack's array, not as an object per entity; a ref into the array
    // is only held until the next push.
    private ref Frame At(int index) => ref CollectionsMarshal.AsSpan(stack)[index];

    private ref Frame Top => ref At(stack.Count - 1);

    private struct Frame(MimeEntity entity)
    {
        public readonly MimeEntity Entity = entity;

        /// <summary>True until the header's blank line; its bytes collect in the parser's one header buffer.</summary>
        public bool ReadingHeader = true;

        /// <summary>"--" boundary, when the entity is read as a multipart.</summary>
        public byte[]? Delimiter;

        /// <summary>No more parts: after the close delimiter, or once the parts limit was reached.</summary>
        public bool Closed;

        public bool SawClose;

        public long LineFeedsAtBodyStart;

        public long BareLineFeedsAtBodyStart;
    }
}
