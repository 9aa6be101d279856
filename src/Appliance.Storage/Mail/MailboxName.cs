namespace Appliance.Storage.Mail;

/// <summary>
/// Validation and normalisation of mailbox names. Names are never turned into paths (directories
/// are named after numeric ids), so these rules keep names sane for IMAP clients and for the
/// hierarchy logic, not to protect the file system; they are enforced anyway as defence in depth.
/// </summary>
public static class MailboxName
{
    /// <summary>Hierarchy separator announced in LIST responses (RFC 9051 section 6.3.9).</summary>
    public const char Separator = '/';

    public const string Inbox = "INBOX";

    /// <summary>
    /// Upper bound on a name's length in UTF-16 units. No RFC sets one; 255 keeps names short
    /// enough for every IMAP client we know while allowing deep folder trees.
    /// </summary>
    public const int MaxLength = 255;

    /// <summary>Validates <paramref name="name"/> and returns its canonical form (INBOX upper-cased).</summary>
    /// <exception cref="MailboxNameException">The name breaks one of the rules.</exception>
    public static string Normalize(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new MailboxNameException(name ?? "", MailboxNameError.Empty, "A mailbox name must not be empty.");
        }

        if (name.Length > MaxLength)
        {
            throw new MailboxNameException(name, MailboxNameError.TooLong, $"A mailbox name must not be longer than {MaxLength} characters.");
        }

        foreach (var c in name)
        {
            // C0, DEL and C1 controls: they break IMAP quoting and log lines.
            if (c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F))
            {
                throw new MailboxNameException(name, MailboxNameError.ControlCharacter, $"A mailbox name must not contain control characters (found U+{(int)c:X4}).");
            }

            // LIST wildcards (RFC 9051 section 6.3.9): a name containing them could never be
            // listed exactly.
            if (c is '*' or '%')
            {
                throw new MailboxNameException(name, MailboxNameError.Wildcard, "A mailbox name must not contain the LIST wildcards '*' or '%'.");
            }
        }

        if (name[0] == Separator)
        {
            throw new MailboxNameException(name, MailboxNameError.LeadingSeparator, "A mailbox name must not start with the separator '/'.");
        }

        if (name[^1] == Separator)
        {
            throw new MailboxNameException(name, MailboxNameError.TrailingSeparator, "A mailbox name must not end with the separator '/'.");
        }

        var segments = name.Split(Separator);
        foreach (var segment in segments)
        {
            if (segment.Length == 0)
            {
                throw new MailboxNameException(name, MailboxNameError.DoubledSeparator, "A mailbox name must not contain an empty level ('//').");
            }

            if (segment is "." or "..")
            {
                throw new MailboxNameException(name, MailboxNameError.DotSegment, "A mailbox name must not contain a '.' or '..' level.");
            }
        }

        // INBOX is case-insensitive (RFC 9051 section 5.1); its inferiors follow so that
        // "inbox/x" and "INBOX/x" are one mailbox. Every other name is case-sensitive.
        if (string.Equals(segments[0], Inbox, StringComparison.OrdinalIgnoreCase))
        {
            segments[0] = Inbox;
            return string.Join(Separator, segments);
        }

        return name;
    }

    public static bool IsInbox(string normalized) => normalized == Inbox;

    /// <summary>The names of all superiors of <paramref name="normalized"/>, outermost first ("a", "a/b" for "a/b/c").</summary>
    public static IEnumerable<string> Parents(string normalized)
    {
        for (var i = normalized.IndexOf(Separator); i >= 0; i = normalized.IndexOf(Separator, i + 1))
        {
            yield return normalized[..i];
        }
    }

    public static bool IsInferiorOf(string candidate, string superior) =>
        candidate.Length > superior.Length + 1
        && candidate[superior.Length] == Separator
        && candidate.StartsWith(superior, StringComparison.Ordinal);
}
