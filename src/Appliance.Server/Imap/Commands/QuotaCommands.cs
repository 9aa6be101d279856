// RFC 9208 (IMAP QUOTA): section 4.1.1 (SETQUOTA: refused, limits are set by the administrator),
// 4.1.2 (GETQUOTA root), 4.1.3 (GETQUOTAROOT mailbox), 4.3.1 (QUOTA response: root and resource
// list), 4.3.2 (QUOTAROOT response: mailbox and its roots, possibly none), 5.1 (STORAGE, in units of
// 1024 octets). One root, "" (ImapQuota.RootName), over the whole account; an account without a limit
// has no quota root at all, as the QUOTA response's resource list may not be empty.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class QuotaCommands
{
    public static async Task GetQuotaAsync(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count != 1 || !command.Arguments[0].TryGetAString(out var root))
        {
            session.Bad(command.Tag, "Syntax: GETQUOTA quota-root");
            return;
        }
        var quota = await ImapQuota.ReadAsync(session);
        if (root.Length != 0 || !quota.IsLimited)
        {
            session.No(command.Tag, "NONEXISTENT", "No such quota root");
            return;
        }
        WriteQuota(session, quota);
        session.Ok(command.Tag, "GETQUOTA completed");
    }

    public static async Task GetQuotaRootAsync(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count != 1
            || !ImapMailboxes.TryGetName(session, command, command.Arguments[0], "GETQUOTAROOT mailbox", out string name))
        {
            if (command.Arguments.Count != 1)
                session.Bad(command.Tag, "Syntax: GETQUOTAROOT mailbox");
            return;
        }
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
        var quota = await ImapQuota.ReadAsync(session);
        var writer = session.Respond().Untagged().Atom("QUOTAROOT").AString(ImapMailboxes.Encode(session, mailbox.Name));
        if (quota.IsLimited)
            writer.String(ImapQuota.RootName);
        writer.EndLine();
        if (quota.IsLimited)
            WriteQuota(session, quota);
        session.Ok(command.Tag, "GETQUOTAROOT completed");
    }

    /// <summary>RFC 9208 4.1.1: "NO" for a SETQUOTA the server will not do.</summary>
    public static void SetQuota(ImapSession session, ImapCommand command) =>
        session.No(command.Tag, "NOPERM", "Quotas are set by the administrator");

    /// <summary>"* QUOTA "" (STORAGE used limit)" in KiB.</summary>
    private static void WriteQuota(ImapSession session, ImapQuota quota) =>
        session.Respond().Untagged().Atom("QUOTA").String(ImapQuota.RootName)
            .BeginList().Atom("STORAGE").Number((ulong)quota.UsedKiB).Number((ulong)quota.LimitKiB).EndList().EndLine();
}
