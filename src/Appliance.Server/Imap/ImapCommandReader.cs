// RFC 9051 section 9 (formal syntax: command, tag, atom, string, quoted, literal, literal8, nil),
// section 4.3 (strings and literals), 4.4 (parenthesized lists), 2.2.1 (commands and continuation
// requests); RFC 3501 section 9 for rev1 clients; RFC 7888 (LITERAL+ and LITERAL-); RFC 3516
// section 4.2 (literal8 for BINARY).
using System.Buffers;
using System.Text;

namespace Appliance.Server.Imap;

/// <summary>
/// Reads commands from the connection's buffer. One instance per session: it remembers which
/// synchronizing literals of the current command were already answered with "+", and the skipping
/// of a refused command's rest. The contract with the session:
/// <list type="bullet">
/// <item>pass the unconsumed buffer (it starts where the last <see cref="ImapReadResult.Consumed"/> left it);</item>
/// <item>after every result, AdvanceTo(Consumed, Examined);</item>
/// <item>on NeedMore read from the connection; on anything else call Read again first (the buffer may already hold more);</item>
/// <item>on NeedContinuation send "+ ..." (RFC 9051 section 7.5); on Error answer with <see cref="ImapReadErrors.Reply"/>;</item>
/// <item>on LiteralStart open a sink for the literal (APPEND's message) and write each LiteralData chunk to it; the
/// complete command follows, with <see cref="ImapArgument.IsStreamed"/> in the literal's place.</item>
/// </list>
/// A command is parsed only once its line end (or its literal's last octet) is in the buffer, so
/// trickled input costs linear time; memory is bounded by one line plus the literals allowed.
/// </summary>
internal sealed class ImapCommandReader
{
    private const byte Cr = (byte)'\r', Lf = (byte)'\n', Sp = (byte)' ';

    // What the current command waits for (offsets from the command's first octet).
    private long _waitForLength;   // > 0: a literal's octets up to here
    private long _lineStart;       // else: a line end in the line starting here,
    private long _scanFrom;        // searched from here (no LF before it)
    private long _textBefore;      // octets of the command's earlier lines (literal data not counted)
    private int _acknowledgedLiterals; // synchronizing literals already answered with "+"
    private string? _tag;
    private Resume? _resume;         // the command so far, after a streamed literal

    // Streaming a large top-level literal (APPEND's message) to the session.
    private long _streamRemaining;

    // Skipping the rest of a refused command.
    private bool _skipping;
    private long _skipLiteral;
    private readonly byte[] _tail = new byte[32];
    private int _tailLength;

    /// <summary>True while the rest of a refused command is being skipped.</summary>
    public bool IsSkipping => _skipping;

