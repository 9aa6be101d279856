// RFC 5321 section 4.1.1.4 (DATA, end of data is CRLF.CRLF), 4.5.2 (transparency: dot-stuffing),
// 2.3.8 (CR and LF only as CRLF), 4.5.3.1.6 (text line length); RFC 3030 (BDAT chunks).
using System.Buffers;

namespace Appliance.Server.Smtp;

/// <summary>What was wrong with a message's data; any of them refuses the whole message at its end.</summary>
[Flags]
internal enum DataProblems
{
    None = 0,
    /// <summary>A CR not followed by LF, or an LF not preceded by CR. Refused: this is how SMTP smuggling hides a second message.</summary>
    BareLineEnding = 1,
    /// <summary>A line longer than <see cref="SmtpServerOptions.MaxTextLineLength"/>.</summary>
    LineTooLong = 2,
    /// <summary>More than <see cref="SmtpServerOptions.MaxMessageSize"/> octets; the rest was read and discarded.</summary>
    TooBig = 4,
}

/// <summary>
/// The line discipline shared by DATA and BDAT: tracks CR/LF pairing, line length and size, and
/// copies content to the sink until the size limit. A pure state machine over bytes; state carries
/// across calls, so input may be split anywhere (a CR at the end of one read, its LF in the next).
/// </summary>
internal sealed class LineDiscipline(int maxLineLength, long maxSize)
{
    private bool _sawCr;
    private long _lineLength;

    public DataProblems Problems { get; private set; }

    /// <summary>Content octets seen (including those discarded beyond the size limit).</summary>
    public long Size { get; private set; }

    /// <summary>The last byte accepted was a CR whose LF has not been seen yet.</summary>
    public bool EndsWithCr => _sawCr;

    /// <summary>Accounts for <paramref name="content"/> and copies what fits under the size limit to <paramref name="sink"/>.</summary>
    public void Accept(ReadOnlySpan<byte> content, MessageBuffer sink)
    {
        if (content.IsEmpty)
            return;
        Scan(content);
        long room = maxSize - Size;
        if (room > 0)
            sink.Write(content[..(int)Math.Min(room, content.Length)]);
        Size += content.Length;
        if (Size > maxSize)
            Problems |= DataProblems.TooBig;
    }

    private void Scan(ReadOnlySpan<byte> content)
    {
        int i = 0;
        while (i < content.Length)
        {
            if (_sawCr)
            {
                _sawCr = false;
                if (content[i] == (byte)'\n')
                {
                    _lineLength = 0;
                    i++;
                    continue;
                }
                Problems |= DataProblems.BareLineEnding;
            }
            int stop = content[i..].IndexOfAny((byte)'\r', (byte)'\n');
            int run = stop < 0 ? content.Length - i : stop;
            _lineLength += run;
            // maxLineLength counts the CRLF (RFC 5321 4.5.3.1.6 says 1000 "including the CRLF").
            if (_lineLength > maxLineLength - 2)
                Problems |= DataProblems.LineTooLong;
            i += run;
            if (stop < 0)
                break;
            if (content[i] == (byte)'\n')
            {
                Problems |= DataProblems.BareLineEnding;
                _lineLength++;
            }
            else
            {
                _sawCr = true;
            }
            i++;
        }
    }

    /// <summary>Call at the end of the data: a CR left hanging is bare, and the message must end with CRLF.</summary>
    public void Finish()
    {
        if (_sawCr)
            Problems |= DataProblems.BareLineEnding;
        _sawCr = false;
    }
}

/// <summary>
/// Receives DATA content: removes dot-stuffing and finds the end, which is only ever CRLF "." CRLF
/// (or "." CRLF right at the start). "LF.LF", "CR.CR", "LF.CRLF", "CRLF.LF" and the like are not an
/// end: they are content with a bare line ending, and the message is refused after the real end
/// (RFC 5321 2.3.8; this closes SMTP smuggling, CVE-2023-51764/51765/51766). Nothing after the end
/// is consumed: it is the client's next command.
/// </summary>
internal sealed class DotStuffedDataReader(int maxLineLength, long maxSize)
{
    private enum State
    {
        /// <summary>At the start of a line (after CRLF, or at the start of the data).</summary>
        LineStart,
        /// <summary>Inside a line.</summary>
        InLine,
        /// <summary>A "." at the start of a line, not yet known to be the end or stuffing.</summary>
        Dot,
        /// <summary>"." CR at the start of a line: the end if LF follows.</summary>
        DotCr,
    }

