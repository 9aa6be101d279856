// RFC 9051 section 6.3.2 (SELECT) and 6.3.3 (EXAMINE): the untagged FLAGS, EXISTS, PERMANENTFLAGS,
// UIDVALIDITY, UIDNEXT and LIST responses, then OK [READ-WRITE] or [READ-ONLY]; a failed SELECT
// leaves the session authenticated; the CLOSED response code (RFC 9051 7.1, first in RFC 7162
// section 3.2.11) when a selected mailbox is closed by selecting another. RFC 3501 6.3.1 for rev1
// clients: "* 0 RECENT" (this server keeps no \Recent) and OK [UNSEEN n]. RFC 7162 section 3.1.2.1
// (OK [HIGHESTMODSEQ n] on every SELECT) and 3.1.8 (the CONDSTORE select parameter). RFC 7162
// section 3.2.5 (the QRESYNC parameter, after ENABLE QRESYNC only, else BAD): when the UIDVALIDITY
// matches, VANISHED (EARLIER) lists the known UIDs expunged since the client's MODSEQ (3.2.5.1; every
// known UID not in the mailbox when the expunge log does not reach back that far), and FETCH (UID FLAGS
// MODSEQ) the messages changed since (3.2.5.2); the optional sequence match data is only a hint to
// narrow the expunged set (3.2.5.2) and is checked for syntax but not used.
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
        QResyncParameters? qresync = null;
        if (args.Count == 2)
        {
            // RFC 4466 section 2.1: select-params = SP "(" select-param *(SP select-param) ")".
            if (args[1].Kind != ImapArgumentKind.List || args[1].Items.Count == 0)
            {
                session.Bad(command.Tag, "Syntax: " + syntax);
                return;
            }
            var items = args[1].Items;
            for (int i = 0; i < items.Count; i++)
            {
                var parameter = items[i];
                if (parameter.IsAtom("CONDSTORE"))
                    condStore = true;
                else if (parameter.IsAtom("QRESYNC") && qresync is null)
                {
                    // RFC 7162 3.2.5: "A server MUST respond with a tagged BAD" without ENABLE QRESYNC first.
                    if (!session.QResyncEnabled)
                    {
                        session.Bad(command.Tag, "QRESYNC needs ENABLE QRESYNC first");
                        return;
                    }
                    if (i + 1 >= items.Count || !QResyncParameters.TryParse(items[++i], out qresync))
                    {
                        session.Bad(command.Tag, $"Syntax: {verb} mailbox (QRESYNC (uidvalidity modseq [known-uids [(seq-match-data)]]))");
                        return;
                    }
                }
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
        if (qresync is not null && qresync.UidValidity == snapshot.Mailbox.UidValidity)
            WriteResynchronisation(session, snapshot, qresync);
        session.EnterSelected(selected);
        session.Ok(command.Tag, $"{verb} completed", readOnly ? "READ-ONLY" : "READ-WRITE");
    }

    /// <summary>RFC 7162 3.2.5.1 and 3.2.5.2: what the client missed since its MODSEQ, expunges first.</summary>
    private static void WriteResynchronisation(ImapSession session, MailboxSnapshot snapshot, QResyncParameters qresync)
    {
        var mailbox = snapshot.Mailbox;
        var present = snapshot.Messages.Select(m => m.Uid).ToList();
        uint maxKnown = mailbox.UidNext - 1;
        // The UIDs the client may hold: its known-uids, else every UID the mailbox has given out.
        Func<uint, bool> known = qresync.KnownUids is { } knownUids ? uid => knownUids.Contains(uid, maxKnown) : _ => true;
        IEnumerable<(uint Low, uint High)> vanished;
        var expunged = session.Account!.ListExpungedSince(mailbox.Name, qresync.ModSeq);
        if (expunged.Complete)
        {
            var presentSet = present.ToHashSet();
            vanished = Ranges(expunged.Uids.Where(uid => known(uid) && !presentSet.Contains(uid)));
        }
        else
        {
            // The log starts after the client's MODSEQ: every known UID not in the mailbox is reported.
            // UIDs above UIDNEXT were never given out, whatever the client claims.
            var candidates = qresync.KnownUids is { } set
                ? [.. set.Normalize(maxKnown).Where(r => r.Low <= maxKnown).Select(r => (r.Low, Math.Min(r.High, maxKnown)))]
                : maxKnown == 0 ? new List<(uint Low, uint High)>() : [(1u, maxKnown)];
            vanished = Missing(candidates, present);
        }
        var vanishedList = vanished.ToList();
        if (vanishedList.Count > 0)
            session.Respond().Untagged().Atom("VANISHED").Atom("(EARLIER)").Atom(SequenceSet.Format(vanishedList)).EndLine();
        for (int i = 0; i < snapshot.Messages.Count; i++)
        {
            var message = snapshot.Messages[i];
            if (message.ModSeq > qresync.ModSeq)
                SelectedMailbox.WriteFlags(session, i + 1, message.Uid, message.Flags, message.Keywords, message.ModSeq);
        }
    }

    /// <summary>Ascending UIDs as ranges of consecutive numbers.</summary>
    private static IEnumerable<(uint Low, uint High)> Ranges(IEnumerable<uint> ascending)
    {
        uint low = 0, high = 0;
        bool any = false;
        foreach (uint uid in ascending)
        {
            if (any && uid == high + 1)
            {
                high = uid;
                continue;
            }
            if (any)
                yield return (low, high);
            low = high = uid;
            any = true;
        }
        if (any)
            yield return (low, high);
    }

    /// <summary>The parts of <paramref name="ranges"/> (ascending, disjoint) not in <paramref name="present"/> (ascending), as ranges.</summary>
    private static IEnumerable<(uint Low, uint High)> Missing(IReadOnlyList<(uint Low, uint High)> ranges, List<uint> present)
    {
        foreach (var (low, high) in ranges)
        {
            int index = present.BinarySearch(low);
            if (index < 0)
                index = ~index;
            ulong from = low;
            for (; index < present.Count && present[index] <= high; index++)
            {
                if (present[index] > from)
                    yield return ((uint)from, present[index] - 1);
                from = (ulong)present[index] + 1;
            }
            if (from <= high)
                yield return ((uint)from, high);
        }
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

/// <summary>RFC 7162 section 3.2.5: "QRESYNC" SP "(" uidvalidity SP mod-sequence-value [SP known-uids] [SP seq-match-data] ")".</summary>
internal sealed record QResyncParameters(uint UidValidity, ulong ModSeq, SequenceSet? KnownUids)
{
    public static bool TryParse(ImapArgument argument, out QResyncParameters? parameters)
    {
        parameters = null;
        if (argument.Kind != ImapArgumentKind.List)
            return false;
        var items = argument.Items;
        if (items.Count is < 2 or > 4
            || items[0].Kind != ImapArgumentKind.Number || items[0].Number is < 1 or > uint.MaxValue
            || items[1].Kind != ImapArgumentKind.Number || items[1].Number < 1)
            return false;
        SequenceSet? known = null;
        int next = 2;
        if (next < items.Count && items[next].Kind is ImapArgumentKind.Atom or ImapArgumentKind.Number)
        {
            // known-uids = sequence-set; "$" (RFC 5182) has no meaning before a mailbox is selected.
            if (!SequenceSet.TryParse(items[next].Bytes, out var set) || set.IsSearchResult)
                return false;
            known = set;
            next++;
        }
        if (next < items.Count)
        {
            // seq-match-data = "(" known-sequence-set SP known-uid-set ")": checked, not used.
            var match = items[next];
            if (match.Kind != ImapArgumentKind.List || match.Items.Count != 2
                || match.Items.Any(i => i.Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number) || !SequenceSet.TryParse(i.Bytes, out var s) || s.IsSearchResult))
                return false;
            next++;
        }
        if (next != items.Count)
            return false;
        parameters = new QResyncParameters((uint)items[0].Number, (ulong)items[1].Number, known);
        return true;
    }
}
