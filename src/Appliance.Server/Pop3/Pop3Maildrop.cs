// RFC 1939 section 5 (message numbers fixed for the session, deleted messages), 6 (UPDATE state),
// 7 (UIDL: a unique-id of 1 to 70 characters in 0x21-0x7E, stable across sessions).
using Appliance.Storage.Mail;

namespace Appliance.Server.Pop3;

/// <summary>
/// The maildrop as one POP3 session sees it: INBOX as it was at login, numbered from 1, with the
/// session's deletion marks. Changes reach the store only in the UPDATE state (QUIT), where
/// deletions are an IMAP-style \Deleted plus EXPUNGE of exactly those UIDs, so concurrent IMAP
/// sessions see ordinary EXPUNGE responses.
/// </summary>
internal sealed class Pop3Maildrop(MailAccount account, uint uidValidity, IReadOnlyList<MessageFile> messages)
{
    public const string Mailbox = "INBOX";

    private readonly bool[] _deleted = new bool[messages.Count];
    private readonly HashSet<uint> _retrieved = [];

    public static Pop3Maildrop Open(MailAccount account)
    {
        var info = account.GetMailbox(Mailbox);
        return new Pop3Maildrop(account, info.UidValidity, account.ListMessageFiles(Mailbox));
    }

    public MailAccount Account => account;

    public int Count => messages.Count;

    /// <summary>The message with this number, or null when there is none or it is marked deleted.</summary>
    public MessageFile? Get(int number) =>
        number >= 1 && number <= messages.Count && !_deleted[number - 1] ? messages[number - 1] : null;

    public bool IsDeleted(int number) => number >= 1 && number <= messages.Count && _deleted[number - 1];

    public void MarkDeleted(int number) => _deleted[number - 1] = true;

    public void MarkRetrieved(int number) => _retrieved.Add(messages[number - 1].Uid);

    /// <summary>RSET: forget the deletion marks.</summary>
    public void Reset() => Array.Clear(_deleted);

    public IEnumerable<(int Number, MessageFile Message)> Live() =>
        messages.Select((m, i) => (i + 1, m)).Where(x => !_deleted[x.Item1 - 1]);

    /// <summary>Unique-id: UIDVALIDITY and UID in hex, stable for as long as the message exists.</summary>
    public string UniqueId(MessageFile message) => $"{uidValidity:x8}{message.Uid:x8}";

    /// <summary>
    /// The UPDATE state: retrieved messages become \Seen, marked ones are expunged. Messages that
    /// another session expunged meanwhile are simply gone already.
    /// </summary>
    public int Commit()
    {
        var doomed = messages.Where((_, i) => _deleted[i]).Select(m => m.Uid).ToList();
        // Only messages not already \Seen: a QUIT with nothing to change takes no write lock.
        var alreadySeen = messages.Where(m => (m.Flags & MessageFlags.Seen) != 0).Select(m => m.Uid).ToHashSet();
        var seen = _retrieved.Except(doomed).Where(uid => !alreadySeen.Contains(uid)).ToList();
        if (seen.Count > 0)
            account.StoreFlags(Mailbox, seen, FlagOperation.Add, MessageFlags.Seen);
        if (doomed.Count == 0)
            return 0;
        account.StoreFlags(Mailbox, doomed, FlagOperation.Add, MessageFlags.Deleted);
        return account.Expunge(Mailbox, doomed).Count;
    }
}
