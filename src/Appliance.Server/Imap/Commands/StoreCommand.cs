// RFC 9051 section 6.4.6 (STORE sequence-set [+|-]FLAGS[.SILENT] flags: the new flags come back as
// untagged FETCH unless .SILENT), 6.4.9 (UID STORE: FETCH responses carry the UID), 6.3.3 (EXAMINE:
// no changes to the mailbox's permanent state, so STORE is refused with NO [READ-ONLY], RFC 9051 7.1),
// 9 (store-att-flags); RFC 7162 section 3.1.3 (UNCHANGEDSINCE: messages changed since are left alone
// and listed in OK [MODIFIED set], sequence numbers for STORE, UIDs for UID STORE; the command turns
// CONDSTORE on; once it is on, FETCH carries MODSEQ and is sent even with .SILENT) and 3.2.4 (UID in FETCH
// once QRESYNC is on). RFC 3501 6.4.6: \Recent cannot be stored (BAD, see ImapFlags).
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class StoreCommand
{
    private const string Syntax = "Syntax: STORE sequence-set [(UNCHANGEDSINCE modseq)] [+|-]FLAGS[.SILENT] (flags)";

    public static void Execute(ImapSession session, ImapCommand command, bool byUid)
    {
        var args = command.Arguments;
        if (args.Count < 3 || args[0].Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number)
            || !SequenceSet.TryParse(args[0].Bytes, out var set))
        {
            session.Bad(command.Tag, Syntax);
            return;
        }
        int next = 1;
        ulong? unchangedSince = null;
        if (args[next].Kind == ImapArgumentKind.List)
        {
            // RFC 4466 store-modifiers; RFC 7162 3.1.3: UNCHANGEDSINCE mod-sequence-valzer is the only one known.
            var modifiers = args[next].Items;
            if (modifiers.Count != 2 || !modifiers[0].IsAtom("UNCHANGEDSINCE") || modifiers[1].Kind != ImapArgumentKind.Number || modifiers[1].Number < 0)
            {
                session.Bad(command.Tag, Syntax);
                return;
            }
            unchangedSince = (ulong)modifiers[1].Number;
            next++;
        }
        if (!TryParseOperation(args[next], out var operation, out bool silent) || next + 1 >= args.Count)
        {
            session.Bad(command.Tag, Syntax);
            return;
        }
        // The flags: one flag-list, or flags without parentheses (RFC 9051: flag *(SP flag)).
        var flagArgument = args.Count == next + 2 ? args[next + 1] : ImapArgument.List([.. args.Skip(next + 1)]);
        if (args.Count > next + 2 && args.Skip(next + 1).Any(a => a.Kind == ImapArgumentKind.List))
        {
            session.Bad(command.Tag, Syntax);
            return;
        }
        if (!ImapFlags.TryParse(flagArgument, out var flags, out var keywords, out string? flagError))
        {
            session.Bad(command.Tag, flagError!);
            return;
        }
        var selected = session.Selected!;
        if (selected.ReadOnly)
        {
            session.No(command.Tag, "READ-ONLY", "The mailbox is read-only (EXAMINE); flags cannot be changed");
            return;
        }
        if (!selected.TryResolve(set, byUid, out var messages, out string? resolveError))
        {
            session.Bad(command.Tag, resolveError!);
            return;
        }
        if (unchangedSince is not null)
            session.CondStoreEnabled = true;

        StoreResult result;
        try
        {
            result = session.Account!.StoreFlags(selected.Name, messages.Select(m => m.Uid), operation, flags, keywords, unchangedSince);
        }
        catch (InvalidKeywordException)
        {
            session.Bad(command.Tag, "Invalid keyword");
            return;
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        catch (IOException e)
        {
            session.StoreFailed(command.Tag, e);
            return;
        }
        // The store's notice of this change must not be told again as another session's (SelectedMailbox.Report).
        if (result.Updated.Count > 0)
            selected.ReportedOwnFlagChange(result.Updated[0].ModSeq);

        WriteResults(session, selected, messages, result, byUid, silent);
        if (result.Modified.Count > 0)
        {
            var modified = byUid ? result.Modified : [.. result.Modified.Select(uid => (uint)selected.SequenceOf(uid))];
            session.Ok(command.Tag, "Conditional STORE failed for some messages", "MODIFIED " + SequenceSet.Format(modified.Order()));
            return;
        }
        session.Ok(command.Tag, "STORE completed");
    }

    /// <summary>
    /// FETCH (FLAGS ...) for every message of the set that was not refused by UNCHANGEDSINCE: the changed
    /// ones from the store's answer, the unchanged ones (their flags were already so) from a fresh read.
    /// With .SILENT only when CONDSTORE is on, where the new MODSEQ must reach the client (RFC 7162 3.1.3).
    /// </summary>
    private static void WriteResults(ImapSession session, SelectedMailbox selected, List<(int Sequence, uint Uid)> messages, StoreResult result, bool byUid, bool silent)
    {
        if (silent && !session.CondStoreEnabled)
            return;
        var updated = result.Updated.ToDictionary(u => u.Uid);
        var refused = result.Modified.ToHashSet();
        Dictionary<uint, MessageState>? current = null;
        foreach (var (sequence, uid) in messages)
        {
            if (refused.Contains(uid))
                continue;
            if (updated.TryGetValue(uid, out var update))
            {
                Write(session, sequence, uid, update.Flags, update.Keywords, update.ModSeq, byUid);
                continue;
            }
            if (silent)
                continue; // unchanged: nothing new for the client
            if (current is null)
            {
                try
                {
                    current = session.Account!.Snapshot(selected.Name).Messages.ToDictionary(m => m.Uid);
                }
                catch (MailStoreException)
                {
                    return;
                }
            }
            // A message expunged meanwhile by another session has nothing to show.
            if (current.TryGetValue(uid, out var state))
                Write(session, sequence, uid, state.Flags, state.Keywords, state.ModSeq, byUid);
        }
    }

    /// <summary>"* n FETCH ([UID u ]FLAGS (...)[ MODSEQ (m)])": UID for UID STORE (RFC 9051 6.4.9) and with QRESYNC (RFC 7162 3.2.4).</summary>
    private static void Write(ImapSession session, int sequence, uint uid, MessageFlags flags, IReadOnlyList<string> keywords, ulong modSeq, bool byUid)
    {
        var writer = session.Respond().Untagged().Number((ulong)sequence).Atom("FETCH").BeginList();
        if (byUid || session.QResyncEnabled)
            writer.Atom("UID").Number(uid);
        writer.Atom("FLAGS").Atom(ImapFlags.Format(flags, keywords));
        if (session.CondStoreEnabled)
            writer.Atom("MODSEQ").Atom($"({modSeq})");
        writer.EndList().EndLine();
    }

    /// <summary>RFC 9051 store-att-flags: (["+" / "-"] "FLAGS" [".SILENT"]).</summary>
    private static bool TryParseOperation(ImapArgument argument, out FlagOperation operation, out bool silent)
    {
        operation = FlagOperation.Replace;
        silent = false;
        if (argument.Kind != ImapArgumentKind.Atom)
            return false;
        string text = argument.Text.ToUpperInvariant();
        if (text.StartsWith('+'))
            operation = FlagOperation.Add;
        else if (text.StartsWith('-'))
            operation = FlagOperation.Remove;
        if (operation != FlagOperation.Replace)
            text = text[1..];
        if (text.EndsWith(".SILENT", StringComparison.Ordinal))
        {
            silent = true;
            text = text[..^".SILENT".Length];
        }
        return text == "FLAGS";
    }
}
