// RFC 9051 section 2.3.2 (system flags and keywords), section 9 (flag, flag-list, flag-keyword,
// flag-extension, flag-fetch, flag-perm); section 7.3.5 (FLAGS response) and 7.1 (PERMANENTFLAGS:
// "\*" means new keywords may be created). \Recent (RFC 3501) is not kept: rev2 removed it, and a
// rev1 client asking to set it gets BAD, as RFC 3501 6.4.6 forbids STORE of \Recent.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap;

/// <summary>Flags between the wire and the store: formatting for FLAGS data, parsing for STORE, APPEND and SEARCH.</summary>
internal static class ImapFlags
{
    /// <summary>The system flags in the order this server lists them.</summary>
    public static readonly (MessageFlags Flag, string Name)[] System =
    [
        (MessageFlags.Answered, "\\Answered"),
        (MessageFlags.Flagged, "\\Flagged"),
        (MessageFlags.Deleted, "\\Deleted"),
        (MessageFlags.Seen, "\\Seen"),
        (MessageFlags.Draft, "\\Draft"),
    ];

    /// <summary>RFC 9051 "FLAGS" response for SELECT: the system flags plus the keywords in use.</summary>
    public static string MailboxFlags(IEnumerable<string> keywordsInUse) =>
        "(" + string.Join(' ', System.Select(s => s.Name).Concat(keywordsInUse)) + ")";

    /// <summary>"PERMANENTFLAGS (...)": everything, and "\*" (any new keyword) unless the mailbox is read-only.</summary>
    public static string PermanentFlags(IEnumerable<string> keywordsInUse) =>
        "(" + string.Join(' ', System.Select(s => s.Name).Concat(keywordsInUse).Append("\\*")) + ")";

    /// <summary>The flag-fetch lists of the system flags alone, by their bits (5 flags: 32 lists), made once.</summary>
    private static readonly string[] SystemOnly = [.. Enumerable.Range(0, 1 << System.Length).Select(bits => Compose((MessageFlags)bits, []))];

    /// <summary>A message's flag-fetch list: "(\Seen $Work)".</summary>
    public static string Format(MessageFlags flags, IReadOnlyList<string> keywords)
    {
        // Most messages have no keywords: their list is one of 32, not built again for each message.
        return keywords.Count == 0 && (uint)flags < (uint)SystemOnly.Length
            ? SystemOnly[(int)flags]
            : Compose(flags, keywords);
    }

    private static string Compose(MessageFlags flags, IReadOnlyList<string> keywords)
    {
        var names = new List<string>(System.Length + keywords.Count);
        foreach (var (flag, name) in System)
        {
            if ((flags & flag) != 0)
                names.Add(name);
        }
        names.AddRange(keywords);
        return "(" + string.Join(' ', names) + ")";
    }

    /// <summary>
    /// RFC 9051 flag-list = "(" [flag *(SP flag)] ")" (a lone flag is accepted too, as STORE allows
    /// "+FLAGS \Seen"). Keywords are atoms; unknown system flags ("\Recent", "\Foo") are refused with
    /// <paramref name="error"/> because the store could not keep them.
    /// </summary>
    public static bool TryParse(ImapArgument argument, out MessageFlags flags, out List<string> keywords, out string? error)
    {
        flags = MessageFlags.None;
        keywords = [];
        error = null;
        IReadOnlyList<ImapArgument> items = argument.Kind == ImapArgumentKind.List ? argument.Items : [argument];
        foreach (var item in items)
        {
            if (item.Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number or ImapArgumentKind.Nil))
            {
                error = "Flags are atoms";
                return false;
            }
            string text = item.Text;
            if (text.StartsWith('\\'))
            {
                var known = System.FirstOrDefault(s => s.Name.Equals(text, StringComparison.OrdinalIgnoreCase));
                if (known.Name is null)
                {
                    error = $"{text} cannot be stored";
                    return false;
                }
                flags |= known.Flag;
                continue;
            }
            if (!IsKeyword(text))
            {
                error = $"Invalid keyword {text}";
                return false;
            }
            if (!keywords.Contains(text, StringComparer.OrdinalIgnoreCase))
                keywords.Add(text);
        }
        return true;
    }

    /// <summary>RFC 9051 flag-keyword = "$MDNSent" / "$Forwarded" / ... / atom, within the store's keyword rules (at most 100 characters, no "]").</summary>
    public static bool IsKeyword(string text)
    {
        if (text.Length is 0 or > 100)
            return false;
        foreach (char c in text)
        {
            if (c <= 0x20 || c >= 0x7F || c is '(' or ')' or '{' or '%' or '*' or '"' or '\\' or ']')
                return false;
        }
        return true;
    }
}