    public ImapReadResult Read(in ReadOnlySequence<byte> buffer, in ImapReadLimits limits)
    {
        var input = buffer;
        if (_streamRemaining > 0)
        {
            // RFC 9051 4.3: the literal's octets, handed out as they arrive; nothing of them is parsed.
            if (input.IsEmpty)
                return ImapReadResult.NeedMore(input.Start, input.End);
            var chunk = input.Slice(0, Math.Min(_streamRemaining, input.Length));
            _streamRemaining -= chunk.Length;
            return ImapReadResult.LiteralChunk(chunk, _streamRemaining == 0);
        }
        if (_skipping)
        {
            if (!Skip(ref input))
                return ImapReadResult.NeedMore(buffer.End, buffer.End);
            ResetCommand();
        }

        // Cheap checks first: nothing is parsed until the line end or the literal is here.
        if (_waitForLength > 0)
        {
            if (input.Length < _waitForLength)
                return ImapReadResult.NeedMore(input.Start, buffer.End);
        }
        else
        {
            long from = Math.Min(_scanFrom, input.Length);
            var lf = input.Slice(from).PositionOf(Lf);
            long lineEnd = lf is { } p ? input.Slice(0, p).Length + 1 : -1;
            // RFC 9051 section 4 leaves line length to the server: refuse without buffering past the limit.
            if (_textBefore + (lineEnd < 0 ? input.Length : lineEnd) - _lineStart > limits.MaxLineLength)
                return Fail(input, buffer, ImapReadError.LineTooLong, _tag ?? PeekTag(input), "Command line too long", 0, _lineStart, SkipMode.ToLineEnd);
            if (lineEnd < 0)
            {
                _scanFrom = input.Length;
                return ImapReadResult.NeedMore(input.Start, buffer.End);
            }
        }

        var parser = new Parser(input, limits, _acknowledgedLiterals, _resume);
        var step = parser.ParseCommand();
        _tag = parser.Tag ?? _tag;
        switch (step)
        {
            case Step.Done:
                var end = input.GetPosition(parser.Offset);
                bool valid = true;
                foreach (var argument in parser.Arguments)
                    valid &= argument.Materialize();
                ResetCommand();
                if (!valid) // RFC 9051 CHAR8 = %x01-ff: NUL only in literal8 (RFC 3516 section 4.2)
                    return ImapReadResult.Failed(ImapReadError.Syntax, parser.Tag, "NUL in literal (use literal8)", 0, end, end);
                return ImapReadResult.Complete(new ImapCommand(parser.Tag!, parser.Name!, parser.Arguments), end);
            case Step.NeedLine:
                _waitForLength = 0;
                _lineStart = parser.LineStart;
                _textBefore = parser.TextBefore;
                _scanFrom = input.Length;
                return ImapReadResult.NeedMore(input.Start, buffer.End);
            case Step.NeedBytes:
                _waitForLength = parser.WaitFor;
                return ImapReadResult.NeedMore(input.Start, buffer.End);
            case Step.Continuation:
                _acknowledgedLiterals++;
                if (parser.Streams)
                    _waitForLength = parser.WaitFor - parser.LiteralSize; // only its header: the octets are streamed
                else if (parser.LiteralSize > 0)
                    _waitForLength = parser.WaitFor;
                else
                {
                    _waitForLength = 0;
                    _lineStart = _scanFrom = parser.WaitFor;
                    _textBefore = parser.TextBefore;
                }
                return ImapReadResult.Continuation(parser.LiteralSize, input.Start, buffer.End);
            case Step.Stream:
                return StartStream(input, buffer, ref parser);
            default:
                return Fail(input, buffer, parser.Error, parser.Tag, parser.Reason!, parser.LiteralSize, parser.SkipFrom, parser.Skip);
        }
    }

    /// <summary>
    /// A top-level literal too large to hold in memory (APPEND's message): the arguments before it are
    /// copied out, the command so far is consumed up to the literal's first octet, and the session gets
    /// the octets as <see cref="ImapReadStatus.LiteralData"/> chunks; then reading resumes after them.
    /// </summary>
    private ImapReadResult StartStream(ReadOnlySequence<byte> input, in ReadOnlySequence<byte> buffer, ref Parser parser)
    {
        var arguments = parser.Arguments;
        bool valid = true;
        foreach (var argument in arguments)
            valid &= argument.Materialize();
        if (!valid)
            return Fail(input, buffer, ImapReadError.Syntax, parser.Tag, "NUL in literal (use literal8)", parser.LiteralSize, parser.WaitFor - parser.LiteralSize, SkipMode.LiteralThenLine);
        var streamed = ImapArgument.Streamed(parser.LiteralSize, parser.StreamForm);
        var partial = new ImapCommand(parser.Tag!, parser.Name!, [.. arguments]);
        arguments.Add(streamed);
        _resume = new Resume(parser.Tag!, parser.Name!, arguments, parser.TextBefore, parser.LiteralTotal, parser.Count, parser.InMemory);
        _tag = parser.Tag;
        _streamRemaining = parser.LiteralSize;
        _waitForLength = 0;
        _lineStart = _scanFrom = 0;
        _textBefore = parser.TextBefore;
        _acknowledgedLiterals = 0;
        var start = input.GetPosition(parser.WaitFor - parser.LiteralSize);
        return ImapReadResult.LiteralStart(partial, parser.LiteralSize, streamed.Form, start);
    }

