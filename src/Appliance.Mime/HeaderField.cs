// RFC 5322 2.2 (header fields), 2.2.3 (unfolding); RFC 6532 3.2 (UTF-8 header values).
namespace Appliance.Mime;

/// <summary>One header field (RFC 5322 2.2): a name and its value, raw and unfolded.</summary>
public sealed class HeaderField
{
    private string? value;

    internal HeaderField(string name, ReadOnlyMemory<byte> rawName, ReadOnlyMemory<byte> rawValue)
    {
        Name = name;
        RawName = rawName;
        RawValue = rawValue;
    }

    /// <summary>The field name as written (compare case-insensitively: RFC 5322 1.2.2, RFC 5234 2.3).</summary>
    public string Name { get; }

    /// <summary>
    /// The bytes before the colon, including any whitespace between name and colon (RFC 5322 4.5.8
    /// obs-optional), which DKIM's simple canonicalization (RFC 6376 3.4.1) keeps.
    /// </summary>
    public ReadOnlyMemory<byte> RawName { get; }

    /// <summary>
    /// The bytes after the colon up to the end of the field's last line: folds included, final line
    /// end excluded. Kept byte-exact because DKIM (RFC 6376 3.4.1) signs the header as sent.
    /// </summary>
    public ReadOnlyMemory<byte> RawValue { get; }

    /// <summary>
    /// The value unfolded (RFC 5322 2.2.3) and trimmed of surrounding whitespace. 8-bit bytes are read
    /// as UTF-8 when valid (RFC 6532 3.2), else as Latin-1. Encoded-words are left as written.
    /// </summary>
    // Unfolded on first use: most fields of a parsed message are never read, and their strings were
    // most of the bytes allocated per message on the mime benchmark. The race is benign (same result).
    public string Value => value ??= Unfold(RawValue.Span);

    /// <summary>The value as unstructured text with RFC 2047 encoded-words decoded (Subject, Comments ...).</summary>
    public string DecodeText() => EncodedWords.Decode(Value);

    public override string ToString() => Name + ": " + Value;

    internal static string Unfold(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOfAny((byte)'\r', (byte)'\n') < 0)
        {
            return Charsets.DecodeRaw(raw.Trim(" \t"u8)); // not folded: no copy needed
        }
        // RFC 5322 2.2.3: unfolding removes each CRLF that is followed by WSP; the WSP stays. Inside a
        // field every line break is such a fold, and we accept a bare LF the same way.
        byte[] unfolded = new byte[raw.Length];
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'\n' || (b == (byte)'\r' && i + 1 < raw.Length && raw[i + 1] == (byte)'\n'))
            {
                continue;
            }
            unfolded[n++] = b;
        }
        ReadOnlySpan<byte> value = unfolded.AsSpan(0, n).Trim(" \t"u8);
        return Charsets.DecodeRaw(value);
    }
}
