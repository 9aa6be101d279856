// RFC 9051 section 7 (responses: tagged and untagged status, continuation request 7.5, response
// codes 7.1) and section 9 (response, resp-cond-state, resp-text, resp-text-code, astring, nstring,
// quoted, literal, text); section 4.3 (when a string must be a literal); RFC 3516 section 4.2
// (literal8 in BINARY responses); RFC 6855 section 3 (UTF-8 in quoted strings once UTF8=ACCEPT is
// enabled; IMAP4rev2 allows it always).
using System.Buffers;
using System.Globalization;
using System.Text;

namespace Appliance.Server.Imap;

/// <summary>
/// Writes responses into a buffer, one line at a time, choosing the form of each string: an atom
/// where the grammar allows and it is one, a quoted string when that is safe, else a literal. Pure:
/// no I/O; the session flushes the buffer.
/// </summary>
internal sealed class ImapResponseWriter(IBufferWriter<byte> output)
{
    /// <summary>
    /// Longest string sent quoted; longer ones go as literals, which need no escaping and let the
    /// client allocate up front. RFC 9051 sets no bound; 1024 is our choice: header values and
    /// mailbox names are almost always shorter, message parts are literals anyway.
    /// </summary>
    public const int MaxQuotedLength = 1024;

    private bool _needSpace;

    /// <summary>Whether 8-bit UTF-8 may go in quoted strings: IMAP4rev2 (RFC 9051 quoted has UTF8-2..4) or UTF8=ACCEPT enabled (RFC 6855 3). Otherwise 8-bit strings become literals.</summary>
    public bool Utf8Quoted { get; set; }

    /// <summary>"* " starts an untagged response (RFC 9051 7).</summary>
    public ImapResponseWriter Untagged()
    {
        Write("* "u8);
        _needSpace = false;
        return this;
    }

    /// <summary>"tag " starts a tagged completion (RFC 9051 7.1).</summary>
    public ImapResponseWriter Tagged(string tag)
    {
        WriteAscii(tag);
        Write(" "u8);
        _needSpace = false;
        return this;
    }

    /// <summary>RFC 9051 7.5: continue-req = "+" SP (resp-text / base64) CRLF.</summary>
    public void Continuation(string text)
    {
        Write("+ "u8);
        Text(text);
        EndLine();
    }

    /// <summary>
    /// A whole status response: resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text, with a response
    /// code in brackets when given; <paramref name="tag"/> null makes it untagged.
    /// </summary>
    public void Status(string? tag, ImapStatus status, string? code, string text)
    {
        if (tag is null)
            Untagged();
        else
            Tagged(tag);
        Write(status switch
        {
            ImapStatus.Ok => "OK"u8,
            ImapStatus.No => "NO"u8,
            ImapStatus.Bad => "BAD"u8,
            ImapStatus.Bye => "BYE"u8,
            _ => "PREAUTH"u8,
        });
        Write(" "u8);
        if (code is not null)
        {
            // resp-text-code: atom [SP 1*<any TEXT-CHAR except "]">]
            Write("["u8);
            Text(code.Replace(']', ' '));
            Write("] "u8);
            _needSpace = false;
        }
        Text(text);
        EndLine();
    }

    /// <summary>
    /// The answer to a command the reader refused (RFC 9051 section 7.1): "tag BAD ..." or "tag NO [TOOBIG] ...",
    /// untagged ("* BAD") when no tag could be read. The one place read errors become responses.
    /// </summary>
    public void ReadError(in ImapReadResult result)
    {
        var (status, code) = ImapReadErrors.Reply(result.Error);
        Status(result.Tag, status, code, result.Reason ?? "Invalid command");
    }

    /// <summary>An atom or other raw protocol word (FLAGS, \Seen, BODY[1]...): written as it is; the caller vouches for its syntax.</summary>
    public ImapResponseWriter Atom(string atom)
    {
        Space();
        WriteAscii(atom);
        return this;
    }

    public ImapResponseWriter Number(ulong n)
    {
        Space();
        Span<byte> digits = stackalloc byte[20];
        n.TryFormat(digits, out int length, default, CultureInfo.InvariantCulture);
        Write(digits[..length]);
        return this;
    }

    public ImapResponseWriter Nil()
    {
        Space();
        Write("NIL"u8);
        return this;
    }

    /// <summary>RFC 9051 astring: bare when every octet is an ASTRING-CHAR (and it is not "NIL", which clients might read as nil), else a string.</summary>
    public ImapResponseWriter AString(ReadOnlySpan<byte> value)
    {
        if (IsAtom(value))
        {
            Space();
            Write(value);
            return this;
        }
        return String(value);
    }

    public ImapResponseWriter AString(string value) => AString(Encoding.UTF8.GetBytes(value));