    private ImapReadResult Fail(ReadOnlySequence<byte> input, in ReadOnlySequence<byte> buffer, ImapReadError error, string? tag, string reason, long literalSize, long skipFrom, SkipMode mode)
    {
        var rest = input.Slice(Math.Min(skipFrom, input.Length));
        if (mode == SkipMode.None)
        {
            ResetCommand();
            return ImapReadResult.Failed(error, tag, reason, literalSize, rest.Start, rest.Start);
        }
        _skipping = true;
        _tailLength = 0;
        _skipLiteral = mode == SkipMode.LiteralThenLine ? literalSize : 0;
        if (!Skip(ref rest))
            return ImapReadResult.Failed(error, tag, reason, literalSize, buffer.End, buffer.End);
        ResetCommand();
        return ImapReadResult.Failed(error, tag, reason, literalSize, rest.Start, rest.Start);
    }

    private void ResetCommand()
    {
        _waitForLength = 0;
        _lineStart = 0;
        _scanFrom = 0;
        _textBefore = 0;
        _acknowledgedLiterals = 0;
        _tag = null;
        _resume = null;
        _streamRemaining = 0;
        _skipping = false;
        _skipLiteral = 0;
        _tailLength = 0;
    }

    /// <summary>
    /// Discards a refused command's rest: to the end of its line, and when that line ends with a
    /// non-synchronizing literal {n+} (RFC 7888) those n octets and the next line too, since the
    /// client sends them without waiting. A line ending in {n} ends the command: the client waits
    /// for a "+" that never comes and reads our tagged answer instead (RFC 9051 section 4.3).
    /// True when done, with <paramref name="input"/> after the skipped octets.
    /// </summary>
    private bool Skip(ref ReadOnlySequence<byte> input)
    {
        while (true)
        {
            if (_skipLiteral > 0)
            {
                long take = Math.Min(_skipLiteral, input.Length);
                input = input.Slice(take);
                _skipLiteral -= take;
                if (_skipLiteral > 0)
                    return false;
                _tailLength = 0;
            }
            var lf = input.PositionOf(Lf);
            if (lf is not { } p)
            {
                Track(input);
                input = input.Slice(input.End);
                return false;
            }
            Track(input.Slice(0, p));
            input = input.Slice(input.GetPosition(1, p));
            long? literal = NonSyncLiteralAtEnd(_tail.AsSpan(0, _tailLength));
            _tailLength = 0;
            if (literal is not { } size)
            {
                _skipping = false;
                return true;
            }
            _skipLiteral = size;
        }
    }

    /// <summary>Keeps the last octets seen on the skipped line (enough for "~{" + 19 digits + "+}" CR).</summary>
    private void Track(in ReadOnlySequence<byte> octets)
    {
        var last = octets.Length > _tail.Length ? octets.Slice(octets.Length - _tail.Length) : octets;
        int keep = Math.Min(_tailLength, _tail.Length - (int)last.Length);
        if (keep > 0 && keep < _tailLength)
            _tail.AsSpan(_tailLength - keep, keep).CopyTo(_tail);
        _tailLength = Math.Max(keep, 0);
        last.CopyTo(_tail.AsSpan(_tailLength));
        _tailLength += (int)last.Length;
    }

