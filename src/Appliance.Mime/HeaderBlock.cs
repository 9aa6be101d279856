// RFC 5322 (Internet Message Format) section 2.2 header fields, 3.2.2 folding, 4.5 obsolete header
// syntax; RFC 6532 (internationalized headers, raw UTF-8 values).
using System.Buffers;
using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// A parsed header block: the fields in order, how many input bytes it took (the body starts there)
/// and what was tolerated. Parsing never throws on malformed input.
/// </summary>
public sealed class HeaderBlock : IReadOnlyList<HeaderField>
{
    private static readonly HeaderFieldSlot[] NoFields = [];
    private readonly byte[] block;
    // Where each field is in the block; its HeaderField is made on first use. A part's header is
    // mostly read for its Content-* fields only, and an object per field was a large share of the
    // allocations per part on the mime benchmark.
    private readonly HeaderFieldSlot[] slots;

    internal HeaderBlock(byte[] block, HeaderFieldSlot[] slots, int length, HeaderProblems problems)
    {
        this.block = block;
        this.slots = slots.Length == 0 ? NoFields : slots;
        Length = length;
        Problems = problems;
    }

    /// <summary>Bytes of input the block took, including its blank line when present: the body's offset.</summary>
    public int Length { get; }

    public HeaderProblems Problems { get; }

    /// <summary>True when the block ended with its blank line, so that <see cref="Length"/> is where the body starts.</summary>
    public bool IsComplete => (Problems & (HeaderProblems.MissingBlankLine | HeaderProblems.TooLarge)) == 0;

    public int Count => slots.Length;

    public HeaderField this[int index] => Field(index);

