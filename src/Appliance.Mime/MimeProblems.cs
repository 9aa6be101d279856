namespace Appliance.Mime;

/// <summary>What the structure parser tolerated or cut short for one entity. Never a reason to throw.</summary>
[Flags]
public enum MimeProblems
{
    None = 0,

    /// <summary>A multipart without a usable boundary parameter: read as one opaque leaf.</summary>
    MissingBoundary = 1 << 0,

    /// <summary>A multipart ended (by its parent's boundary or the end of input) without its close delimiter.</summary>
    MissingCloseDelimiter = 1 << 1,

    /// <summary>A multipart or message nested deeper than <see cref="MimeLimits.MaxDepth"/>: kept as a leaf.</summary>
    TooDeep = 1 << 2,

    /// <summary><see cref="MimeLimits.MaxParts"/> was reached: later parts of this multipart are not in the tree.</summary>
    TooManyParts = 1 << 3,

    /// <summary>A line longer than <see cref="MimeLimits.MaxLineLength"/> (never taken for a delimiter).</summary>
    LongLine = 1 << 4,

    /// <summary>The header block ended without its blank line (cut by a boundary or the end of input).</summary>
    IncompleteHeader = 1 << 5,

    /// <summary>A message/rfc822 part with a base64 or quoted-printable encoding (RFC 2046 5.2.1 forbids it): kept as a leaf.</summary>
    EncodedMessage = 1 << 6,
}
