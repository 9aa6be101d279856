// RFC 9051 section 6.3.11 (STATUS) and 7.3.2 (the STATUS response): MESSAGES, UIDNEXT, UIDVALIDITY,
// UNSEEN, DELETED, SIZE (RFC 8438 STATUS=SIZE); RECENT for rev1 clients (RFC 3501 6.3.10), always 0:
// this server keeps no \Recent flag, which RFC 9051 removed. HIGHESTMODSEQ waits for CONDSTORE.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class StatusCommand
{
    private static readonly string[] Known = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT"];

    public static void Execute(ImapSession session, ImapCommand command)
    {
        var args = command.Arguments;
        if (args.Count != 2 || args[1].Kind != ImapArgumentKind.List)
        {
            session.Bad(command.Tag, "Syntax: STATUS mailbox (item ...)");
            return;
        }
        if (!TryParseItems(args[1], out var items))
        {
            session.Bad(command.Tag, "Unknown STATUS item");
            return;
        }
        if (!ImapMailboxes.TryGetName(session, command, args[0], "STATUS mailbox (item ...)", out string name))
            return;
        MailboxInfo mailbox;
        try
        {
            mailbox = session.Account!.GetMailbox(name);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        WriteStatus(session, mailbox, items);
        session.Ok(command.Tag, "STATUS completed");
    }

    /// <summary>RFC 9051: "(" status-att *(SP status-att) ")", upper-cased, in the client's order.</summary>
    public static bool TryParseItems(ImapArgument list, out List<string> items)
    {
        items = [];
        if (list.Items.Count == 0)
            return false;
        foreach (var item in list.Items)
        {
            string? known = Known.FirstOrDefault(k => item.IsAtom(k));
            if (known is null)
                return false;
            items.Add(known);
        }
        return true;
    }

    /// <summary>"* STATUS name (item value ...)"; DELETED and SIZE read the mailbox's index entries.</summary>
    public static void WriteStatus(ImapSession session, MailboxInfo mailbox, List<string> items)
    {
        long deleted = 0, size = 0;
        if (items.Contains("DELETED") || items.Contains("SIZE"))
        {
            foreach (var message in session.Account!.ListMessagesByUid(mailbox.Name))
            {
                size += message.Size;
                if ((message.Flags & MessageFlags.Deleted) != 0)
                    deleted++;
            }
        }
        var writer = session.Respond().Untagged().Atom("STATUS").AString(ImapMailboxes.Encode(session, mailbox.Name)).BeginList();
        foreach (string item in items)
        {
            writer.Atom(item).Number(item switch
            {
                "MESSAGES" => (ulong)mailbox.MessageCount,
                "UIDNEXT" => mailbox.UidNext,
                "UIDVALIDITY" => mailbox.UidValidity,
                "UNSEEN" => (ulong)mailbox.UnseenCount,
                "DELETED" => (ulong)deleted,
                "SIZE" => (ulong)size,
                _ => 0,
            });
        }
        writer.EndList().EndLine();
    }
}