    /// <summary>The first field with this name (names are ABNF literals, case-insensitive: RFC 5322 1.2.2, RFC 5234 2.3), or null.</summary>
    public HeaderField? Get(string name)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            if (NameIs(i, name))
            {
                return Field(i);
            }
        }
        return null;
    }

    /// <summary>All fields with this name, in order.</summary>
    public IEnumerable<HeaderField> GetAll(string name)
    {
        for (int i = 0; i < slots.Length; i++)
        {
            if (NameIs(i, name))
            {
                yield return Field(i);
            }
        }
    }

    public IEnumerator<HeaderField> GetEnumerator()
    {
        for (int i = 0; i < slots.Length; i++)
        {
            yield return Field(i);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The name of field <paramref name="index"/>, without making its <see cref="HeaderField"/>.</summary>
    internal string NameAt(int index)
    {
        ref HeaderFieldSlot slot = ref slots[index];
        // Racing readers make equal strings; the common names are shared ones anyway.
        return slot.Name ??= HeaderParser.FieldName(block.AsSpan(slot.NameStart, slot.NameLength));
    }

    /// <summary>
    /// True when field <paramref name="index"/> has this name (ABNF literals, case-insensitive: RFC
    /// 5322 1.2.2, RFC 5234 2.3), compared on the bytes without making a string.
    /// </summary>
    internal bool NameIs(int index, string name)
    {
        ref HeaderFieldSlot slot = ref slots[index];
        return slot.NameLength == name.Length && Ascii.EqualsIgnoreCase(block.AsSpan(slot.NameStart, slot.NameLength), name);
    }

    /// <summary>The raw value of field <paramref name="index"/> (see <see cref="HeaderField.RawValue"/>), without making its <see cref="HeaderField"/>.</summary>
    internal ReadOnlySpan<byte> RawValueAt(int index) => block.AsSpan(slots[index].ValueStart, slots[index].ValueLength);

    private HeaderField Field(int index)
    {
        ref HeaderFieldSlot slot = ref slots[index];
        HeaderField? field = Volatile.Read(ref slot.Field);
        if (field is null)
        {
            var made = new HeaderField(NameAt(index), block.AsMemory(slot.NameStart, slot.RawNameLength), block.AsMemory(slot.ValueStart, slot.ValueLength));
            // Racing readers agree on one object.
            field = Interlocked.CompareExchange(ref slot.Field, made, null) ?? made;
        }
        return field;
    }

    /// <summary>
    /// Parses the header block at the start of <paramref name="data"/>: up to and including the blank
    /// line, or all of it when there is none (flagged), but never more than
    /// <see cref="HeaderLimits.MaxHeaderBytes"/>.
    /// </summary>
    public static HeaderBlock Parse(ReadOnlySpan<byte> data, HeaderLimits? limits = null) =>
        HeaderParser.Parse(data, limits ?? HeaderLimits.Default);

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte}, HeaderLimits?)"/>
    public static HeaderBlock Parse(in ReadOnlySequence<byte> data, HeaderLimits? limits = null)
    {
        limits ??= HeaderLimits.Default;
        if (data.IsSingleSegment)
        {
            return HeaderParser.Parse(data.FirstSpan, limits);
        }
        // The parser never looks past MaxHeaderBytes, so copying that much is enough and bounded.
        return HeaderParser.Parse(data.Slice(0, Math.Min(data.Length, limits.MaxHeaderBytes)).ToArray(), limits);
    }

    /// <summary>
    /// Incremental form for a PipeReader: returns false, consuming nothing, while the blank line has not
    /// arrived and more input may come. Returns true with the block once it is complete, once
    /// <see cref="HeaderLimits.MaxHeaderBytes"/> is reached, or when <paramref name="isFinalBlock"/> says
    /// no more input will come. Advance the reader by <see cref="Length"/>. Each call rescans the
    /// buffered bytes (at most MaxHeaderBytes), so call it when new data arrives, not per byte.
    /// </summary>
    public static bool TryParse(in ReadOnlySequence<byte> buffer, bool isFinalBlock, [NotNullWhen(true)] out HeaderBlock? block, HeaderLimits? limits = null)
    {
        limits ??= HeaderLimits.Default;
        ReadOnlySequence<byte> window = buffer.Slice(0, Math.Min(buffer.Length, limits.MaxHeaderBytes));
        byte[]? copy = window.IsSingleSegment ? null : window.ToArray();
        ReadOnlySpan<byte> span = copy ?? window.FirstSpan;
        HeaderParser.FindEnd(span, out bool found);
        if (!found && !isFinalBlock && buffer.Length < limits.MaxHeaderBytes)
        {
            block = null;
            return false;
        }
        block = HeaderParser.Parse(span, limits);
        return true;
    }

    /// <summary>
    /// Reads the header block from a stream and leaves the stream positioned at the first body byte
    /// (or after <see cref="HeaderLimits.MaxHeaderBytes"/> when the block is too large). A seekable
    /// stream is read in chunks and repositioned; any other stream is read a byte at a time so that
    /// nothing past the header is consumed. I/O errors propagate; malformed content never throws.
    /// </summary>
    public static HeaderBlock Read(Stream stream, HeaderLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        limits ??= HeaderLimits.Default;
        int max = limits.MaxHeaderBytes;
        byte[] buffer = new byte[Math.Min(max, 4096)];
        int filled = 0;
        if (stream.CanSeek)
        {
            while (filled < max)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, Math.Min(max, buffer.Length * 2));
                }
                int read = stream.Read(buffer, filled, buffer.Length - filled);
                if (read == 0)
                {
                    break;
                }
                // Rescan from just before the new bytes: the blank line may straddle the chunk edge.
                int from = Math.Max(0, filled - 2);
                filled += read;
                HeaderParser.FindEnd(buffer.AsSpan(0, filled), out bool found, from);
                if (found)
                {
                    break;
                }
            }
            HeaderBlock block = HeaderParser.Parse(buffer.AsSpan(0, filled), limits);
            if (block.Length < filled)
            {
                stream.Seek(block.Length - filled, SeekOrigin.Current);
            }
            return block;
        }

        // Not seekable: one byte at a time, so we stop exactly after the blank line.
        int lineStart = 0;
        while (filled < max)
        {
            int b = stream.ReadByte();
            if (b < 0)
            {
                break;
            }
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(max, buffer.Length * 2));
            }
            buffer[filled++] = (byte)b;
            if (b == '\n')
            {
                int lineLength = filled - lineStart;
                if (lineLength == 1 || (lineLength == 2 && buffer[filled - 2] == '\r'))
                {
                    break; // an empty line: the end of the header (RFC 5322 2.1)
                }
                lineStart = filled;
            }
        }
        return HeaderParser.Parse(buffer.AsSpan(0, filled), limits);
    }
}

/// <summary>
/// Where one field's name (RFC 5322 2.2; as written, and without whitespace before the colon, 4.5.8)
/// and value lie in its header block, with its name string and its object once made.
/// </summary>
internal struct HeaderFieldSlot(int nameStart, int nameLength, int valueStart, int valueLength)
{
    public readonly int NameStart = nameStart;
    public readonly int NameLength = nameLength;
    public readonly int ValueStart = valueStart;
    public readonly int ValueLength = valueLength;
    public string? Name;
    public HeaderField? Field;

    /// <summary>The name as written runs up to the colon, which stands just before the value.</summary>
    public readonly int RawNameLength => ValueStart - 1 - NameStart;
}
