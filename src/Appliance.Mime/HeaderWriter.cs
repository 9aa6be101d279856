// RFC 5322 2.1.1 (line length), 2.2 (field names), 2.2.3 (folding), 3.2.3-3.2.5 (atoms, quoted
// strings, phrases), 3.4 (addresses); RFC 2047 (encoded-words) 2, 4.1, 4.2, 5; RFC 6532 3.2 (UTF-8
// header values); RFC 5890/5891 (IDNA A-labels); RFC 2231 3, 4 (parameter continuations, charsets).
using System.Globalization;
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// Writes header fields for the builder: validates what callers give us (no line breaks, no NUL, field
/// names from ftext), encodes non-ASCII text as RFC 2047 words unless UTF-8 headers are allowed, and
/// folds at spaces between tokens so no line passes 78 characters when a fold point exists.
/// </summary>
internal static class HeaderWriter
{
    /// <summary>RFC 5322 2.1.1: lines SHOULD be at most 78 characters, excluding CRLF.</summary>
    public const int FoldColumn = 78;

    /// <summary>RFC 5322 2.1.1: lines MUST be at most 998 characters, excluding CRLF.</summary>
    public const int HardLimit = 998;

    /// <summary>The longest token written unfolded: room for a field name and "&lt;address&gt;," on the same 998-octet line.</summary>
    private const int LongestToken = 700;

    /// <summary>
    /// RFC 5322 sets no name length, but a name shares its line with the first value token; 200 leaves
    /// room for a full encoded-word within 998 octets (real names are under 80).
    /// </summary>
    private const int MaxFieldNameLength = 200;

