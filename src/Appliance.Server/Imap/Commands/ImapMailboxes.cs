// RFC 9051 section 5.1 (mailbox naming: UTF-8 for IMAP4rev2 and UTF8=ACCEPT clients, RFC 6855
// section 3), RFC 3501 section 5.1.3 (modified UTF-7 for IMAP4rev1 clients, decoded strictly), RFC
// 9051 section 7.1 (response codes NONEXISTENT, ALREADYEXISTS, CANNOT for refused mailbox operations).
using System.Text;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

/// <summary>
/// Mailbox names between the wire and the store, for every mailbox command: the argument is decoded
/// (UTF-8 or strict modified UTF-7) and then checked only by the store's own rules (MailboxName), so
/// one place decides what a name is. Store refusals become NO responses here, in one place.
/// </summary>
internal static class ImapMailboxes
{
    public const string Delimiter = "/";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A mailbox argument's octets as text, or false with the reason (not UTF-8, or not canonical modified UTF-7).</summary>
    public static bool TryDecode(ImapSession session, byte[] octets, out string name, out string? error)
    {
        name = "";
        error = null;
        if (session.Utf8Enabled)
        {
            try
            {
                name = StrictUtf8.GetString(octets);
                return true;
            }
            catch (DecoderFallbackException)
            {
                error = "Mailbox name is not valid UTF-8";
                return false;
            }
        }
        // RFC 3501 5.1.3: only printable US-ASCII on the wire; the decoder refuses everything else.
        if (!ModifiedUtf7.TryDecode(Encoding.Latin1.GetString(octets), out name, out string? reason))
        {
            error = "Mailbox name is not valid modified UTF-7" + (reason is null ? "" : ": " + reason);
            return false;
        }
        return true;
    }

    /// <summary>A mailbox argument (RFC 9051 mailbox = "INBOX" / astring); false after answering BAD or NO.</summary>
    public static bool TryGetName(ImapSession session, ImapCommand command, ImapArgument argument, string syntax, out string name)
    {
        name = "";
        if (!argument.TryGetAString(out var octets))
        {
            session.Bad(command.Tag, "Syntax: " + syntax);
            return false;
        }
        if (!TryDecode(session, octets, out name, out string? error))
        {
            session.No(command.Tag, "CANNOT", error!);
            return false;
        }
        return true;
    }

    /// <summary>A name as this client reads it: UTF-8 once enabled, else modified UTF-7.</summary>
    public static string Encode(ImapSession session, string name) => session.Utf8Enabled ? name : ModifiedUtf7.Encode(name);

    /// <summary>The one mapping of store refusals to responses; texts never echo the name (it may not be ASCII).</summary>
    public static void Refuse(ImapSession session, string tag, MailStoreException e)
    {
        switch (e)
        {
            case MailboxNotFoundException:
                session.No(tag, "NONEXISTENT", "No such mailbox");
                break;
            case MailboxExistsException:
                session.No(tag, "ALREADYEXISTS", "Mailbox already exists");
                break;
            case MailboxNameException name:
                session.No(tag, "CANNOT", Ascii(name.Message));
                break;
            case MailboxOperationRefusedException refused:
                session.No(tag, "CANNOT", Ascii(refused.Message));
                break;
            default:
                session.No(tag, "SERVERBUG", "The mailbox store refused the operation");
                break;
        }
    }

    /// <summary>The store's reason, with anything outside printable ASCII replaced (resp-text is TEXT-CHAR).</summary>
    private static string Ascii(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
            builder.Append(c is >= ' ' and <= '~' ? c : '?');
        return builder.ToString();
    }

    /// <summary>The RFC 6154 section 2 attribute of a special-use mailbox, or null.</summary>
    public static string? SpecialUseAttribute(SpecialUse use) => use switch
    {
        SpecialUse.Drafts => @"\Drafts",
        SpecialUse.Sent => @"\Sent",
        SpecialUse.Trash => @"\Trash",
        SpecialUse.Junk => @"\Junk",
        SpecialUse.Archive => @"\Archive",
        _ => null,
    };

    /// <summary>RFC 6154 section 3 (CREATE-SPECIAL-USE): the attribute named in USE (...), or null if unknown.</summary>
    public static SpecialUse? ParseSpecialUse(string attribute) => attribute.ToUpperInvariant() switch
    {
        @"\DRAFTS" => SpecialUse.Drafts,
        @"\SENT" => SpecialUse.Sent,
        @"\TRASH" => SpecialUse.Trash,
        @"\JUNK" => SpecialUse.Junk,
        @"\ARCHIVE" => SpecialUse.Archive,
        _ => null,
    };
}