    /// <summary>RFC 7888 section 3: literal = "{" number64 "+}" CRLF; the size when <paramref name="line"/> ends with one.</summary>
    internal static long? NonSyncLiteralAtEnd(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == Cr)
            line = line[..^1];
        if (line.Length < 4 || line[^1] != (byte)'}' || line[^2] != (byte)'+')
            return null;
        int open = line.LastIndexOf((byte)'{');
        if (open < 0)
            return null;
        return ParseNumber64(line[(open + 1)..^2]);
    }

    /// <summary>RFC 9051 number64: 1*DIGIT up to 2^63-1; null otherwise.</summary>
    internal static long? ParseNumber64(ReadOnlySpan<byte> digits)
    {
        if (digits.IsEmpty || digits.Length > 19)
            return null;
        long value = 0;
        foreach (byte d in digits)
        {
            if (d is < (byte)'0' or > (byte)'9')
                return null;
            if (value > (long.MaxValue - (d - '0')) / 10)
                return null;
            value = value * 10 + (d - '0');
        }
        return value;
    }

    /// <summary>The tag of a line too long to parse, when its start is one.</summary>
    private static string? PeekTag(in ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        var tag = new StringBuilder();
        while (reader.TryRead(out byte b) && tag.Length <= 64)
        {
            if (b == Sp)
                return tag.Length > 0 ? tag.ToString() : null;
            if (!IsTagChar(b))
                return null;
            tag.Append((char)b);
        }
        return null;
    }

    /// <summary>
    /// RFC 9051 section 9: ATOM-CHAR = &lt;any CHAR except atom-specials&gt;; atom-specials = "(" / ")" / "{" /
    /// SP / CTL / list-wildcards / quoted-specials / resp-specials.
    /// </summary>
    internal static bool IsAtomChar(byte b) => b is > 0x20 and < 0x7f and not ((byte)'(' or (byte)')' or (byte)'{' or (byte)'%' or (byte)'*' or (byte)'"' or (byte)'\\' or (byte)']');

    /// <summary>RFC 9051 section 9: tag = 1*&lt;any ASTRING-CHAR except "+"&gt;; ASTRING-CHAR = ATOM-CHAR / resp-specials.</summary>
    internal static bool IsTagChar(byte b) => (IsAtomChar(b) || b == (byte)']') && b != (byte)'+';

    /// <summary>
    /// The octets an argument atom may hold: ATOM-CHARs, and also "]" (astring, RFC 9051 ASTRING-CHAR),
    /// "%" and "*" (list-mailbox, sequence-set), "\" (flag). Brackets are handled by the parser.
    /// </summary>
    private static bool IsArgumentAtomChar(byte b) => IsAtomChar(b) || b is (byte)']' or (byte)'%' or (byte)'*' or (byte)'\\';

    /// <summary>The command read so far when a literal was streamed; reading resumes in its argument list.</summary>
    private sealed record Resume(string Tag, string Name, List<ImapArgument> Arguments, long TextBefore, long LiteralTotal, int Count, long InMemory);

    private enum Step
    {
        Stream,
        Done,
        NeedLine,
        NeedBytes,
        Continuation,
        Error,
    }

    private enum SkipMode
    {
        /// <summary>The command ended where the error was found (a refused {n}).</summary>
        None,
        ToLineEnd,
        LiteralThenLine,
    }

    /// <summary>One pass over the buffer from the command's first octet.</summary>
    private ref struct Parser(ReadOnlySequence<byte> input, ImapReadLimits limits, int acknowledged, Resume? resume)
    {
        private SequenceReader<byte> _reader = new(input);
        private readonly ImapReadLimits _limits = limits;
        private readonly int _acknowledged = acknowledged;
        private readonly Resume? _resume = resume;
        private int _syncLiterals;

        public int Count = resume?.Count ?? 0;
        public long LiteralTotal = resume?.LiteralTotal ?? 0;
        public long InMemory = resume?.InMemory ?? 0;
        public string? Tag = resume?.Tag;
        public string? Name = resume?.Name;
        public List<ImapArgument> Arguments = resume is null ? [] : [.. resume.Arguments];
        public long LineStart;
        public long TextBefore = resume?.TextBefore ?? 0;
        public bool Streams;
        public ImapStringForm StreamForm;
        public long WaitFor;
        public long LiteralSize;
        public ImapReadError Error;
        public string? Reason;
        public long SkipFrom;
        public SkipMode Skip;

        public readonly long Offset => _reader.Consumed;

        public Step ParseCommand()
        {
            if (_resume is not null)
                return ArgumentsThenLineEnd();

            // tag SP
            long start = _reader.Consumed;
            while (true)
            {
                if (!_reader.TryPeek(out byte b))
                    return Step.NeedLine;
                if (b == Sp)
                    break;
                if (!IsTagChar(b))
                    return Syntax(_reader.Consumed == start ? "Missing tag" : "Invalid character in tag");
                _reader.Advance(1);
            }
            if (_reader.Consumed == start)
                return Syntax("Missing tag");
            Tag = Encoding.ASCII.GetString(input.Slice(start, _reader.Consumed - start));
            _reader.Advance(1);

            // command name: an atom (RFC 9051 section 9: command names are atoms, case-insensitive)
            start = _reader.Consumed;
            while (_reader.TryPeek(out byte b) && IsAtomChar(b) && b != (byte)'[')
                _reader.Advance(1);
            if (_reader.End)
                return Step.NeedLine;
            if (_reader.Consumed == start)
                return Syntax("Missing command");
            Name = Encoding.ASCII.GetString(input.Slice(start, _reader.Consumed - start)).ToUpperInvariant();
            return ArgumentsThenLineEnd();
        }

        /// <summary>*(SP argument) CRLF</summary>
        private Step ArgumentsThenLineEnd()
        {
            while (true)
            {
                if (!_reader.TryPeek(out byte b))
                    return Step.NeedLine;
                if (b is Cr or Lf)
                {
                    var end = LineEnd();
                    return end == Step.Done ? Step.Done : end;
                }
                if (b != Sp)
                    return Syntax("Expected a space between arguments");
                _reader.Advance(1);
                var step = Argument(Arguments, 0);
                if (step != Step.Done)
                    return step;
            }
        }

        /// <summary>CRLF (a bare LF is taken too, as Dovecot and most servers do); checks the line's length.</summary>
        private Step LineEnd()
        {
            _reader.TryRead(out byte b);
            if (b == Cr)
            {
                if (!_reader.TryRead(out b))
                    return Step.NeedLine;
                if (b != Lf)
                    return Syntax("CR without LF");
            }
            // The limit covers the command's text: all its lines together, literal data not counted,
            // so a command of many literals cannot hold many maximal lines.
            if (TextBefore + _reader.Consumed - LineStart > _limits.MaxLineLength)
                return Fail(ImapReadError.LineTooLong, "Command line too long", LineStart, SkipMode.ToLineEnd);
            TextBefore += _reader.Consumed - LineStart;
            LineStart = _reader.Consumed;
            return Step.Done;
        }

        private Step Argument(List<ImapArgument> into, int depth)
        {
            if (++Count > _limits.MaxArguments)
                return Fail(ImapReadError.TooManyArguments, "Too many arguments", _reader.Consumed, SkipMode.ToLineEnd);
            if (!_reader.TryPeek(out byte b))
                return Step.NeedLine;
            switch (b)
            {
                case (byte)'(':
                    return List(into, depth);
                case (byte)'"':
                    return Quoted(into);
                case (byte)'{':
                    return Literal(into, depth, literal8: false);
                case (byte)'~' when _reader.TryPeek(1, out byte next) && next == (byte)'{':
                    _reader.Advance(1);
                    return Literal(into, depth, literal8: true);
                case (byte)'~' when _reader.Remaining < 2:
                    return Step.NeedLine;
                default:
                    return Atom(into);
            }
        }

        /// <summary>RFC 9051 section 4.4: "(" [item *(SP item)] ")".</summary>
        private Step List(List<ImapArgument> into, int depth)
        {
            if (depth + 1 > _limits.MaxDepth)
                return Fail(ImapReadError.TooDeep, "Lists nested too deeply", _reader.Consumed, SkipMode.ToLineEnd);
            _reader.Advance(1);
            var items = new List<ImapArgument>();
            if (!_reader.TryPeek(out byte b))
                return Step.NeedLine;
            if (b != (byte)')')
            {
                while (true)
                {
                    var step = Argument(items, depth + 1);
                    if (step != Step.Done)
                        return step;
                    if (!_reader.TryPeek(out b))
                        return Step.NeedLine;
                    if (b == (byte)')')
                        break;
                    if (b != Sp)
                        return Syntax("Expected a space or ')' in a list");
                    _reader.Advance(1);
                }
            }
            _reader.Advance(1);
            into.Add(ImapArgument.List(items));
            return Step.Done;
        }

        /// <summary>
        /// RFC 9051 section 9: quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = &lt;any TEXT-CHAR except
        /// quoted-specials&gt; / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4. No CR, LF or NUL; only \" and \\ escapes.
        /// </summary>
        private Step Quoted(List<ImapArgument> into)
        {
            _reader.Advance(1);
            var octets = new ArrayBufferWriter<byte>();
            while (true)
            {
                if (!_reader.TryRead(out byte b))
                    return Step.NeedLine;
                if (b == (byte)'"')
                    break;
                if (b == (byte)'\\')
                {
                    if (!_reader.TryRead(out b))
                        return Step.NeedLine;
                    if (b is not ((byte)'"' or (byte)'\\'))
                        return Syntax("Invalid escape in quoted string");
                }
                else if (b is Cr or Lf or 0)
                {
                    _reader.Rewind(1);
                    return Syntax(b == 0 ? "NUL in quoted string" : "Unterminated quoted string");
                }
                octets.Write([b]);
            }
            into.Add(ImapArgument.String(octets.WrittenSpan.ToArray(), ImapStringForm.Quoted));
            return Step.Done;
        }

        /// <summary>
        /// RFC 9051 section 4.3 and 9: literal = "{" number64 ["+"] "}" CRLF *CHAR8 (the "+" from RFC 7888);
        /// RFC 3516 literal8 = "~{" number64 "}" CRLF *OCTET.
        /// </summary>
        private Step Literal(List<ImapArgument> into, int depth, bool literal8)
        {
            _reader.Advance(1);
            long digitsStart = _reader.Consumed;
            while (_reader.TryPeek(out byte d) && d is >= (byte)'0' and <= (byte)'9')
                _reader.Advance(1);
            if (_reader.End)
                return Step.NeedLine;
            var size = ParseNumber64(input.Slice(digitsStart, _reader.Consumed - digitsStart).ToArray());
            if (size is null)
                return Syntax("Invalid literal size");
            bool nonSync = _reader.IsNext((byte)'+', advancePast: true);
            if (!_reader.TryRead(out byte close))
                return Step.NeedLine;
            if (close != (byte)'}')
                return Syntax("Invalid literal");
            if (!_reader.TryPeek(out byte b))
                return Step.NeedLine;
            if (b is not (Cr or Lf))
                return Syntax("A literal's size must end the line");
            var end = LineEnd();
            if (end != Step.Done)
                return end;
            long n = size.Value;
            LiteralSize = n;
            long headerEnd = _reader.Consumed;
            if (nonSync && n > _limits.MaxNonSyncLiteralSize)
                return Fail(ImapReadError.NonSyncLiteralTooLarge, $"Non-synchronizing literals are limited to {_limits.MaxNonSyncLiteralSize} octets", headerEnd, SkipMode.LiteralThenLine);
            if (n > _limits.MaxLiteralSize - LiteralTotal)
                return Fail(ImapReadError.LiteralTooLarge, $"Literals are limited to {_limits.MaxLiteralSize} octets", headerEnd, nonSync ? SkipMode.LiteralThenLine : SkipMode.None);
            // Literals held in memory are bounded; a top-level one past the bound is streamed, a nested one refused.
            Streams = n > 0 && InMemory + n > _limits.MaxBufferedLiterals;
            if (Streams && depth > 0)
                return Fail(ImapReadError.LiteralTooLarge, $"Literals inside lists are limited to {_limits.MaxBufferedLiterals} octets", headerEnd, nonSync ? SkipMode.LiteralThenLine : SkipMode.None);
            WaitFor = headerEnd + n;
            if (!nonSync && ++_syncLiterals > _acknowledged)
                return Step.Continuation;
            if (Streams)
            {
                LiteralTotal += n;
                StreamForm = literal8 ? ImapStringForm.Literal8 : ImapStringForm.Literal;
                return Step.Stream;
            }
            if (_reader.Remaining < n)
            {
                WaitFor = headerEnd + n;
                return Step.NeedBytes;
            }
            // Copied (and checked for NUL) once the command is complete: see ImapArgument.Materialize.
            into.Add(ImapArgument.PendingLiteral(input.Slice(headerEnd, n), literal8 ? ImapStringForm.Literal8 : ImapStringForm.Literal));
            _reader.Advance(n);
            LiteralTotal += n;
            InMemory += n;
            LineStart = _reader.Consumed;
            return Step.Done;
        }

        /// <summary>
        /// An atom, NIL or a number. FETCH items keep their section and partial raw:
        /// "BODY.PEEK[HEADER.FIELDS (From To)]&lt;0.2048&gt;" (RFC 9051 section 9 fetch-att, section-spec,
        /// header-list) is one atom whose bracketed part may hold spaces, parentheses and quoted names.
        /// </summary>
        private Step Atom(List<ImapArgument> into)
        {
            long start = _reader.Consumed;
            bool digits = true;
            while (true)
            {
                if (!_reader.TryPeek(out byte b))
                    return Step.NeedLine;
                if (b == (byte)'[')
                {
                    digits = false;
                    _reader.Advance(1);
                    while (true)
                    {
                        if (!_reader.TryPeek(out b))
                            return Step.NeedLine;
                        if (b == (byte)']')
                            break;
                        if (b is < 0x20 or > 0x7e or (byte)'[' or (byte)'{')
                            return Syntax("Invalid section");
                        _reader.Advance(1);
                    }
                    _reader.Advance(1);
                    continue;
                }
                if (!IsArgumentAtomChar(b))
                    break;
                digits &= b is >= (byte)'0' and <= (byte)'9';
                _reader.Advance(1);
            }
            if (!_reader.TryPeek(out byte after))
                return Step.NeedLine;
            if (after is not (Sp or Cr or Lf or (byte)')'))
                return Syntax(after >= 0x80 ? "8-bit octets must be quoted or a literal" : "Invalid character in atom");
            if (_reader.Consumed == start)
                return Syntax("Empty argument");
            var text = input.Slice(start, _reader.Consumed - start).ToArray();
            if (digits && ParseNumber64(text) is { } number)
                into.Add(ImapArgument.NumberOf(text, number));
            else if (text.Length == 3 && Ascii.EqualsIgnoreCase(text, "NIL"u8))
                into.Add(ImapArgument.Nil(text));
            else
                into.Add(ImapArgument.Atom(text));
            return Step.Done;
        }

        private Step Syntax(string reason) => Fail(ImapReadError.Syntax, reason, _reader.Consumed, SkipMode.ToLineEnd);

        private Step Fail(ImapReadError error, string reason, long skipFrom, SkipMode skip)
        {
            Error = error;
            Reason = reason;
            SkipFrom = skipFrom;
            Skip = skip;
            return Step.Error;
        }
    }
}
