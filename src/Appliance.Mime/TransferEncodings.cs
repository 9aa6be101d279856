// RFC 2045 6 (Content-Transfer-Encoding): 6.7 quoted-printable, 6.8 base64.
namespace Appliance.Mime;

internal static class TransferEncodings
{
    /// <summary>
    /// Lenient base64 (RFC 2045 6.8): characters outside the alphabet (line breaks, stray junk) are
    /// ignored, as 6.8 tells decoders to; decoding stops at padding; a trailing partial quantum (a cut
    /// prefix, lost padding) yields the whole bytes it holds.
    /// </summary>
    public static byte[] DecodeBase64(ReadOnlySpan<byte> data)
    {
        var output = new byte[data.Length / 4 * 3 + 3];
        return output[..DecodeBase64(data, output)];
    }

    /// <inheritdoc cref="DecodeBase64(ReadOnlySpan{byte})"/>
    /// <remarks><paramref name="output"/> needs data.Length / 4 * 3 + 3 bytes; returns the bytes written.</remarks>
    public static int DecodeBase64(ReadOnlySpan<byte> data, Span<byte> output) =>
        // One set of rules for whole values and streamed content: the incremental decoder.
        new Base64Decoder().Decode(data, output, final: true);

    /// <summary>
    /// Quoted-printable (RFC 2045 6.7): "=XX" is a byte, "=" at a line end is a soft line break. A
    /// malformed "=" is kept literally, as note (2) of 6.7 suggests; lower-case hex is accepted (note (1)), as is bare LF.
    /// </summary>
    public static byte[] DecodeQuotedPrintable(ReadOnlySpan<byte> data)
    {
        var output = new byte[data.Length];
        return output[..DecodeQuotedPrintable(data, output)];
    }

    /// <inheritdoc cref="DecodeQuotedPrintable(ReadOnlySpan{byte})"/>
    /// <remarks><paramref name="output"/> needs data.Length bytes; returns the bytes written.</remarks>
    public static int DecodeQuotedPrintable(ReadOnlySpan<byte> data, Span<byte> output)
    {
        int n = 0;
        for (int i = 0; i < data.Length; i++)
        {
            byte c = data[i];
            if (c != '=')
            {
                output[n++] = c;
                continue;
            }
            if (i + 2 < data.Length && IsHex(data[i + 1]) && IsHex(data[i + 2]))
            {
                output[n++] = (byte)(HexValue(data[i + 1]) << 4 | HexValue(data[i + 2]));
                i += 2;
                continue;
            }
            // Soft line break: "=" then optional transport whitespace then CRLF or LF (6.7 rule 3, 5).
            int j = i + 1;
            while (j < data.Length && data[j] is (byte)' ' or (byte)'\t')
            {
                j++;
            }
            if (j < data.Length && data[j] == '\n')
            {
                i = j;
            }
            else if (j + 1 < data.Length && data[j] == '\r' && data[j + 1] == '\n')
            {
                i = j + 1;
            }
            else if (j >= data.Length)
            {
                i = j; // "=" at the end of a cut prefix: nothing to show
            }
            else
            {
                output[n++] = c;
            }
        }
        return n;
    }

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static int HexValue(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
