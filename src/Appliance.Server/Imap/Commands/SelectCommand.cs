// RFC 9051 section 6.3.2 (SELECT) and 6.3.3 (EXAMINE): the untagged FLAGS, EXISTS, PERMANENTFLAGS,
// UIDVALIDITY, UIDNEXT and LIST responses, then OK [READ-WRITE] or [READ-ONLY]; a failed SELECT
// leaves the session authenticated; the CLOSED response code (RFC 9051 7.1, first in RFC 7162
// section 3.2.11) when a selected mailbox is closed by selecting another. RFC 3501 6.3.1 for rev1
// clients: "* 0 RECENT" (this server keeps no \Recent) and OK [UNSEEN n]. RFC 7162 section 3.1.2.1
// (OK [HIGHESTMODSEQ n] on every SELECT) and 3.1.8 (the CONDSTORE select parameter).
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class SelectCommand
{
    public static void Execute(ImapSession session, ImapCommand command, bool readOnly)
    {
        string verb = readOnly ? "EXAMINE" : "SELECT";
        string syntax = $"{verb} mailbox [(CONDSTORE)]";
        var args = command.Arguments;
        if (args.Count is < 1 or > 2)
        {
            session.Bad(command.Tag, "Syntax: " + syntax);
            return;
        }
        bool condStore = false;
        if (args.Count == 2)
        {
            // RFC 4466 section 2.1: select-params = SP "(" select-param *(SP select-param) ")".
            if (args[1].Kind != ImapArgumentKind.List || args[1].Items.Count == 0)
            {
                session.Bad(command.Tag, "Syntax: " + syntax);
                return;
            }
            foreach (var parameter in args[1].Items)
            {
                if (parameter.IsAtom("CONDSTORE"))
                    condStore = true;
                else
                {
                    session.Bad(command.Tag, $"Unknown {verb} parameter {parameter}");
                    return;
                }
            }
        }
        if (session.Selected is not null)
        {
            // The previous mailbox is closed whatever happens next, without expunging (RFC 9051 6.3.2).
            session.LeaveSelected();
            session.Respond().Status(null, ImapStatus.Ok, "CLOSED", "Previous mailbox closed");
        }
        if (!ImapMailboxes.TryGetName(session, command, args[0], syntax, out string name))
            return;
        SelectedMailbox selected;
        MailboxSnapshot snapshot;
        try
        {
            (selected, snapshot) = SelectedMailbox.Open(session.Account!, name, readOnly);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        if (condStore)
            session.CondStoreEnabled = true;
        WriteOpening(session, selected, snapshot);
        session.EnterSelected(selected);
        session.Ok(command.Tag, $"{verb} completed", readOnly ? "READ-ONLY" : "READ-WRITE");
    }

    private static void WriteOpening(ImapSession session, SelectedMailbox selected, MailboxSnapshot snapshot)
    {
        var keywords = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        int firstUnseen = 0;
        for (int i = 0; i < snapshot.Messages.Count; i++)
        {
            var message = snapshot.Messages[i];
            foreach (string keyword in message.Keywords)
            {
                if (seen.Add(keyword))
                    keywords.Add(keyword);
            }
            if (firstUnseen == 0 && (message.Flags & MessageFlags.Seen) == 0)
                firstUnseen = i + 1;
        }
        bool rev2 = session.Enabled.Contains(CapabilityCommand.Imap4Rev2);
        var mailbox = snapshot.Mailbox;
        session.Respond().Untagged().Atom("FLAGS").Atom(ImapFlags.MailboxFlags(keywords)).EndLine();
        session.Respond().Status(null, ImapStatus.Ok,
            "PERMANENTFLAGS " + (selected.ReadOnly ? "()" : ImapFlags.PermanentFlags(keywords)),
            selected.ReadOnly ? "Read-only mailbox" : "Flags permitted");
        session.Respond().Untagged().Number((ulong)selected.Count).Atom("EXISTS").EndLine();
        if (!rev2)
        {
            session.Respond().Untagged().Number(0).Atom("RECENT").EndLine();
            if (firstUnseen > 0)
                session.Respond().Status(null, ImapStatus.Ok, $"UNSEEN {firstUnseen}", "First unseen");
        }
        session.Respond().Status(null, ImapStatus.Ok, $"UIDVALIDITY {mailbox.UidValidity}", "UIDs valid");
        session.Respond().Status(null, ImapStatus.Ok, $"UIDNEXT {mailbox.UidNext}", "Predicted next UID");
        session.Respond().Status(null, ImapStatus.Ok, $"HIGHESTMODSEQ {mailbox.HighestModSeq}", "Highest");
        if (rev2)
        {
            // RFC 9051 6.3.2: "The server MUST return a LIST response with the mailbox name."
            var list = session.Respond().Untagged().Atom("LIST").BeginList();
            if (ImapMailboxes.SpecialUseAttribute(mailbox.SpecialUse) is { } attribute)
                list.Atom(attribute);
            list.EndList().String(ImapMailboxes.Delimiter).AString(ImapMailboxes.Encode(session, mailbox.Name)).EndLine();
        }
    }
}
