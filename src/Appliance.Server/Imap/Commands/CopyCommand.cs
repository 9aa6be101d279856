// RFC 9051 section 6.4.7 (COPY: flags and INTERNALDATE kept; NO [TRYCREATE] when the target does not
// exist) and 6.4.9 (UID COPY); RFC 4315 section 3 (COPYUID in the tagged OK); RFC 9208 section 7.1
// (NO [OVERQUOTA] when the copies would go over the account's quota; nothing is copied then).
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class CopyCommand
{
    public static async Task ExecuteAsync(ImapSession session, ImapCommand command, bool byUid)
    {
        if (!ImapTransfer.TryParse(session, command, byUid, byUid ? "UID COPY" : "COPY", out var messages, out string target))
            return;
        var selected = session.Selected!;
        var uids = messages.Select(m => m.Uid).ToList();
        var quota = await ImapQuota.ReadAsync(session);
        if (quota.IsLimited && uids.Count > 0)
        {
            var wanted = uids.ToHashSet();
            long size;
            try
            {
                size = session.Account!.ListMessageFiles(selected.Name).Where(f => wanted.Contains(f.Uid)).Sum(f => f.Size);
            }
            catch (MailStoreException e)
            {
                ImapMailboxes.Refuse(session, command.Tag, e);
                return;
            }
            if (quota.WouldExceed(size))
            {
                session.No(command.Tag, "OVERQUOTA", $"Over quota: {quota.UsedKiB} of {quota.LimitKiB} KiB used");
                return;
            }
        }
        CopyResult result;
        try
        {
            result = session.Account!.Copy(selected.Name, uids, target);
        }
        catch (MailStoreException e)
        {
            ImapTransfer.Refuse(session, command.Tag, e);
            return;
        }
        catch (IOException e)
        {
            session.StoreFailed(command.Tag, e); // nothing was copied: the store removes its partial files
            return;
        }
        session.Ok(command.Tag, "COPY completed", ImapTransfer.CopyUid(result));
    }
}
