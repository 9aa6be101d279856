// RFC 5322 3.4 (address specification), 3.2 (lexical tokens), 4.4 (obsolete addressing);
// RFC 2047 5 (encoded-words in phrases); RFC 6532 3.2 (UTF-8 in addresses).
using System.Text;

namespace Appliance.Mime;

internal static class AddressParser
{
    private enum Kind { Atom, Quoted, DomainLiteral, Comment, Special }

    /// <param name="SpaceBefore">Whitespace or a comment came before it: phrases keep one space there.</param>
    private readonly record struct Token(Kind Kind, string Text, bool SpaceBefore)
    {
        public bool Is(char special) => Kind == Kind.Special && Text[0] == special;

        public bool IsWord => Kind is Kind.Atom or Kind.Quoted;
    }

    /// <param name="keepEmptyGroups">
    /// Add a placeholder (empty local part and domain, <see cref="MailboxAddress.Group"/> set) for
    /// each group without members, so that IMAP's ENVELOPE can still show "undisclosed-recipients:;".
    /// </param>
    public static IReadOnlyList<MailboxAddress> ParseList(string value, bool keepEmptyGroups = false)
    {
        List<Token> tokens = Tokenize(value);
        var result = new List<MailboxAddress>();
        string? group = null;
        int groupStart = 0;
        int i = 0;
        int n = tokens.Count;
        int noCloseFrom = int.MaxValue;
        while (i < n)
        {
            int start = i;
            while (i < n && !IsAny(tokens[i], "<:,;"))
            {
                i++;
            }
            if (i < n && tokens[i].Is('<'))
            {
                // RFC 5322 3.4: name-addr = [display-name] angle-addr
                string? displayName = Phrase(tokens, start, i);
                int open = ++i;
                if (open >= noCloseFrom)
                {
                    i = n; // known: no ">" from here on
                }
                while (i < n && !tokens[i].Is('>'))
                {
                    i++;
                }
                if (i == n)
                {
                    // Remembered so that a list of many unclosed "<" costs one scan, not one per address.
                    noCloseFrom = Math.Min(noCloseFrom, open);
                }
                if (i == n)
                {
                    // Unclosed "<": the address runs to the next comma.
                    i = open;
                    while (i < n && !tokens[i].Is(','))
                    {
                        i++;
                    }
                }
                int close = i;
                // RFC 5322 4.4 obs-angle-addr: "<@route,@route:addr>"; the route is ignored.
                for (int k = close - 1; k >= open; k--)
                {
                    if (tokens[k].Is(':'))
                    {
                        open = k + 1;
                        break;
                    }
                }
                MailboxAddress? mailbox = FromAddrSpec(tokens, open, close, displayName, bare: false);
                while (i < n && !tokens[i].Is(',') && !tokens[i].Is(';'))
                {
                    i++; // trailing comments and junk after ">"
                }
                if (mailbox is not null)
                {
                    result.Add(mailbox with { Group = group });
                }
                if (i < n && tokens[i].Is(';'))
                {
                    CloseGroup();
                }
                i++;
            }
            else if (i < n && tokens[i].Is(':') && group is null)
            {
                // RFC 5322 3.4: group = display-name ":" [group-list] ";"
                group = Phrase(tokens, start, i) ?? "";
                groupStart = result.Count;
                i++;
            }
            else
            {
                // RFC 5322 3.4.1 addr-spec, or an empty element (obs-addr-list, 4.4), or junk.
                MailboxAddress? mailbox = FromAddrSpec(tokens, start, i, null, bare: true);
                if (mailbox is not null)
                {
                    result.Add(mailbox with { Group = group });
                }
                if (i < n && tokens[i].Is(';'))
                {
                    CloseGroup();
                }
                i++;
            }
        }
        if (group is not null)
        {
            CloseGroup(); // RFC 5322 4.4 tolerance: a group whose ";" never came
        }
        return result;

        void CloseGroup()
        {
            if (keepEmptyGroups && group is not null && result.Count == groupStart)
            {
                result.Add(new MailboxAddress(null, "", "") { Group = group });
            }
            group = null;
        }
    }

