// RFC 5322 2.1.1 (line length limits).
namespace Appliance.Mime;

/// <summary>
/// Bounds on what the header reader accepts, so that hostile input costs bounded memory and time.
/// Exceeding a limit never throws: the reader stops or drops, and says so in <see cref="HeaderProblems"/>.
/// </summary>
public sealed class HeaderLimits
{
    public static HeaderLimits Default { get; } = new();

    /// <summary>
    /// Bytes read while looking for the blank line that ends the header block. 102400 is Postfix's
    /// header_size_limit default; Postfix applies it per logical header, we apply it to the whole
    /// block so one read of a stream is bounded. Real headers, even with long Received, DKIM and ARC
    /// chains, stay well below it.
    /// </summary>
    public int MaxHeaderBytes { get; init => field = Positive(value); } = 102_400;

    /// <summary>
    /// RFC 5322 2.1.1: a line MUST be at most 998 characters (excluding CRLF). Longer lines exist in
    /// the wild (long References, broken mailers), so they are accepted and only flagged with
    /// <see cref="HeaderProblems.LongLine"/>; <see cref="MaxHeaderBytes"/> is what bounds them.
    /// </summary>
    public int MaxLineLength { get; init => field = Positive(value); } = 998;

    /// <summary>
    /// Fields kept; the rest are dropped and flagged. Real messages carry well under a hundred
    /// fields: the longest part is the Received trail, which Postfix caps at hopcount_limit 50 and
    /// Exim at received_headers_max 30. 1000 leaves ample room while bounding the field list a
    /// 100 KB block of tiny "a:" lines could otherwise create (tens of thousands of objects).
    /// </summary>
    public int MaxFieldCount { get; init => field = Positive(value); } = 1000;

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        return value;
    }
}
