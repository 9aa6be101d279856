// RFC 2045 6.7 (quoted-printable), 6.8 (base64): the same rules as TransferEncodings, applied to a
// stream chunk by chunk so that a large attachment is never held in memory.
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
        if (!inner.CanSeek)
        {
            throw new ArgumentException("The raw message stream must be seekable.", nameof(inner));
        }
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
