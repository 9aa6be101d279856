// RFC 5256 section 2.1 (base subject: the steps and the ABNF of subj-trailer, subj-leader,
// subj-blob, subj-refwd, subj-fwd-hdr, subj-fwd-trl), section 2.2 (sent date), and the
// i;ascii-casemap comparator (RFC 4790 section 9.2) used for SORT and THREAD strings.
using System.Text;
using Appliance.Mime;

namespace Appliance.Server.Imap.Search;

/// <summary>RFC 5256 2.1: a subject without its reply and forward decorations, and whether it had any.</summary>
internal readonly record struct BaseSubject(string Text, bool IsReplyOrForward)
{
    /// <summary>
    /// The base subject of a subject already decoded from encoded-words (step 1, done by the MIME
    /// parser). Each step shortens the text, so the loops end.
    /// </summary>
    public static BaseSubject Of(string decoded)
    {
        // Step 1: runs of whitespace become one space (and none at the ends).
        string text = CollapseWhitespace(decoded);
        bool reply = false;
        while (true)
        {
            // Step 2: remove subj-trailer = "(fwd)" / WSP, repeatedly, from the end.
            while (true)
            {
                if (text.EndsWith(' '))
                    text = text[..^1];
                else if (text.EndsWith("(fwd)", StringComparison.OrdinalIgnoreCase))
                {
                    text = text[..^5];
                    reply = true;
                }
                else
                    break;
            }
            // Steps 3-5: remove subj-leader, then one subj-blob unless nothing would be left; until no change.
            while (true)
            {
                string before = text;
                while (RemoveLeader(ref text, ref reply))
                {
                }
                int blob = BlobLength(text, 0);
                if (blob > 0 && blob < text.Length)
                    text = text[blob..];
                if (text == before)
                    break;
            }
            // Step 6: subj-fwd = "[fwd:" subj-base "]": take the inside and start again from step 2.
            if (text.Length >= 6 && text.StartsWith("[fwd:", StringComparison.OrdinalIgnoreCase) && text.EndsWith(']'))
            {
                text = text[5..^1].Trim(' ');
                reply = true;
                continue;
            }
            return new BaseSubject(text, reply);
        }
    }

    /// <summary>subj-leader = (*subj-blob subj-refwd) / WSP; subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":".</summary>
    private static bool RemoveLeader(ref string text, ref bool reply)
    {
        if (text.StartsWith(' '))
        {
            text = text[1..];
            return true;
        }
        int i = 0;
        int blob;
        while ((blob = BlobLength(text, i)) > 0)
            i += blob;
        int word = text.AsSpan(i).StartsWith("re", StringComparison.OrdinalIgnoreCase) ? 2
            : text.AsSpan(i).StartsWith("fwd", StringComparison.OrdinalIgnoreCase) ? 3
            : text.AsSpan(i).StartsWith("fw", StringComparison.OrdinalIgnoreCase) ? 2 : 0;
        if (word == 0)
            return false;
        int j = i + word;
        while (j < text.Length && text[j] == ' ')
            j++;
        j += BlobLength(text, j);
        if (j >= text.Length || text[j] != ':')
            return false;
        text = text[(j + 1)..];
        reply = true;
        return true;
    }

    /// <summary>subj-blob = "[" *BLOBCHAR "]" *WSP, BLOBCHAR excluding "[" and "]": its length at <paramref name="start"/>, or 0.</summary>
    private static int BlobLength(string text, int start)
    {
        if (start >= text.Length || text[start] != '[')
            return 0;
        int end = text.IndexOfAny(['[', ']'], start + 1);
        if (end < 0 || text[end] != ']')
            return 0;
        end++;
        while (end < text.Length && text[end] == ' ')
            end++;
        return end - start;
    }

    private static string CollapseWhitespace(string text)
    {
        var result = new StringBuilder(text.Length);
        bool space = false;
        foreach (char c in text)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
            {
                space = result.Length > 0;
                continue;
            }
            if (space)
                result.Append(' ');
            space = false;
            result.Append(c);
        }
        return result.ToString();
    }

    /// <summary>The decoded Subject: of a header block (RFC 2047), or "".</summary>
    public static string DecodedSubject(HeaderBlock? header) => header?.Get("Subject")?.DecodeText() ?? "";
}

/// <summary>RFC 4790 9.2 i;ascii-casemap: octets compared with a-z folded to A-Z, nothing else folded.</summary>
internal sealed class AsciiCaseMap : IComparer<string>, IEqualityComparer<string>
{
    public static AsciiCaseMap Instance { get; } = new();

    public int Compare(string? x, string? y)
    {
        if (x is null || y is null)
            return x is null ? (y is null ? 0 : -1) : 1;
        int length = Math.Min(x.Length, y.Length);
        for (int i = 0; i < length; i++)
        {
            int a = Fold(x[i]), b = Fold(y[i]);
            if (a != b)
                return a - b;
        }
        return x.Length - y.Length;
    }

    public bool Equals(string? x, string? y) => Compare(x, y) == 0;

    public int GetHashCode(string text)
    {
        var hash = new HashCode();
        foreach (char c in text)
            hash.Add(Fold(c));
        return hash.ToHashCode();
    }

    private static int Fold(char c) => c is >= 'a' and <= 'z' ? c - 32 : c;
}