    /// <summary>RFC 2047 2: an encoded-word is at most 75 characters.</summary>
    private const int MaxWordLength = 75;

    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = false };

    /// <summary>
    /// Refuses CR, LF and NUL in a single-line value: with them a caller could end our field and start
    /// one of their own (header injection), or cut the message short.
    /// </summary>
    public static void CheckSingleLine(string? value, string field)
    {
        if (value is not null && value.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException($"{field} must not contain CR, LF or NUL.", field);
        }
    }

    /// <summary>RFC 5322 2.2: field-name = 1*ftext; ftext = %d33-57 / %d59-126 (printable ASCII except ":").</summary>
    public static void CheckFieldName(string name, string field)
    {
        if (name.Length == 0 || name.Length > MaxFieldNameLength)
        {
            throw new ArgumentException($"{field} must be 1 to {MaxFieldNameLength} characters.", field);
        }
        foreach (char c in name)
        {
            if (c is < (char)33 or > (char)126 or ':')
            {
                throw new ArgumentException($"{field} \"{name}\" has a character outside RFC 5322 ftext.", field);
            }
        }
    }

    /// <summary>
    /// An unstructured field (RFC 5322 3.2.5 unstructured: Subject, Comments, custom fields). ASCII text
    /// is folded at its spaces; non-ASCII text, text that would read as an encoded-word, text with
    /// whitespace at either end, or a word too long for one line becomes RFC 2047 words (RFC 6532 3.2
    /// raw UTF-8 instead when allowed, except for the whitespace at the ends).
    /// </summary>
    public static void WriteUnstructured(StringBuilder output, string name, string value, bool utf8)
    {
        int start = name.Length + 2;
        bool ascii = Ascii.IsValid(value);
        bool looksEncoded = value.Contains("=?", StringComparison.Ordinal);
        int longest = 0;
        foreach (string word in value.Split(' '))
        {
            longest = Math.Max(longest, Encoding.UTF8.GetByteCount(word)); // 2.1.1 counts octets
        }
        bool fitsHardLimit = longest + start < HardLimit;
        // Readers, ours included (HeaderField.Value), trim whitespace around a field value; inside an
        // encoded-word it is text (RFC 2047 4.2 "_"), so it reads back as written.
        bool edgeSpace = value.Length > 0 && (value[0] is ' ' or '\t' || value[^1] is ' ' or '\t');
        if ((ascii || utf8) && !looksEncoded && fitsHardLimit && !edgeSpace && !HasControl(value))
        {
            WriteFolded(output, name, value.Split(' '));
            return;
        }
        WriteFolded(output, name, EncodeWords(value, firstColumn: start));
    }

    /// <summary>Writes "Name: " then the tokens separated by single spaces, folding (CRLF before the space) past <see cref="FoldColumn"/>.</summary>
    public static void WriteFolded(StringBuilder output, string name, IReadOnlyList<string> tokens)
    {
        output.Append(name).Append(':');
        int column = name.Length + 1;
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            // RFC 5322 2.2.3: fold only where whitespace is, by putting CRLF before it; never before an
            // empty token (two spaces in a row) because a line of only whitespace is forbidden (3.2.2).
            if (i > 0 && token.Length > 0 && column + 1 + token.Length > FoldColumn)
            {
                output.Append("\r\n");
                column = 0;
            }
            output.Append(' ').Append(token);
            column += 1 + token.Length;
        }
        output.Append("\r\n");
    }

    /// <summary>
    /// RFC 2047 encoded-words for <paramref name="text"/>, UTF-8, with B or Q, whichever is shorter
    /// in total. Words are cut between code points (2047 5: each word must hold whole characters) and
    /// kept under 75 characters; the first one also fits the line after the field name. Q uses only
    /// the characters 2047 5 (3) allows in a phrase, so the words are valid in every context.
    /// </summary>
    public static List<string> EncodeWords(string text, int firstColumn)
    {
        List<string> b = Encode(text, 'B', firstColumn);
        List<string> q = Encode(text, 'Q', firstColumn);
        return q.Sum(w => w.Length + 1) <= b.Sum(w => w.Length + 1) ? q : b;
    }

    private static List<string> Encode(string text, char encoding, int firstColumn)
    {
        const string Prefix = "=?utf-8?";
        int overhead = Prefix.Length + 2 + 2; // "=?utf-8?" "B?" ... "?="
        var words = new List<string>();
        var bytes = new List<byte>();
        int encodedLength = 0;
        // The first word shares its line with the field name; later words start a folded line.
        int limit = Math.Clamp(FoldColumn - firstColumn, 24, MaxWordLength);
        Span<byte> runeBytes = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            int n = rune.EncodeToUtf8(runeBytes);
            int added = encoding == 'B' ? Base64Length(bytes.Count + n) - Base64Length(bytes.Count) : QLength(runeBytes[..n]);
            int next = encoding == 'B' ? Base64Length(bytes.Count + n) : encodedLength + added;
            if (bytes.Count > 0 && overhead + next > limit)
            {
                words.Add(Word(bytes, encoding));
                bytes.Clear();
                encodedLength = 0;
                limit = MaxWordLength;
                next = encoding == 'B' ? Base64Length(n) : QLength(runeBytes[..n]);
            }
            for (int i = 0; i < n; i++)
            {
                bytes.Add(runeBytes[i]);
            }
            encodedLength = next;
        }
        if (bytes.Count > 0 || words.Count == 0)
        {
            words.Add(Word(bytes, encoding));
        }
        return words;
    }

    private static int Base64Length(int bytes) => (bytes + 2) / 3 * 4;

    private static int QLength(ReadOnlySpan<byte> bytes)
    {
        int length = 0;
        foreach (byte b in bytes)
        {
            length += IsQLiteral(b) || b == ' ' ? 1 : 3;
        }
        return length;
    }

    // RFC 2047 5 (3): in a phrase only letters, digits, "!", "*", "+", "-", "/" (and "_" for space)
    // may stand for themselves; using that set everywhere makes one word valid in every context.
    private static bool IsQLiteral(byte b) =>
        b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9'
          or (byte)'!' or (byte)'*' or (byte)'+' or (byte)'-' or (byte)'/';

    private static string Word(List<byte> bytes, char encoding)
    {
        var word = new StringBuilder("=?utf-8?").Append(encoding).Append('?');
        if (encoding == 'B')
        {
            word.Append(Convert.ToBase64String(bytes.ToArray()));
        }
        else
        {
            foreach (byte b in bytes)
            {
                if (b == ' ')
                {
                    word.Append('_'); // RFC 2047 4.2 (2)
                }
                else if (IsQLiteral(b))
                {
                    word.Append((char)b);
                }
                else
                {
                    word.Append('=').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
        }
        return word.Append("?=").ToString();
    }

    /// <summary>
    /// Address list tokens (RFC 5322 3.4): display-name words then "&lt;addr&gt;", mailboxes separated by
    /// commas. The caller folds between tokens.
    /// </summary>
    public static List<string> AddressTokens(IReadOnlyList<MailboxAddress> mailboxes, string field, bool utf8, int firstColumn)
    {
        var tokens = new List<string>();
        for (int i = 0; i < mailboxes.Count; i++)
        {
            MailboxAddress mailbox = mailboxes[i];
            string where = mailboxes.Count == 1 ? field : $"{field}[{i}]";
            string address = FormatAddress(mailbox, where, utf8);
            string? name = mailbox.DisplayName;
            CheckSingleLine(name, where + ".DisplayName");
            bool last = i == mailboxes.Count - 1;
            if (string.IsNullOrEmpty(name))
            {
                tokens.Add(address + (last ? "" : ","));
                continue;
            }
            tokens.AddRange(Phrase(name, utf8, tokens.Count == 0 ? firstColumn : 0));
            tokens.Add("<" + address + ">" + (last ? "" : ","));
        }
        return tokens;
    }

    /// <summary>
    /// RFC 5322 3.2.5 phrase: atoms as they are, a quoted-string when the name has specials or
    /// whitespace runs (3.2.4), RFC 2047 words when it is not ASCII and UTF-8 headers are not allowed.
    /// </summary>
    public static List<string> Phrase(string name, bool utf8, int firstColumn)
    {
        bool ascii = Ascii.IsValid(name);
        if ((!ascii && !utf8) || name.Contains("=?", StringComparison.Ordinal) || HasControl(name))
        {
            return EncodeWords(name, firstColumn);
        }
        string[] words = name.Split(' ');
        bool atoms = words.All(w => w.Length > 0 && w.All(c => c >= 128 || IsAtext(c)));
        if (atoms && words.All(w => Encoding.UTF8.GetByteCount(w) < LongestToken))
        {
            return [.. words];
        }
        // RFC 5322 3.2.4: quoted-string; "\" and DQUOTE need a quoted-pair.
        string quoted = "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        // A quoted-string cannot be folded without changing it, so one that would not fit a
        // 998-octet line (2.1.1) goes as encoded-words, which can.
        return Encoding.UTF8.GetByteCount(quoted) < LongestToken ? [quoted] : EncodeWords(name, firstColumn);
    }

    /// <summary>
    /// The addr-spec to write: the local part quoted when it is not a dot-atom (3.4.1), the domain as
    /// an A-label (IDNA) unless UTF-8 headers allow the U-label (RFC 6532 3.2). A non-ASCII local part
    /// has no ASCII form, so it needs UTF-8 headers (an SMTPUTF8 path).
    /// </summary>
    public static string FormatAddress(MailboxAddress mailbox, string field, bool utf8)
    {
        CheckSingleLine(mailbox.LocalPart, field + ".LocalPart");
        CheckSingleLine(mailbox.Domain, field + ".Domain");
        if (mailbox.LocalPart.Length == 0 || mailbox.Domain.Length == 0)
        {
            throw new ArgumentException($"{field} needs a local part and a domain.", field);
        }
        if (!utf8 && !Ascii.IsValid(mailbox.LocalPart))
        {
            throw new ArgumentException($"{field} has a non-ASCII local part; it can only be sent with Utf8Headers (SMTPUTF8).", field);
        }
        if (mailbox.Domain.AsSpan().IndexOfAny(" \t<>()[],;:\\\"@") >= 0 && !mailbox.Domain.StartsWith('['))
        {
            throw new ArgumentException($"{field} has an invalid domain \"{mailbox.Domain}\".", field);
        }
        string domain = ToAsciiDomain(mailbox.Domain, field, utf8);
        foreach (char c in mailbox.LocalPart)
        {
            if (c < 32 || c == 127)
            {
                throw new ArgumentException($"{field} has a control character in the local part.", field);
            }
        }
        return new MailboxAddress(null, mailbox.LocalPart, domain).Address;
    }

    public static string ToAsciiDomain(string domain, string field, bool utf8)
    {
        if (utf8 || Ascii.IsValid(domain))
        {
            return domain;
        }
        try
        {
            return Idn.GetAscii(domain);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"{field} has a domain that is not a valid IDN: {e.Message}", field, e);
        }
    }

    /// <summary>
    /// RFC 5322 3.6.4 msg-id "&lt;" id-left "@" id-right "&gt;": ids we are given must be a single token
    /// without whitespace or angle brackets inside, so they cannot break the field.
    /// </summary>
    public static string CheckMessageId(string id, string field)
    {
        CheckSingleLine(id, field);
        string bare = id.Trim();
        if (bare.StartsWith('<') && bare.EndsWith('>'))
        {
            bare = bare[1..^1];
        }
        // The 900 cap keeps one id, which cannot be folded, under the 998-octet line limit (2.1.1).
        if (bare.Length == 0 || bare.Length > 900 || bare.AsSpan().IndexOfAny(" \t<>\"") >= 0 || !bare.Contains('@', StringComparison.Ordinal) || !Ascii.IsValid(bare))
        {
            throw new ArgumentException($"{field} \"{id}\" is not a msg-id (RFC 5322 3.6.4).", field);
        }
        return "<" + bare + ">";
    }

    /// <summary>
    /// RFC 2231 3, 4: a parameter value as ext-value (utf-8''percent-encoded), split into numbered
    /// sections so each stays short enough to fold between them.
    /// </summary>
    public static List<string> Rfc2231Parameter(string name, string value)
    {
        var chunks = new List<string>();
        var current = new StringBuilder();
        Span<byte> runeBytes = stackalloc byte[4];
        foreach (Rune rune in value.EnumerateRunes())
        {
            var piece = new StringBuilder();
            int n = rune.EncodeToUtf8(runeBytes);
            foreach (byte b in runeBytes[..n])
            {
                // RFC 2231 7 attribute-char: token characters except "*", "'", "%".
                if (b < 128 && (char.IsAsciiLetterOrDigit((char)b) || "!#$&+-.^_`|~".Contains((char)b, StringComparison.Ordinal)))
                {
                    piece.Append((char)b);
                }
                else
                {
                    piece.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
                }
            }
            if (current.Length > 0 && current.Length + piece.Length > 48)
            {
                chunks.Add(current.ToString());
                current.Clear();
            }
            current.Append(piece);
        }
        chunks.Add(current.ToString());
        if (chunks.Count == 1)
        {
            return [$"{name}*=utf-8''{chunks[0]}"];
        }
        // RFC 2231 3: name*0*=charset''...; name*1*=... ; only the first section names the charset.
        return [.. chunks.Select((c, i) => i == 0 ? $"{name}*0*=utf-8''{c}" : $"{name}*{i}*={c}")];
    }

    /// <summary>A parameter as a quoted-string (RFC 2045 5.1 value := token / quoted-string).</summary>
    public static string QuotedParameter(string name, string value) =>
        name + "=\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static bool HasControl(string text)
    {
        foreach (char c in text)
        {
            if (c is < (char)32 and not '\t' || c == (char)127)
            {
                return true;
            }
        }
        return false;
    }

    // RFC 5322 3.2.3 atext.
    private static bool IsAtext(char c) =>
        char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal);
}