    /// <summary>RFC 5322 3.2.3: a dot-atom needs no quotes.</summary>
    public static bool IsDotAtom(string text)
    {
        if (text.Length == 0 || text[0] == '.' || text[^1] == '.' || text.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c != '.' && !IsAtomChar(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <param name="bare">
    /// An addr-spec outside angle brackets. Only there can words before the local part be a (broken,
    /// unbracketed) display name, and a comment be the name by the old "addr (Full Name)" convention.
    /// </param>
    private static MailboxAddress? FromAddrSpec(List<Token> tokens, int start, int end, string? displayName, bool bare)
    {
        int at = -1;
        string? comment = null;
        for (int k = start; k < end; k++)
        {
            if (tokens[k].Is('@'))
            {
                at = k;
            }
            else if (bare && tokens[k].Kind == Kind.Comment && comment is null && !string.IsNullOrWhiteSpace(tokens[k].Text))
            {
                comment = tokens[k].Text;
            }
        }
        if (at < 0)
        {
            // No "@": a bare local name ("postmaster") or a name with no address at all.
            List<Token> words = tokens.GetRange(start, end - start).Where(t => t.Kind != Kind.Comment).ToList();
            if (words.Count == 0)
            {
                return displayName is null ? null : new MailboxAddress(displayName, "", "");
            }
            if (words.Skip(1).Any(t => t.SpaceBefore && !t.Is('.')))
            {
                return new MailboxAddress(Phrase(tokens, start, end), "", "");
            }
            return new MailboxAddress(displayName ?? Decode(comment), Concat(tokens, start, end), "");
        }

        // The local part is the run of words and dots just before the last "@" (an earlier unquoted
        // "@" is kept in it). Whitespace between two words ends it (a comment counts as whitespace),
        // so a broken 'Name addr@host' without angle brackets still yields name and address.
        int localStart = at;
        bool rightIsWord = false;
        bool gapOnRight = false;
        for (int k = at - 1; k >= start; k--)
        {
            Token token = tokens[k];
            if (token.Kind == Kind.Comment)
            {
                continue;
            }
            if (!token.IsWord && !token.Is('.') && !token.Is('@'))
            {
                break;
            }
            if (token.IsWord && rightIsWord && gapOnRight)
            {
                break;
            }
            localStart = k;
            rightIsWord = token.IsWord;
            gapOnRight = token.SpaceBefore;
        }
        if (bare)
        {
            displayName ??= Phrase(tokens, start, localStart) ?? Decode(comment);
        }
        bool hasWord = tokens.Skip(localStart).Take(at - localStart).Any(t => t.IsWord);
        if (!hasWord && displayName is null)
        {
            return null; // "<@>", "<<@@>>": nothing a person could read or reply to
        }
        string localPart = Concat(tokens, localStart, at);
        string domain = Concat(tokens, at + 1, end);
        return new MailboxAddress(displayName, localPart, domain);
    }

    private static string? Decode(string? text) => text is null ? null : Nonempty(EncodedWords.Decode(text).Trim());

    private static string? Nonempty(string text) => text.Length == 0 ? null : text;

    /// <summary>Tokens joined without spaces (RFC 5322 4.4 lets CFWS stand around dots: it is dropped).</summary>
    private static string Concat(List<Token> tokens, int start, int end)
    {
        var text = new StringBuilder();
        for (int k = start; k < end; k++)
        {
            if (tokens[k].Kind != Kind.Comment)
            {
                text.Append(tokens[k].Text);
            }
        }
        return text.ToString();
    }

    /// <summary>
    /// RFC 5322 3.2.5 phrase (and 4.1 obs-phrase, which allows "."): words with single spaces where
    /// the sender put whitespace, then encoded-words decoded (RFC 2047 5 (3)).
    /// </summary>
    private static string? Phrase(List<Token> tokens, int start, int end)
    {
        var text = new StringBuilder();
        for (int k = start; k < end; k++)
        {
            Token token = tokens[k];
            if (token.Kind == Kind.Comment)
            {
                continue;
            }
            if (text.Length > 0 && token.SpaceBefore)
            {
                text.Append(' ');
            }
            text.Append(token.Text);
        }
        return Nonempty(EncodedWords.Decode(text.ToString()).Trim());
    }

    private static bool IsAny(Token token, string specials) =>
        token.Kind == Kind.Special && specials.Contains(token.Text[0], StringComparison.Ordinal);

    // RFC 5322 3.2.3 atext, widened by RFC 6532 3.2 to any non-ASCII character.
    private static bool IsAtomChar(char c) =>
        c > 127 || (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-/=?^_`{|}~".Contains(c, StringComparison.Ordinal));

    private static List<Token> Tokenize(string value)
    {
        var tokens = new List<Token>();
        bool space = false;
        int i = 0;
        while (i < value.Length)
        {
            char c = value[i];
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                space = true;
                i++;
            }
            else if (c == '(')
            {
                // RFC 5322 3.2.2: comments nest and may hold quoted-pairs. Kept for the old
                // "addr (Name)" form, where the comment is the only name there is.
                var text = new StringBuilder();
                int depth = 0;
                for (; i < value.Length; i++)
                {
                    char d = value[i];
                    if (d == '\\' && i + 1 < value.Length)
                    {
                        text.Append(value[++i]);
                        continue;
                    }
                    if (d == '(' && depth++ == 0)
                    {
                        continue;
                    }
                    if (d == ')' && --depth == 0)
                    {
                        i++;
                        break;
                    }
                    text.Append(d);
                }
                tokens.Add(new Token(Kind.Comment, text.ToString(), space));
                space = true;
            }
            else if (c == '"')
            {
                // RFC 5322 3.2.4 quoted-string; an unclosed one runs to the end.
                var text = new StringBuilder();
                for (i++; i < value.Length && value[i] != '"'; i++)
                {
                    if (value[i] == '\\' && i + 1 < value.Length)
                    {
                        i++;
                    }
                    text.Append(value[i]);
                }
                i++;
                tokens.Add(new Token(Kind.Quoted, text.ToString(), space));
                space = false;
            }
            else if (c == '[')
            {
                // RFC 5322 3.4.1 domain-literal, kept with its brackets.
                int close = value.IndexOf(']', i);
                int end = close < 0 ? value.Length : close + 1;
                tokens.Add(new Token(Kind.DomainLiteral, value[i..end], space));
                i = end;
                space = false;
            }
            else if ("<>:;@,.".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(Kind.Special, c.ToString(), space));
                i++;
                space = false;
            }
            else
            {
                // An atom; a stray ")" or "]" is taken as its first character rather than stall here.
                int start = i;
                bool first = true;
                while (i < value.Length)
                {
                    // An encoded-word is one atom even when broken senders put specials inside it.
                    int word = value[i] == '=' ? EncodedWords.MatchLength(value, i) : 0;
                    if (word > 0)
                    {
                        i += word;
                        continue;
                    }
                    char d = value[i];
                    if (!first && (char.IsWhiteSpace(d) || char.IsControl(d) || "()<>[]:;@,.\"".Contains(d, StringComparison.Ordinal)))
                    {
                        break;
                    }
                    first = false;
                    i++;
                }
                tokens.Add(new Token(Kind.Atom, value[start..i], space));
                space = false;
            }
        }
        return tokens;
    }
}
