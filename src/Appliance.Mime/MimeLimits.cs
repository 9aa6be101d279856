// RFC 2046 5.1 (multipart nesting), RFC 5322 2.1.1 (line length).
namespace Appliance.Mime;

/// <summary>
/// Bounds on what <see cref="MimeParser"/> builds, so that hostile input costs bounded memory and time.
/// Past a limit the content stays in the tree as an opaque leaf and the entity says so in
/// <see cref="MimeEntity.Problems"/>; nothing throws.
/// </summary>
public sealed class MimeLimits
{
    public static MimeLimits Default { get; } = new();

    /// <summary>
    /// Entities open at once, the message itself counting as one. 100 is Postfix's
    /// mime_nesting_limit default; a multipart or message/rfc822 deeper than this is a leaf.
    /// </summary>
    public int MaxDepth { get; init => field = Positive(value); } = 100;

    /// <summary>
    /// Entities in one tree. Our choice: real messages have a few dozen parts, large digests a few
    /// hundred; 10,000 bounds the tree that a message of a million tiny parts could otherwise create.
    /// Once reached, a multipart keeps its remaining parts as opaque bytes (an epilogue).
    /// </summary>
    public int MaxParts { get; init => field = Positive(value); } = 10_000;

    /// <summary>
    /// Bytes of a line examined for a boundary delimiter. 2048 is Postfix's line_length_limit
    /// default; RFC 2046 5.1.1 caps boundaries at 70 characters, so a longer line is never a
    /// delimiter and is only flagged with <see cref="MimeProblems.LongLine"/>.
    /// </summary>
    public int MaxLineLength { get; init => field = Positive(value); } = 2048;

    /// <summary>Limits for each entity's header block (size and field count; see <see cref="HeaderLimits"/>).</summary>
    public HeaderLimits Header { get; init => field = value ?? throw new ArgumentNullException(nameof(value)); } = HeaderLimits.Default;

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
        return value;
    }
}
