namespace Appliance.Mime;

/// <summary>What the header reader tolerated. None of these stop parsing; callers may score or log them.</summary>
[Flags]
public enum HeaderProblems
{
    None = 0,

    /// <summary>The input ended before the blank line that ends the header (RFC 5322 2.1).</summary>
    MissingBlankLine = 1 << 0,

    /// <summary><see cref="HeaderLimits.MaxHeaderBytes"/> was reached before the blank line; the rest was not read.</summary>
    TooLarge = 1 << 1,

    /// <summary>More than <see cref="HeaderLimits.MaxFieldCount"/> fields; the excess was dropped.</summary>
    TooManyFields = 1 << 2,

    /// <summary>A line longer than <see cref="HeaderLimits.MaxLineLength"/> (RFC 5322 2.1.1).</summary>
    LongLine = 1 << 3,

    /// <summary>A line ended with LF alone instead of CRLF (RFC 5322 2.2 requires CRLF).</summary>
    BareLineFeed = 1 << 4,

    /// <summary>A line without a colon, or with an invalid field name (RFC 5322 2.2, 3.6.8); it was skipped.</summary>
    MalformedLine = 1 << 5,

    /// <summary>A folded continuation line with no field before it (RFC 5322 2.2.3); it was skipped.</summary>
    OrphanContinuation = 1 << 6,
}
