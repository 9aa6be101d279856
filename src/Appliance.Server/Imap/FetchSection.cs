// RFC 9051 section 9 (fetch-att, section, section-spec, section-msgtext, section-part, section-text,
// header-list, partial, section-binary) and section 6.4.5 (FETCH data items: BODY[...], BODY.PEEK,
// BINARY, BINARY.PEEK, BINARY.SIZE; section numbers); RFC 3516 section 4 (BINARY).
using System.Text;

namespace Appliance.Server.Imap;

/// <summary>RFC 9051 section-msgtext / section-text: which text of a part a section names.</summary>
internal enum SectionText
{
    /// <summary>No text specifier: the whole part ("BODY[]", "BODY[1.2]").</summary>
    None,
    Header,
    HeaderFields,
    HeaderFieldsNot,
    Text,
    /// <summary>The MIME header of a part; only after part numbers.</summary>
    Mime,
}

/// <summary>
/// A FETCH item with a section, taken apart from the raw atom the reader keeps
/// ("BODY.PEEK[1.2.HEADER.FIELDS (From To)]&lt;0.2048&gt;").
/// </summary>
/// <param name="Name">BODY, BODY.PEEK, BINARY, BINARY.PEEK or BINARY.SIZE, in upper case.</param>
/// <param name="Part">section-part: the part numbers (empty for the message itself).</param>
/// <param name="Fields">The header field names of HEADER.FIELDS (.NOT), in order.</param>
/// <param name="Partial">RFC 9051 partial = "&lt;" number64 "." nz-number64 "&gt;": first octet and count.</param>
internal sealed record FetchSection(string Name, IReadOnlyList<uint> Part, SectionText Text, IReadOnlyList<string> Fields, (long Offset, long Length)? Partial)
{
    public bool IsPeek => Name.EndsWith(".PEEK", StringComparison.Ordinal);

    public bool IsBinary => Name.StartsWith("BINARY", StringComparison.Ordinal);

    /// <summary>
    /// Parses a FETCH item atom that has a section. False for any other item (FLAGS, UID ...) and for
    /// anything the grammar does not allow, with <paramref name="error"/> saying what (for BAD).
    /// </summary>
    public static bool TryParse(string atom, out FetchSection section, out string? error)
    {
        section = null!;
        error = null;
        int open = atom.IndexOf('[');
        int close = atom.LastIndexOf(']');
        if (open < 0 || close < open)
            return Fail("no section", out error);
        string name = atom[..open].ToUpperInvariant();
        if (name is not ("BODY" or "BODY.PEEK" or "BINARY" or "BINARY.PEEK" or "BINARY.SIZE"))
            return Fail($"{name} takes no section", out error);
        string spec = atom[(open + 1)..close];
        string tail = atom[(close + 1)..];

        (long, long)? partial = null;
        if (tail.Length > 0)
        {
            // partial = "<" number64 "." nz-number64 ">"; BINARY.SIZE takes none (RFC 9051 fetch-att).
            if (name == "BINARY.SIZE" || tail[0] != '<' || tail[^1] != '>')
                return Fail("invalid partial", out error);
            var parts = tail[1..^1].Split('.');
            if (parts.Length != 2 || Number(parts[0]) is not { } offset || Number(parts[1]) is not { } length || length == 0)
                return Fail("invalid partial", out error);
            partial = (offset, length);
        }

        // section-part = nz-number *("." nz-number)
        var numbers = new List<uint>();
        int i = 0;
        while (i < spec.Length && char.IsAsciiDigit(spec[i]))
        {
            int end = i;
            while (end < spec.Length && char.IsAsciiDigit(spec[end]))
                end++;
            if (spec[i] == '0' || !uint.TryParse(spec.AsSpan(i, end - i), out uint n))
                return Fail("invalid part number", out error);
            numbers.Add(n);
            i = end;
            if (i < spec.Length)
            {
                if (spec[i] != '.')
                    return Fail("invalid part number", out error);
                i++;
                if (i == spec.Length)
                    return Fail("a part number must follow \".\"", out error);
            }
        }
        string rest = spec[i..];
        bool binary = name.StartsWith("BINARY", StringComparison.Ordinal);
        // RFC 3516 section-binary = "[" [section-part] "]"
        if (binary && rest.Length > 0)
            return Fail("BINARY sections hold part numbers only", out error);

        var text = SectionText.None;
        IReadOnlyList<string> fields = [];
        if (rest.Length > 0)
        {
            int space = rest.IndexOf(' ');
            string keyword = (space < 0 ? rest : rest[..space]).ToUpperInvariant();
            text = keyword switch
            {
                "HEADER" => SectionText.Header,
                "HEADER.FIELDS" => SectionText.HeaderFields,
                "HEADER.FIELDS.NOT" => SectionText.HeaderFieldsNot,
                "TEXT" => SectionText.Text,
                "MIME" when numbers.Count > 0 => SectionText.Mime, // section-text: MIME only after section-part
                _ => SectionText.None,
            };
            if (text == SectionText.None)
                return Fail($"unknown section {keyword}", out error);
            bool wantsList = text is SectionText.HeaderFields or SectionText.HeaderFieldsNot;
            if (wantsList != (space >= 0))
                return Fail(wantsList ? "HEADER.FIELDS needs a list of field names" : "unexpected text in section", out error);
            if (wantsList)
            {
                if (!TryHeaderList(rest[(space + 1)..], out var names))
                    return Fail("invalid header list", out error);
                fields = names;
            }
        }
        section = new FetchSection(name, numbers, text, fields, partial);
        return true;
    }

    /// <summary>header-list = "(" header-fld-name *(SP header-fld-name) ")"; header-fld-name = astring (atoms or quoted here).</summary>
    private static bool TryHeaderList(string list, out List<string> names)
    {
        names = [];
        if (list.Length < 3 || list[0] != '(' || list[^1] != ')')
            return false;
        var inner = list[1..^1];
        int i = 0;
        while (true)
        {
            var name = new StringBuilder();
            if (i < inner.Length && inner[i] == '"')
            {
                i++;
                while (i < inner.Length && inner[i] != '"')
                {
                    if (inner[i] == '\\' && i + 1 < inner.Length)
                        i++;
                    name.Append(inner[i++]);
                }
                if (i >= inner.Length)
                    return false;
                i++;
            }
            else
            {
                while (i < inner.Length && inner[i] != ' ')
                {
                    if (!ImapCommandReader.IsAtomChar((byte)inner[i]) && inner[i] != ']')
                        return false;
                    name.Append(inner[i++]);
                }
            }
            // RFC 5322 field-name = 1*ftext (printable ASCII but ":"); an empty name is no name.
            if (name.Length == 0 || name.ToString().Any(c => c is < '!' or > '~' or ':'))
                return false;
            names.Add(name.ToString());
            if (i == inner.Length)
                return true;
            if (inner[i] != ' ')
                return false;
            i++;
        }
    }

    private static long? Number(string digits) => ImapCommandReader.ParseNumber64(Encoding.ASCII.GetBytes(digits));

    private static bool Fail(string reason, out string? error)
    {
        error = reason;
        return false;
    }
}
