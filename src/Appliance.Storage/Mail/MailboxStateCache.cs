// RFC 9051 section 6.3.2 (SELECT lists every message's UID; FETCH FLAGS resynchronises a client) and
// RFC 7162 section 3.1 (every change to a message's flags, and every expunge, takes a new MODSEQ, which
// becomes the mailbox's HIGHESTMODSEQ): a mailbox's UID, flags and MODSEQ vector is fully named by
// its UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ, which is what lets it be cached and checked cheaply.
namespace Appliance.Storage.Mail;

/// <summary>
/// What a mailbox's message vector was read at: every write that changes a message's presence, flags
/// or keywords advances UIDNEXT (append, copy, move in) or HIGHESTMODSEQ (flags, expunge, move out),
/// so a cached vector whose stamp equals the mailbox row's, read in the same transaction, is exact.
/// </summary>
internal readonly record struct MailboxStamp(uint UidValidity, uint UidNext, ulong HighestModSeq);

/// <summary>
/// One account's cache of its mailboxes' message states (UID, flags, keywords, MODSEQ in ascending
/// UID order), so that SELECT and FETCH FLAGS of a large mailbox do not read every index row again.
/// An entry is used only when its <see cref="MailboxStamp"/> equals the mailbox row read in the
/// caller's transaction; the account's own flag changes and expunges update the entry in place of
/// dropping it (<see cref="Apply"/>). Thread-safe; the arrays handed out are never changed.
/// </summary>
internal sealed class MailboxStateCache(int maxStates)
{
    /// <summary>
    /// Message states kept per account, over all its mailboxes (least recently used mailbox dropped
    /// first). Each costs about 24 octets plus its keywords (shared with the index reader's strings),
    /// so the default is some 5 MB per account with mail open: ten times the benchmark's 10,000-message
    /// INBOX (issue 6) and twice a 100,000-message archive, the largest single folder our README
    /// expects; a bigger mailbox is simply read from the index each time, as without the cache.
    /// </summary>
    public const int DefaultMaxStates = 200_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<long, Entry> _entries = [];
    private long _clock;
    private long _generation;
    private int _states;

    private sealed class Entry(MailboxStamp stamp, MessageState[] messages, int unseen)
    {
        public MailboxStamp Stamp { get; } = stamp;

        public MessageState[] Messages { get; } = messages;

        public int Unseen { get; } = unseen;

        public long LastUse { get; set; }
    }

    /// <summary>Changes whenever <see cref="Clear"/> runs: a vector read before then is not stored.</summary>
    public long Generation
    {
        get
        {
            lock (_lock)
                return _generation;
        }
    }