    private static readonly byte[] DotCr = ".\r"u8.ToArray();

    private readonly LineDiscipline _lines = new(maxLineLength, maxSize);
    private State _state = State.LineStart;

    public DataProblems Problems => _lines.Problems;

    /// <summary>Message octets after unstuffing (including any discarded past the limit).</summary>
    public long Size => _lines.Size;

    /// <summary>
    /// Consumes content from <paramref name="input"/> into <paramref name="sink"/>. Returns true when
    /// the end of data was found; <paramref name="consumed"/> is then just after it. Returns false when
    /// all of the input was content (consumed is its end).
    /// </summary>
    public bool Process(in ReadOnlySequence<byte> input, MessageBuffer sink, out SequencePosition consumed)
    {
        long offset = 0;
        foreach (var segment in input)
        {
            var span = segment.Span;
            int runStart = 0;
            for (int i = 0; i < span.Length; i++)
            {
                byte b = span[i];
                switch (_state)
                {
                    case State.LineStart:
                        if (b == (byte)'.')
                        {
                            _lines.Accept(span[runStart..i], sink);
                            runStart = i + 1;
                            _state = State.Dot;
                        }
                        else
                        {
                            _state = State.InLine;
                            i = SkipInLine(span, i, ref runStart, sink) - 1;
                        }
                        break;
                    case State.InLine:
                        i = SkipInLine(span, i, ref runStart, sink) - 1;
                        break;
                    case State.Dot:
                        if (b == (byte)'\r')
                        {
                            runStart = i + 1;
                            _state = State.DotCr;
                        }
                        else
                        {
                            // RFC 5321 4.5.2: a leading period on a line with more text is removed.
                            runStart = i;
                            _state = State.InLine;
                            i = SkipInLine(span, i, ref runStart, sink) - 1;
                        }
                        break;
                    case State.DotCr:
                        if (b == (byte)'\n')
                        {
                            _lines.Finish();
                            consumed = input.GetPosition(offset + i + 1);
                            return true;
                        }
                        // "." CR then something else: a stuffed line that begins with a bare CR.
                        // Give the CR to the line discipline (it flags it) and go on in the line.
                        _lines.Accept(DotCr.AsSpan(1), sink);
                        runStart = i;
                        _state = State.InLine;
                        i--;
                        break;
                }
            }
            if (_state is State.LineStart or State.InLine)
                _lines.Accept(span[runStart..], sink);
            offset += span.Length;
        }
        consumed = input.End;
        return false;
    }

    /// <summary>
    /// Scans a line from <paramref name="i"/>; returns the index after the line's CRLF (state
    /// LineStart), or the span length (still InLine). Content goes to the sink in runs.
    /// </summary>
    private int SkipInLine(ReadOnlySpan<byte> span, int i, ref int runStart, MessageBuffer sink)
    {
        while (i < span.Length)
        {
            int lf = span[i..].IndexOf((byte)'\n');
            if (lf < 0)
                return span.Length;
            int at = i + lf;
            // The LF ends a line only if a CR precedes it: in this span, or carried over when the
            // CR was the last byte of the previous read (then runStart == at and the discipline saw it).
            bool crlf = at > 0 ? span[at - 1] == (byte)'\r' : LastAcceptedWasCr(runStart, at);
            if (crlf)
            {
                _lines.Accept(span[runStart..(at + 1)], sink);
                runStart = at + 1;
                _state = State.LineStart;
                return at + 1;
            }
            i = at + 1;
        }
        return span.Length;
    }

    private bool LastAcceptedWasCr(int runStart, int at) => runStart == at && at == 0 && _lines.EndsWithCr;
}
