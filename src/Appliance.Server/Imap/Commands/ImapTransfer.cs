// What COPY (RFC 9051 section 6.4.7) and MOVE (RFC 6851 section 3) share: the arguments
// (sequence-set SP mailbox), NO [TRYCREATE] when the target does not exist (RFC 9051 6.4.7), and the
// COPYUID response code (RFC 4315 section 3: uidvalidity, then the source and target UID sets in
// matching order).
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class ImapTransfer
{
    /// <summary>
    /// The messages and the target of a COPY or MOVE, or false after answering BAD (syntax, a
    /// sequence number out of range) or NO (a name that cannot be decoded, a target that does not exist).
    /// </summary>
    public static bool TryParse(ImapSession session, ImapCommand command, bool byUid, string verb,
        out List<(int Sequence, uint Uid)> messages, out string target)
    {
        messages = [];
        target = "";
        string syntax = $"{verb} sequence-set mailbox";
        var args = command.Arguments;
        if (args.Count != 2 || args[0].Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number) || !SequenceSet.TryParse(args[0].Bytes, out var set))
        {
            session.Bad(command.Tag, "Syntax: " + syntax);
            return false;
        }
        if (!ImapMailboxes.TryGetName(session, command, args[1], syntax, out target))
            return false;
        if (!session.Selected!.TryResolve(set, byUid, out messages, out string? error))
        {
            session.Bad(command.Tag, error!);
            return false;
        }
        try
        {
            session.Account!.GetMailbox(target);
        }
        catch (MailboxNotFoundException)
        {
            // RFC 9051 6.4.7: TRYCREATE tells the client that CREATE and a retry may succeed.
            session.No(command.Tag, "TRYCREATE", "No such mailbox");
            return false;
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return false;
        }
        return true;
    }

    /// <summary>"COPYUID uidvalidity source-uids target-uids", or null when nothing was copied (no UIDs to report).</summary>
    public static string? CopyUid(CopyResult result) => result.Map.Count == 0
        ? null
        : $"COPYUID {result.TargetUidValidity} {SequenceSet.Format(result.Map.Select(m => m.SourceUid))} {SequenceSet.Format(result.Map.Select(m => m.TargetUid))}";

    /// <summary>A store refusal during the transfer: the target deleted meanwhile is TRYCREATE again.</summary>
    public static void Refuse(ImapSession session, string tag, MailStoreException e)
    {
        if (e is MailboxNotFoundException notFound && !string.Equals(notFound.Mailbox, session.Selected?.Name, StringComparison.Ordinal))
            session.No(tag, "TRYCREATE", "No such mailbox");
        else
            ImapMailboxes.Refuse(session, tag, e);
    }
}