    /// <summary>The cached vector of the mailbox when it was read at <paramref name="stamp"/>.</summary>
    public bool TryGet(long mailboxId, MailboxStamp stamp, out MessageState[] messages, out int unseen)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(mailboxId, out var entry) && entry.Stamp == stamp)
            {
                entry.LastUse = ++_clock;
                messages = entry.Messages;
                unseen = entry.Unseen;
                return true;
            }
        }

        messages = [];
        unseen = 0;
        return false;
    }

    /// <summary>
    /// Keeps a vector read from the index at <paramref name="stamp"/> in a transaction begun while
    /// <see cref="Generation"/> was <paramref name="generation"/>. An entry at a later stamp stays.
    /// </summary>
    public void Put(long mailboxId, MailboxStamp stamp, MessageState[] messages, long generation)
    {
        if (messages.Length > maxStates)
        {
            return;
        }

        int unseen = 0;
        foreach (var message in messages)
        {
            if ((message.Flags & MessageFlags.Seen) == 0)
            {
                unseen++;
            }
        }

        lock (_lock)
        {
            if (generation != _generation)
            {
                return;
            }

            if (_entries.TryGetValue(mailboxId, out var old))
            {
                if (old.Stamp.UidValidity == stamp.UidValidity
                    && (old.Stamp.UidNext > stamp.UidNext || old.Stamp.HighestModSeq > stamp.HighestModSeq))
                {
                    return;
                }

                Remove(mailboxId, old);
            }

            Store(mailboxId, new Entry(stamp, messages, unseen));
        }
    }

    /// <summary>
    /// After a committed write of this process (under the account's write lock, so writes come in
    /// commit order): flag changes and expunges are applied to an entry that was exact just before
    /// the write (its stamp one MODSEQ behind); any other change to a mailbox drops its entry.
    /// </summary>
    public void Apply(IReadOnlyList<MailChange> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var change in changes)
            {
                if (!_entries.TryGetValue(change.MailboxId, out var entry))
                {
                    continue;
                }

                // A reader may have stored the state after this very write already.
                ulong? modSeq = change switch
                {
                    FlagsChanged { Updates.Count: > 0 } flags => flags.Updates[0].ModSeq,
                    MessagesExpunged expunged => expunged.ModSeq,
                    _ => null,
                };
                if (modSeq is { } after && entry.Stamp.HighestModSeq == after)
                {
                    continue;
                }

                Remove(change.MailboxId, entry);
                var applied = change switch
                {
                    FlagsChanged flags => WithFlags(entry, flags.Updates),
                    MessagesExpunged expunged => WithoutMessages(entry, expunged.Uids, expunged.ModSeq),
                    _ => null,
                };
                if (applied is not null)
                {
                    applied.LastUse = entry.LastUse;
                    Store(change.MailboxId, applied);
                }
            }
        }
    }

    /// <summary>Forgets everything (the index was rebuilt); vectors being read now are not stored.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
            _states = 0;
            _generation++;
        }
    }

    /// <summary>Message states held, over all mailboxes (for tests).</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
                return _states;
        }
    }

    private static Entry? WithFlags(Entry entry, IReadOnlyList<FlagUpdate> updates)
    {
        if (updates.Count == 0)
        {
            return null;
        }

        // One STORE takes one new MODSEQ for every message it changes (MailAccount.StoreFlags).
        ulong modSeq = updates[0].ModSeq;
        if (entry.Stamp.HighestModSeq + 1 != modSeq || updates.Any(u => u.ModSeq != modSeq))
        {
            return null;
        }

        var messages = (MessageState[])entry.Messages.Clone();
        int unseen = entry.Unseen;
        foreach (var update in updates)
        {
            int index = MailboxSnapshot.IndexOf(messages, update.Uid);
            if (index < 0)
            {
                return null;
            }

            unseen += ((messages[index].Flags & MessageFlags.Seen) == 0 ? -1 : 0) + ((update.Flags & MessageFlags.Seen) == 0 ? 1 : 0);
            messages[index] = new MessageState(update.Uid, update.Flags, update.Keywords, update.ModSeq);
        }

        return new Entry(entry.Stamp with { HighestModSeq = modSeq }, messages, unseen);
    }

    private static Entry? WithoutMessages(Entry entry, IReadOnlyList<uint> uids, ulong modSeq)
    {
        if (entry.Stamp.HighestModSeq + 1 != modSeq)
        {
            return null;
        }

        var gone = new HashSet<uint>(uids);
        var messages = new List<MessageState>(entry.Messages.Length);
        int unseen = 0;
        foreach (var message in entry.Messages)
        {
            if (gone.Remove(message.Uid))
            {
                continue;
            }

            messages.Add(message);
            if ((message.Flags & MessageFlags.Seen) == 0)
            {
                unseen++;
            }
        }

        // Every expunged UID must have been in the vector, or it was not the mailbox's state.
        return gone.Count == 0 ? new Entry(entry.Stamp with { HighestModSeq = modSeq }, [.. messages], unseen) : null;
    }

    private void Store(long mailboxId, Entry entry)
    {
        if (entry.LastUse == 0)
        {
            entry.LastUse = ++_clock;
        }

        _entries[mailboxId] = entry;
        _states += entry.Messages.Length;
        while (_states > maxStates && _entries.Count > 1)
        {
            var oldest = _entries.Where(e => e.Key != mailboxId).MinBy(e => e.Value.LastUse);
            Remove(oldest.Key, oldest.Value);
        }
    }

    private void Remove(long mailboxId, Entry entry)
    {
        _entries.Remove(mailboxId);
        _states -= entry.Messages.Length;
    }
}
