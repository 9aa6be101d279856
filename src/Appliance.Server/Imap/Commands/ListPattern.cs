// RFC 9051 section 6.3.9 (LIST): the reference name and mailbox pattern, the wildcards "*" (matches
// zero or more characters at any position) and "%" (the same, but not the hierarchy delimiter), and
// INBOX case-insensitive (section 5.1). RFC 3501 section 6.3.8/6.3.9 are the same for rev1 clients.
namespace Appliance.Server.Imap.Commands;

/// <summary>A decoded LIST/LSUB pattern (reference already applied), matched against store names.</summary>
internal sealed class ListPattern
{
    /// <summary>The store's limit on a name (Appliance.Storage MailboxName.MaxLength, internal there).</summary>
    private const int MaxNameLength = 255;

    private const string Inbox = "INBOX";

    private readonly string _pattern;

    private ListPattern(string pattern) => _pattern = pattern;

    /// <summary>RFC 9051 6.3.9: the reference and the pattern are joined (the reference names a level of the hierarchy).</summary>
    public static ListPattern Create(string reference, string pattern)
    {
        string joined = reference.EndsWith('/') && pattern.StartsWith('/') ? reference + pattern[1..] : reference + pattern;
        return new ListPattern(Collapse(joined));
    }

    public bool Matches(string name)
    {
        // After collapsing, every other pattern character must match a name character, so a longer
        // pattern cannot match a name the store allows; this also bounds the work below.
        if (_pattern.Length > 2 * MaxNameLength + 1)
            return false;
        if (Match(_pattern, name))
            return true;
        // RFC 9051 5.1: INBOX is case-insensitive: "inbox*" finds INBOX and "Inbox/%" its inferiors. The
        // store names it "INBOX" (and only as the whole first level), so that prefix is matched in the
        // pattern's own case; "inboxes" stays a different, case-sensitive name.
        return name.StartsWith(Inbox, StringComparison.Ordinal) && (name.Length == Inbox.Length || name[Inbox.Length] == '/')
            && _pattern.Length >= Inbox.Length && _pattern.StartsWith(Inbox, StringComparison.OrdinalIgnoreCase)
            && Match(_pattern, string.Concat(_pattern.AsSpan(0, Inbox.Length), name.AsSpan(Inbox.Length)));
    }

    /// <summary>Runs of wildcards become one: "*" if the run holds one, else "%".</summary>
    private static string Collapse(string pattern)
    {
        var builder = new System.Text.StringBuilder(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] is not ('*' or '%'))
            {
                builder.Append(pattern[i]);
                continue;
            }
            bool star = false;
            while (i < pattern.Length && pattern[i] is '*' or '%')
                star |= pattern[i++] == '*';
            i--;
            builder.Append(star ? '*' : '%');
        }
        return builder.ToString();
    }

    /// <summary>Dynamic programming over (pattern position, name position): O(pattern x name), no backtracking blow-up.</summary>
    private static bool Match(string pattern, string name)
    {
        int n = name.Length;
        // next[j]: does pattern[i+1..] match name[j..]; current[j]: pattern[i..].
        var next = new bool[n + 1];
        var current = new bool[n + 1];
        next[n] = true;
        for (int i = pattern.Length - 1; i >= 0; i--)
        {
            char p = pattern[i];
            current[n] = p is '*' or '%' && next[n];
            for (int j = n - 1; j >= 0; j--)
            {
                current[j] = p switch
                {
                    '*' => next[j] || current[j + 1],
                    '%' => next[j] || name[j] != '/' && current[j + 1],
                    _ => name[j] == p && next[j + 1],
                };
            }
            (next, current) = (current, next);
        }
        return next[0];
    }
}
