using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Appliance.Storage.Mail;

/// <summary>A message's UID, flags, keywords and MODSEQ: what an IMAP session keeps of a selected mailbox.</summary>
public readonly record struct MessageState(uint Uid, MessageFlags Flags, IReadOnlyList<string> Keywords, ulong ModSeq);

/// <summary>A mailbox and its messages read in one transaction (IMAP SELECT, RFC 9051 section 6.3.2).</summary>
public sealed record MailboxSnapshot(MailboxInfo Mailbox, IReadOnlyList<MessageState> Messages)
{
    /// <summary>The index of <paramref name="uid"/> in <see cref="Messages"/> (ascending by UID), or -1.</summary>
    public int IndexOf(uint uid) => IndexOf(Messages, uid);

    internal static int IndexOf(IReadOnlyList<MessageState> ascending, uint uid)
    {
        int lo = 0, hi = ascending.Count - 1;
        while (lo <= hi)
        {
            int mid = lo + ((hi - lo) / 2);
            uint at = ascending[mid].Uid;
            if (at == uid)
            {
                return mid;
            }

            if (at < uid)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }
}

/// <summary>UIDs expunged after a MODSEQ (QRESYNC's VANISHED (EARLIER), RFC 7162 section 3.2.5.1).</summary>
/// <param name="Complete">
/// False when the log does not reach back that far (the index was rebuilt since): then
/// <see cref="Uids"/> is empty and the caller must treat every UID it knows and cannot find as expunged.
/// </param>
public sealed record ExpungedSince(bool Complete, IReadOnlyList<uint> Uids);

public sealed partial class MailAccount
{
    /// <summary>
    /// The mailbox's status and every message's UID, flags and MODSEQ, in ascending UID order, from
    /// one read transaction, so the counts and the list agree. No summaries are read: this is what
    /// SELECT needs on a large mailbox. Served from the account's cached vector when it is at the
    /// mailbox's current UIDNEXT and HIGHESTMODSEQ (<see cref="MailboxStateCache"/>). The list is
    /// shared: callers must not change it.
    /// </summary>
    public MailboxSnapshot Snapshot(string mailbox)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        long generation = _states.Generation;
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: true);
        var row = RequireMailbox(c, tx, name);
        var stamp = new MailboxStamp(row.UidValidity, row.UidNext, row.HighestModSeq);
        if (_states.TryGet(row.Id, stamp, out var cached, out int cachedUnseen))
        {
            tx.Commit();
            return new MailboxSnapshot(row.ToInfo(cached.Length, cachedUnseen), cached);
        }

        var messages = new List<MessageState>();
        int unseen = 0;
        using (var command = IndexDatabase.Command(c, tx, "SELECT uid, flags, keywords, modseq FROM messages WHERE mailbox_id = $id ORDER BY uid", ("$id", row.Id)))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var flags = (MessageFlags)reader.GetInt32(1);
                if ((flags & MessageFlags.Seen) == 0)
                {
                    unseen++;
                }

                messages.Add(new MessageState((uint)reader.GetInt64(0), flags, Keywords.Split(reader.GetString(2)), (ulong)reader.GetInt64(3)));
            }
        }

        tx.Commit();
        MessageState[] vector = [.. messages];
        _states.Put(row.Id, stamp, vector, generation);
        return new MailboxSnapshot(row.ToInfo(vector.Length, unseen), vector);
    }

    /// <summary>
    /// The UIDs expunged from the mailbox with a MODSEQ above <paramref name="modSeq"/>, ascending
    /// (RFC 7162 section 3.2.5.1), or an incomplete answer when the log starts later.
    /// </summary>
    public ExpungedSince ListExpungedSince(string mailbox, ulong modSeq)
    {
        ThrowIfDisposed();
        var name = MailboxName.Normalize(mailbox);
        using var c = _db.Open();
        using var tx = c.BeginTransaction(deferred: true);
        var row = RequireMailbox(c, tx, name);
        using (var horizon = IndexDatabase.Command(c, tx, $"SELECT value FROM meta WHERE key = '{IndexDatabase.ExpungeHorizonKey}'"))
        {
            var value = horizon.ExecuteScalar();
            var known = value is null ? -1 : Convert.ToInt64(value, CultureInfo.InvariantCulture);
            if (known < 0 || modSeq < (ulong)known)
            {
                return new ExpungedSince(false, []);
            }
        }

        var uids = new List<uint>();
        using (var command = IndexDatabase.Command(c, tx, "SELECT uid FROM expunged WHERE mailbox_id = $id AND modseq > $modseq ORDER BY uid",
            ("$id", row.Id), ("$modseq", (long)Math.Min(modSeq, long.MaxValue))))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                uids.Add((uint)reader.GetInt64(0));
            }
        }

        tx.Commit();
        return new ExpungedSince(true, uids);
    }
}
