// RFC 9051 section 9 (formal syntax): command = tag SP (command-any / command-auth / command-nonauth
// / command-select) CRLF. The reader produces this generic shape; each command's file checks its
// own arguments against its grammar rule.
using System.Buffers;
using System.Text;

namespace Appliance.Server.Imap;

/// <summary>A command as read: tag, name and its arguments, not yet checked against the command's grammar.</summary>
/// <param name="Tag">RFC 9051 section 9 tag: 1*&lt;any ASTRING-CHAR except "+"&gt;.</param>
/// <param name="Name">The command name in upper case (command names are case-insensitive, RFC 9051 section 9 note 1).</param>
internal sealed record ImapCommand(string Tag, string Name, IReadOnlyList<ImapArgument> Arguments)
{
    public override string ToString() => $"{Tag} {Name}" + string.Concat(Arguments.Select(a => " " + a));
}

internal enum ImapArgumentKind
{
    /// <summary>An atom (RFC 9051 atom, also flags "\Seen", sequence sets "1:*", list patterns "%", and FETCH items with a section "BODY[HEADER.FIELDS (To)]&lt;0.10&gt;" kept raw).</summary>
    Atom,
    /// <summary>An atom of digits only that fits number64 (RFC 9051 section 9); its text is kept, as "007" is also a valid astring.</summary>
    Number,
    /// <summary>A quoted string or a literal: octets, since literals may be 8-bit (RFC 9051 section 4.3).</summary>
    String,
    /// <summary>The atom NIL (case-insensitive); an astring argument still reads it as the mailbox "NIL".</summary>
    Nil,
    /// <summary>A parenthesized list (RFC 9051 section 4.4).</summary>
    List,
}

/// <summary>How a string argument was sent: the session needs to know for BINARY (literal8) and logging.</summary>
internal enum ImapStringForm
{
    None,
    Quoted,
    Literal,
    /// <summary>RFC 3516 literal8 ~{n}: may contain NUL.</summary>
    Literal8,
}

internal sealed class ImapArgument
{
    private static readonly IReadOnlyList<ImapArgument> NoItems = [];

    private ImapArgument(ImapArgumentKind kind, byte[] bytes, long number, IReadOnlyList<ImapArgument> items, ImapStringForm form)
    {
        Kind = kind;
        Bytes = bytes;
        Number = number;
        Items = items;
        Form = form;
    }

    public ImapArgumentKind Kind { get; }

    private ReadOnlySequence<byte> _pending;
    private bool _isPending;

    /// <summary>A literal handed to the session as it arrived (<see cref="ImapReadStatus.LiteralData"/>); its octets are not here.</summary>
    public bool IsStreamed { get; private init; }

    /// <summary>The octet count of a string (also of a streamed literal).</summary>
    public long Length => IsStreamed ? StreamedLength : Bytes.Length;

    private long StreamedLength { get; init; }

    /// <summary>The atom's text or the string's octets (empty for lists).</summary>
    public byte[] Bytes
    {
        get => _isPending ? throw new InvalidOperationException("A literal is read only once its command is complete.")
            : IsStreamed ? throw new InvalidOperationException("A streamed literal's octets went to the session as LiteralData.")
            : field;
        private set;
    }

    /// <summary>The value of a <see cref="ImapArgumentKind.Number"/>.</summary>
    public long Number { get; }

    /// <summary>The items of a <see cref="ImapArgumentKind.List"/>.</summary>
    public IReadOnlyList<ImapArgument> Items { get; }

    public ImapStringForm Form { get; }

    public static ImapArgument Atom(byte[] text) => new(ImapArgumentKind.Atom, text, 0, NoItems, ImapStringForm.None);

    public static ImapArgument NumberOf(byte[] text, long value) => new(ImapArgumentKind.Number, text, value, NoItems, ImapStringForm.None);

    public static ImapArgument String(byte[] octets, ImapStringForm form) => new(ImapArgumentKind.String, octets, 0, NoItems, form);

    /// <summary>
    /// A literal still in the connection's buffer: copied out by <see cref="Materialize"/> only when the
    /// whole command has arrived, so a command re-read as each later literal arrives never copies a
    /// large literal more than once.
    /// </summary>
    public static ImapArgument PendingLiteral(ReadOnlySequence<byte> octets, ImapStringForm form) =>
        new(ImapArgumentKind.String, [], 0, NoItems, form) { _pending = octets, _isPending = true };

    /// <summary>The place of a literal whose octets were streamed to the session.</summary>
    public static ImapArgument Streamed(long length, ImapStringForm form) =>
        new(ImapArgumentKind.String, [], 0, NoItems, form) { IsStreamed = true, StreamedLength = length };

    /// <summary>Copies pending literals out of the buffer (this one and those in lists); false when a literal (not literal8) holds NUL (RFC 9051 CHAR8 = %x01-ff).</summary>
    internal bool Materialize()
    {
        bool valid = true;
        if (_isPending)
        {
            Bytes = _pending.ToArray();
            _pending = default;
            _isPending = false;
            valid = Form == ImapStringForm.Literal8 || !Bytes.AsSpan().Contains((byte)0);
        }
        foreach (var item in Items)
            valid &= item.Materialize();
        return valid;
    }

    public static ImapArgument Nil(byte[] text) => new(ImapArgumentKind.Nil, text, 0, NoItems, ImapStringForm.None);

    public static ImapArgument List(IReadOnlyList<ImapArgument> items) => new(ImapArgumentKind.List, [], 0, items, ImapStringForm.None);

    /// <summary>Atoms, numbers and NIL are ASCII by construction: their text.</summary>
    public string Text => Encoding.ASCII.GetString(Bytes);

    /// <summary>True for an atom (or number, or NIL) equal to <paramref name="word"/> ignoring case.</summary>
    public bool IsAtom(string word) => Kind is ImapArgumentKind.Atom or ImapArgumentKind.Nil or ImapArgumentKind.Number
        && Bytes.Length == word.Length && Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// RFC 9051 astring = 1*ASTRING-CHAR / string: an atom (NIL and numbers included) or a string.
    /// ASTRING-CHAR = ATOM-CHAR / resp-specials, so "[Gmail]/Sent" is one; a raw FETCH-style atom
    /// whose brackets hold spaces or parentheses is not, and neither are "%", "*" or "\".
    /// </summary>
    public bool TryGetAString(out byte[] octets)
    {
        octets = Bytes;
        return Kind switch
        {
            ImapArgumentKind.String => true,
            ImapArgumentKind.Number or ImapArgumentKind.Nil => true,
            ImapArgumentKind.Atom => Bytes.All(b => ImapCommandReader.IsAtomChar(b) || b == (byte)']'),
            _ => false,
        };
    }

    /// <summary>RFC 9051 nstring = string / nil.</summary>
    public bool TryGetNString(out byte[]? octets)
    {
        octets = Kind == ImapArgumentKind.String ? Bytes : null;
        return Kind is ImapArgumentKind.String or ImapArgumentKind.Nil;
    }

    public override string ToString() => Kind switch
    {
        ImapArgumentKind.List => "(" + string.Join(" ", Items) + ")",
        ImapArgumentKind.String when IsStreamed => $"{{{StreamedLength}}}<streamed>",
        ImapArgumentKind.String => Form switch
        {
            ImapStringForm.Literal => $"{{{Bytes.Length}}}" + Encoding.Latin1.GetString(Bytes),
            ImapStringForm.Literal8 => $"~{{{Bytes.Length}}}" + Encoding.Latin1.GetString(Bytes),
            _ => "\"" + Encoding.Latin1.GetString(Bytes) + "\"",
        },
        _ => Text,
    };
}
