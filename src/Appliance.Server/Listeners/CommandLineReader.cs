// RFC 5321 section 2.3.8 and 4.5.3.1.4 (SMTP command lines), RFC 1939 section 3 and RFC 2449 section 4 (POP3 command lines, 255 octets).
using System.Buffers;

namespace Appliance.Server.Listeners;

internal enum LineStatus
{
    /// <summary>A whole line is in the buffer.</summary>
    Complete,
    /// <summary>No line end yet, and the line is still within the limit: read more, consume nothing.</summary>
    Incomplete,
    /// <summary>No line end within the limit: the line must be skipped (see <see cref="CommandLineReader.TrySkipLine"/>) and refused.</summary>
    TooLong,
}

/// <summary>
/// Finds command lines in the connection's buffer without consuming anything: the session advances
/// the reader in one place. A command line ends with LF; a CR before it is dropped. Postfix and
/// most servers accept a bare LF at the end of a command (only message data needs strict CRLF,
/// where the difference is a smuggling hole; see Smtp.DotStuffedDataReader).
/// </summary>
internal static class CommandLineReader
{
    /// <param name="maxLength">The longest line allowed, its CRLF included.</param>
    /// <param name="line">The line without its CRLF (or LF).</param>
    /// <param name="next">Where the next line starts.</param>
    public static LineStatus TryRead(in ReadOnlySequence<byte> buffer, int maxLength, out ReadOnlySequence<byte> line, out SequencePosition next)
    {
        var window = buffer.Length > maxLength ? buffer.Slice(0, maxLength) : buffer;
        var newline = window.PositionOf((byte)'\n');
        if (newline is not { } lf)
        {
            line = default;
            next = buffer.Start;
            return buffer.Length >= maxLength ? LineStatus.TooLong : LineStatus.Incomplete;
        }
        line = buffer.Slice(0, lf);
        next = buffer.GetPosition(1, lf);
        if (!line.IsEmpty && EndsWithCr(line))
            line = line.Slice(0, line.Length - 1);
        return LineStatus.Complete;
    }

    /// <summary>Skips the rest of an overlong line: true with <paramref name="next"/> after its LF, or false when the whole buffer is still inside it.</summary>
    public static bool TrySkipLine(in ReadOnlySequence<byte> buffer, out SequencePosition next)
    {
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is { } lf)
        {
            next = buffer.GetPosition(1, lf);
            return true;
        }
        next = buffer.End;
        return false;
    }

    private static bool EndsWithCr(in ReadOnlySequence<byte> line)
    {
        var last = line.Slice(line.Length - 1);
        return last.FirstSpan[0] == (byte)'\r';
    }
}