    /// <summary>RFC 9051 string = quoted / literal: quoted when short and free of CR, LF, NUL (and of 8-bit unless <see cref="Utf8Quoted"/>), else a literal.</summary>
    public ImapResponseWriter String(ReadOnlySpan<byte> value)
    {
        if (!CanQuote(value))
            return Literal(value);
        Space();
        Write("\""u8);
        int start = 0;
        for (int i = 0; i < value.Length; i++)
        {
            // quoted-specials = DQUOTE / "\"
            if (value[i] is (byte)'"' or (byte)'\\')
            {
                Write(value[start..i]);
                Write("\\"u8);
                start = i;
            }
        }
        Write(value[start..]);
        Write("\""u8);
        return this;
    }

    public ImapResponseWriter String(string value) => String(Encoding.UTF8.GetBytes(value));

    /// <summary>RFC 9051 nstring = string / nil.</summary>
    public ImapResponseWriter NString(ReadOnlySpan<byte> value, bool isNil) => isNil ? Nil() : String(value);

    public ImapResponseWriter NString(string? value) => value is null ? Nil() : String(value);

    /// <summary>RFC 9051 4.3: literal = "{" number64 "}" CRLF *CHAR8 (servers send only synchronizing literals).</summary>
    public ImapResponseWriter Literal(ReadOnlySpan<byte> value)
    {
        LiteralHeader(value.Length, binary: false);
        Write(value);
        return this;
    }

    /// <summary>RFC 3516 4.2: literal8 = "~{" number64 "}" CRLF *OCTET, for BINARY[...] with NUL octets.</summary>
    public ImapResponseWriter Literal8(ReadOnlySpan<byte> value)
    {
        LiteralHeader(value.Length, binary: true);
        Write(value);
        return this;
    }

    /// <summary>The header of a literal whose octets the caller streams itself (a message body from the store).</summary>
    public ImapResponseWriter LiteralHeader(long length, bool binary)
    {
        Space();
        Write(binary ? "~{"u8 : "{"u8);
        _needSpace = false;
        Number((ulong)length);
        Write("}\r\n"u8);
        _needSpace = true;
        return this;
    }

    /// <summary>"(" of a parenthesized list (RFC 9051 4.4).</summary>
    public ImapResponseWriter BeginList()
    {
        Space();
        Write("("u8);
        _needSpace = false;
        return this;
    }

    public ImapResponseWriter EndList()
    {
        Write(")"u8);
        _needSpace = true;
        return this;
    }

    /// <summary>RFC 9051 text = 1*TEXT-CHAR: CR and LF become spaces; an empty text becomes "Completed" (rev1 requires one character).</summary>
    public ImapResponseWriter Text(string text)
    {
        if (_needSpace)
            Write(" "u8);
        var bytes = Encoding.UTF8.GetBytes(text.Length == 0 ? "Completed" : text);
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'\r' or (byte)'\n' or 0)
                bytes[i] = (byte)' ';
        }
        Write(bytes);
        _needSpace = true;
        return this;
    }

    /// <summary>CRLF ends the response line.</summary>
    public void EndLine()
    {
        Write("\r\n"u8);
        _needSpace = false;
    }

    /// <summary>
    /// RFC 9051 ASTRING-CHAR only, non-empty, not NIL, and without "[": the grammar allows it in an
    /// atom, but a reader that takes FETCH sections (ours, and clients' response parsers for
    /// BODY[...]) reads it as a section start, so such names are quoted.
    /// </summary>
    internal static bool IsAtom(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty || value.Length > MaxQuotedLength || (value.Length == 3 && Ascii.EqualsIgnoreCase(value, "NIL"u8)))
            return false;
        foreach (byte b in value)
        {
            if (!ImapCommandReader.IsAtomChar(b) && b != (byte)']' || b == (byte)'[')
                return false;
        }
        return true;
    }

    private bool CanQuote(ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxQuotedLength || value.IndexOfAny((byte)'\r', (byte)'\n', (byte)0) >= 0)
            return false;
        if (Ascii.IsValid(value))
            return true;
        return Utf8Quoted && System.Text.Unicode.Utf8.IsValid(value);
    }

    private void Space()
    {
        if (_needSpace)
            Write(" "u8);
        _needSpace = true;
    }

    private void Write(ReadOnlySpan<byte> bytes) => output.Write(bytes);

    /// <summary>Encoding.ASCII straight into the output's buffer (non-ASCII becomes "?", as GetBytes makes it), without an array per token.</summary>
    private void WriteAscii(string text)
    {
        var span = output.GetSpan(text.Length);
        int written = Encoding.ASCII.GetBytes(text, span);
        output.Advance(written);
    }
}
