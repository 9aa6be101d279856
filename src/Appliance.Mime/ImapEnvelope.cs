// RFC 9051 7.5.2 (FETCH response ENVELOPE), 9 (formal syntax: envelope, address); RFC 2047 (names).
using System.Text;

namespace Appliance.Mime;

/// <summary>One IMAP address structure: (addr-name addr-adl addr-mailbox addr-host).</summary>
/// <remarks>
/// RFC 9051 7.5.2: a NIL host marks group syntax; with a mailbox it starts the group named by the
/// mailbox, with a NIL mailbox too it ends the group.
/// </remarks>
public sealed record ImapAddress(string? Name, string? Adl, string? Mailbox, string? Host)
{
    public static ImapAddress GroupStart(string name) => new(null, null, name, null);

    public static ImapAddress GroupEnd { get; } = new(null, null, null, null);
}

/// <summary>
/// The IMAP ENVELOPE of a message (RFC 9051 7.5.2), computed from its header. Strings are the
/// header values as written (encoded-words are the client's to decode); absent fields are null.
/// </summary>
public sealed record ImapEnvelope(
    string? Date,
    string? Subject,
    IReadOnlyList<ImapAddress>? From,
    IReadOnlyList<ImapAddress>? Sender,
    IReadOnlyList<ImapAddress>? ReplyTo,
    IReadOnlyList<ImapAddress>? To,
    IReadOnlyList<ImapAddress>? Cc,
    IReadOnlyList<ImapAddress>? Bcc,
    string? InReplyTo,
    string? MessageId)
{
    public static ImapEnvelope FromHeader(HeaderBlock header)
    {
        ArgumentNullException.ThrowIfNull(header);
        IReadOnlyList<ImapAddress>? from = Addresses(header, "From");
        return new ImapEnvelope(
            Nonempty(header, "Date"),
            Nonempty(header, "Subject"),
            from,
            // RFC 9051 7.5.2: "If the Sender or Reply-To lines are absent in the [RFC-5322] header,
            // or are present but empty, the server sets the corresponding member of the envelope to
            // be the same value as the from member."
            Addresses(header, "Sender") ?? from,
            Addresses(header, "Reply-To") ?? from,
            Addresses(header, "To"),
            Addresses(header, "Cc"),
            Addresses(header, "Bcc"),
            Nonempty(header, "In-Reply-To"),
            Nonempty(header, "Message-ID"));
    }

    /// <summary>The envelope in IMAP syntax: "(date subject (from) ... message-id)".</summary>
    public override string ToString()
    {
        var writer = new ImapWriter();
        Write(writer);
        return writer.ToString();
    }

    internal void Write(ImapWriter writer)
    {
        writer.Open().String(Date).String(Subject);
        foreach (IReadOnlyList<ImapAddress>? list in (ReadOnlySpan<IReadOnlyList<ImapAddress>?>)[From, Sender, ReplyTo, To, Cc, Bcc])
        {
            if (list is null || list.Count == 0)
            {
                writer.Nil();
                continue;
            }
            writer.Open();
            foreach (ImapAddress address in list)
            {
                writer.Open(adjacent: true).String(address.Name).String(address.Adl).String(address.Mailbox).String(address.Host).Close();
            }
            writer.Close();
        }
        writer.String(InReplyTo).String(MessageId).Close();
    }

    private static string? Nonempty(HeaderBlock header, string name)
    {
        string? value = header.Get(name)?.Value;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static IReadOnlyList<ImapAddress>? Addresses(HeaderBlock header, string name)
    {
        string? value = Nonempty(header, name);
        if (value is null)
        {
            return null;
        }
        var result = new List<ImapAddress>();
        string? group = null;
        foreach (MailboxAddress mailbox in AddressParser.ParseList(value, keepEmptyGroups: true))
        {
            if (mailbox.Group != group)
            {
                if (group is not null)
                {
                    result.Add(ImapAddress.GroupEnd);
                }
                if (mailbox.Group is not null)
                {
                    result.Add(ImapAddress.GroupStart(mailbox.Group));
                }
                group = mailbox.Group;
            }
            if (mailbox.LocalPart.Length == 0 && mailbox.Domain.Length == 0 && mailbox.DisplayName is null)
            {
                continue; // the placeholder of an empty group: its markers say it all
            }
            result.Add(new ImapAddress(
                EncodeName(mailbox.DisplayName),
                null, // RFC 9051 7.5.2: the source route (adl) is obsolete; we drop it when parsing
                mailbox.LocalPart.Length == 0 ? null : mailbox.LocalPart,
                mailbox.Domain.Length == 0 ? null : mailbox.Domain));
        }
        if (group is not null)
        {
            result.Add(ImapAddress.GroupEnd);
        }
        return result.Count == 0 ? null : result;
    }

    /// <summary>
    /// The parser decodes display names; a client reads addr-name as an RFC 2047 phrase, so a
    /// non-ASCII name goes back as one UTF-8 "B" encoded-word (RFC 2047 4.1) rather than raw 8-bit.
    /// </summary>
    private static string? EncodeName(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }
        foreach (char c in name)
        {
            if (c > 0x7E)
            {
                return "=?utf-8?b?" + Convert.ToBase64String(Encoding.UTF8.GetBytes(name)) + "?=";
            }
        }
        return name;
    }
}
