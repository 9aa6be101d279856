// RFC 2045 6.7 (quoted-printable), 6.8 (base64): the same rules as TransferEncodings, applied to a
// stream chunk by chunk so that a large attachment is never held in memory.
using System.Buffers;
using System.Runtime.CompilerServices;

namespace Appliance.Mime;

/// <summary>A read-only window [start, start + length) of a seekable stream, which it does not own.</summary>
internal sealed class SliceStream : Stream
{
    private readonly Stream inner;
    private readonly long start;
    private readonly long length;
    private long offset;

    public SliceStream(Stream inner, long start, long length)
    {
        this.inner = inner;
        this.start = start;
        this.length = length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => offset; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int want = (int)Math.Min(buffer.Length, length - offset);
        if (want <= 0)
        {
            return 0;
        }
        // Seek every time: the caller may share the raw stream between several part streams.
        inner.Position = start + offset;
        int read = inner.Read(buffer[..want]);
        offset += read;
        return read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// A window [start, start + length) of a stream that cannot seek, reached by reading forward: the
/// bytes before it are read and dropped. Where the stream is comes from its Position when it reports
/// one; otherwise from what this library has read from it so far, taking it to start at the message's
/// first byte. So parts can be read from one forward-only stream in the order of their content; a
/// part whose content the stream has already passed cannot be read, and says so.
/// </summary>
internal sealed class ForwardSliceStream : Stream
{
    // Bytes read through these windows from each stream that cannot report its own position.
    private static readonly ConditionalWeakTable<Stream, StrongBox<long>> Consumed = new();

    private readonly Stream inner;
    private readonly long start;
    private readonly long length;
    private readonly string partNumber;
    private readonly StrongBox<long>? consumed;
    private long offset;

    public ForwardSliceStream(Stream inner, long start, long length, string partNumber)
    {
        this.inner = inner;
        this.start = start;
        this.length = length;
        this.partNumber = partNumber;
        consumed = ReportsPosition(inner) ? null : Consumed.GetOrCreateValue(inner);
        CheckNotPast(start);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => offset; set => throw new NotSupportedException(); }

    private long Current => consumed?.Value ?? inner.Position;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int want = (int)Math.Min(buffer.Length, length - offset);
        if (want <= 0)
        {
            return 0;
        }
        long target = start + offset;
        CheckNotPast(target);
        if (!SkipTo(target))
        {
            return 0; // the stream ended first: the message is shorter than the tree says
        }
        int read = inner.Read(buffer[..want]);
        Advance(read);
        offset += read;
        return read;
    }

    private bool SkipTo(long target)
    {
        long gap = target - Current;
        if (gap <= 0)
        {
            return true;
        }
        byte[] scratch = ArrayPool<byte>.Shared.Rent((int)Math.Min(gap, 64 * 1024));
        try
        {
            while (gap > 0)
            {
                int read = inner.Read(scratch, 0, (int)Math.Min(gap, scratch.Length));
                if (read == 0)
                {
                    return false;
                }
                Advance(read);
                gap -= read;
            }
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void Advance(int read)
    {
        if (consumed is not null)
        {
            consumed.Value += read;
        }
    }

    private void CheckNotPast(long target)
    {
        long at = Current;
        if (at > target)
        {
            throw new InvalidOperationException(
                $"Part {partNumber} needs the raw message from offset {target}, but the stream, which cannot seek, is already at {at}. " +
                "Read parts from a forward-only stream in the order of their content (BodyStart), or pass a seekable stream.");
        }
    }

    private static bool ReportsPosition(Stream stream)
    {
        try
        {
            _ = stream.Position;
            return true;
        }
        catch (NotSupportedException)
        {
            return false; // a socket, a pipe, a decompressor: count what we read instead
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Turns encoded input into decoded output incrementally; state carries across chunk edges.</summary>
internal interface IContentDecoder
{
    /// <summary>Decodes <paramref name="input"/> into <paramref name="output"/> (at least input.Length + 3 bytes); returns bytes written.</summary>
    int Decode(ReadOnlySpan<byte> input, Span<byte> output, bool final);
}

internal sealed class DecodingStream(Stream inner, IContentDecoder decoder) : Stream
{
    private const int ChunkSize = 16 * 1024;
    private readonly byte[] input = new byte[ChunkSize];
    private readonly byte[] output = new byte[ChunkSize * 2 + 8];
    private int outputStart;
    private int outputEnd;
    private bool finished;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (outputStart == outputEnd && !finished)
        {
            int read = inner.Read(input, 0, input.Length);
            finished = read == 0;
            outputStart = 0;
            outputEnd = decoder.Decode(input.AsSpan(0, read), output, finished);
        }
        int n = Math.Min(buffer.Length, outputEnd - outputStart);
        output.AsSpan(outputStart, n).CopyTo(buffer);
        outputStart += n;
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>
/// RFC 2045 6.8: characters outside the base64 alphabet are ignored (line breaks, garbage); "="
/// ends the data; a partial quantum at the end yields the whole bytes it holds.
/// </summary>
internal sealed class Base64Decoder : IContentDecoder
{
    private int accumulator;
    private int bits;
    private bool ended;

    public int Decode(ReadOnlySpan<byte> input, Span<byte> output, bool final)
    {
        int n = 0;
        foreach (byte c in input)
        {
            if (ended)
            {
                break;
            }
            int value = c switch
            {
                >= (byte)'A' and <= (byte)'Z' => c - 'A',
                >= (byte)'a' and <= (byte)'z' => c - 'a' + 26,
                >= (byte)'0' and <= (byte)'9' => c - '0' + 52,
                (byte)'+' => 62,
                (byte)'/' => 63,
                (byte)'=' => -2,
                _ => -1,
            };
            if (value == -2)
            {
                ended = true;
            }
            else if (value >= 0)
            {
                accumulator = (accumulator << 6) | value;
                bits += 6;
                if (bits >= 8)
                {
                    bits -= 8;
                    output[n++] = (byte)(accumulator >> bits);
                    accumulator &= (1 << bits) - 1;
                }
            }
        }
        return n;
    }
}

/// <summary>
/// RFC 2045 6.7: "=XX" is a byte, "=" before a line end (after optional whitespace) is a soft line
/// break, a malformed "=" stays literal (note 2). An "=" near the end of a chunk waits for the next one.
/// </summary>
internal sealed class QuotedPrintableDecoder : IContentDecoder
{
    /// <summary>Whitespace after "=" that we wait for before calling the "=" literal; real soft breaks carry none or a few.</summary>
    private const int MaxPending = 256;

    private byte[] pending = [];

    public int Decode(ReadOnlySpan<byte> input, Span<byte> output, bool final)
    {
        byte[] data = new byte[pending.Length + input.Length];
        pending.CopyTo(data, 0);
        input.CopyTo(data.AsSpan(pending.Length));
        pending = [];
        // Hold back from an "=" whose meaning depends on bytes still to come; cutting there can leave
        // an earlier "=" in the same position, so repeat.
        int usable = data.Length;
        while (!final)
        {
            int equals = data.AsSpan(0, usable).LastIndexOf((byte)'=');
            if (equals < 0 || usable - equals > MaxPending || !Undecided(data.AsSpan(equals + 1, usable - equals - 1)))
            {
                break;
            }
            usable = equals;
        }
        pending = data[usable..];
        // Decoded output is never longer than its input; the interface promises room for the input.
        return TransferEncodings.DecodeQuotedPrintable(data.AsSpan(0, usable), output);
    }

    /// <summary>True when the bytes after an "=" are too few to tell a byte, a soft break or a literal apart.</summary>
    private static bool Undecided(ReadOnlySpan<byte> after)
    {
        if (after.Length < 2)
        {
            return true;
        }
        ReadOnlySpan<byte> rest = after.TrimStart(" \t"u8);
        return rest.IsEmpty || (rest.Length == 1 && rest[0] == '\r');
    }
}
