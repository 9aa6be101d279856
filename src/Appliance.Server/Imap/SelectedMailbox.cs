// RFC 9051 section 2.3.1.2 (message sequence numbers: the session's own numbering, changed only by
// the EXPUNGE and EXISTS responses it has sent), section 5.2 (mailbox size and flag updates are sent
// automatically), section 5.5 and 7.4.1 (no EXPUNGE while no command is in progress, nor during
// FETCH, STORE or SEARCH, which use sequence numbers; UID commands may see them), section 7.3.1
// (EXISTS) and 7.5.1 (EXPUNGE); RFC 7162 section 3.2.10 (VANISHED instead of EXPUNGE once QRESYNC is
// enabled) and 3.1.4 / 3.2.4 (unsolicited FETCH carries MODSEQ with CONDSTORE, UID with QRESYNC);
// RFC 5182 (the saved search result "$").
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap;

/// <summary>
/// A session's view of its selected mailbox: the UIDs in sequence-number order as this client
/// knows them, and the store's changes not yet told. Changes arrive from the store's subscription
/// and are reported only by <see cref="Report"/>, at the moments the session allows, so sequence
/// numbers stay what the client believes between reports.
/// </summary>
internal sealed class SelectedMailbox : IDisposable
{
    private readonly MailAccount _account;
    private readonly List<uint> _uids;
    private readonly SortedSet<uint> _withheldExpunges = [];
    private readonly HashSet<ulong> _ownFlagChanges = [];
    private MailSubscription _subscription;
    private int _reportedCount;

    private SelectedMailbox(MailAccount account, MailSubscription subscription, MailboxSnapshot snapshot, bool readOnly)
    {
        _account = account;
        _subscription = subscription;
        var mailbox = snapshot.Mailbox;
        Id = mailbox.Id;
        Name = mailbox.Name;
        UidValidity = mailbox.UidValidity;
        HighestModSeq = mailbox.HighestModSeq;
        ReadOnly = readOnly;
        _uids = [.. snapshot.Messages.Select(m => m.Uid)];
        _reportedCount = _uids.Count;
    }

    public long Id { get; }

    /// <summary>The mailbox's name in the store (it follows a RENAME by any session).</summary>
    public string Name { get; private set; }

    public uint UidValidity { get; }

    /// <summary>EXAMINE, or SELECT of a mailbox the user may not change: no flag or expunge changes.</summary>
    public bool ReadOnly { get; }

    /// <summary>The highest MODSEQ whose changes this session has seen (RFC 7162).</summary>
    public ulong HighestModSeq { get; private set; }

    /// <summary>RFC 5182: the UIDs of the last SEARCH ... SAVE (the "$" set); empty until one.</summary>
    public IReadOnlyList<uint> SavedSearch { get; set; } = [];

    /// <summary>Another session deleted this mailbox; the session must end (there is no other way to tell the client).</summary>
    public bool Deleted { get; private set; }

    /// <summary>Messages in the client's view (the last EXISTS count, less the expunges reported since).</summary>
    public int Count => _uids.Count;

    /// <summary>The view's UIDs, ascending; index + 1 is the sequence number.</summary>
    public IReadOnlyList<uint> Uids => _uids;

    /// <summary>The highest UID in the view, or 0 when it is empty (what "*" means in a UID set).</summary>
    public uint MaxUid => _uids.Count == 0 ? 0 : _uids[^1];

    /// <summary>
    /// Subscribes and then reads the snapshot, so no change can fall between the two; changes that the
    /// snapshot already holds are recognised and skipped when reported.
    /// </summary>
    public static (SelectedMailbox Selected, MailboxSnapshot Snapshot) Open(MailAccount account, string name, bool readOnly)
    {
        var subscription = account.Subscribe();
        try
        {
            var snapshot = account.Snapshot(name);
            return (new SelectedMailbox(account, subscription, snapshot, readOnly), snapshot);
        }
        catch
        {
            subscription.Dispose();
            throw;
        }
    }

    public uint UidAt(int sequence) => _uids[sequence - 1];

    /// <summary>The sequence number of <paramref name="uid"/> in the view, or 0.</summary>
    public int SequenceOf(uint uid)
    {
        int index = _uids.BinarySearch(uid);
        return index < 0 ? 0 : index + 1;
    }

    /// <summary>
    /// The messages of the view in <paramref name="set"/>, ascending: by UID for UID commands (UIDs that
    /// do not exist are ignored, RFC 9051 6.4.9), else by sequence number, where a number past the
    /// last message is an error (RFC 9051 section 7.1: BAD), unless it came from "*" in a range.
    /// "$" is the saved search result (RFC 5182 section 2.1), in either kind of command.
    /// </summary>
    public bool TryResolve(SequenceSet set, bool byUid, out List<(int Sequence, uint Uid)> messages, out string? error)
    {
        messages = [];
        error = null;
        if (set.IsSearchResult)
        {
            foreach (uint uid in SavedSearch)
            {
                int sequence = SequenceOf(uid);
                if (sequence > 0)
                    messages.Add((sequence, uid));
            }
            return true;
        }
        if (byUid)
        {
            foreach (int index in set.IndicesOf(_uids))
                messages.Add((index + 1, _uids[index]));
            return true;
        }
        foreach (var range in set.Ranges)
        {
            if ((range.First != SequenceRange.Star && range.Last != SequenceRange.Star && Math.Max(range.First, range.Last) > _uids.Count)
                || (range.First == range.Last && range.First > _uids.Count))
            {
                error = "Invalid message sequence number: " + range;
                return false;
            }
        }
        foreach (uint sequence in set.SequenceNumbers((uint)_uids.Count))
            messages.Add(((int)sequence, _uids[(int)sequence - 1]));
        return true;
    }

    /// <summary>
    /// A flag change this session's own STORE answered itself (or, with .SILENT, chose not to): its
    /// FETCH is not repeated when the store's notice of it arrives.
    /// </summary>
    public void ReportedOwnFlagChange(ulong modSeq) => _ownFlagChanges.Add(modSeq);

    /// <summary>Completes when a change may be waiting (IDLE); faults never: an overflow is handled by <see cref="Report"/>.</summary>
    public async ValueTask WaitForChangeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _subscription.Changes.WaitToReadAsync(cancellationToken);
        }
        catch (SubscriptionOverflowException)
        {
        }
    }

    /// <summary>
    /// Writes what changed since the last report: new messages as EXISTS, other sessions' flag changes
    /// as FETCH, expunges as EXPUNGE (or VANISHED with QRESYNC) when <paramref name="expungesAllowed"/>,
    /// else kept until a moment that allows them.
    /// </summary>
    public void Report(ImapSession session, bool expungesAllowed)
    {
        var reader = _subscription.Changes;
        while (true)
        {
            while (reader.TryRead(out var change))
            {
                if (change.MailboxId != Id)
                    continue;
                switch (change)
                {
                    case MessageAdded added:
                        if (added.Uid > MaxUid && !_withheldExpunges.Contains(added.Uid))
                            _uids.Add(added.Uid);
                        NoteModSeq(added.ModSeq);
                        break;
                    case FlagsChanged flags:
                        ReportFlags(session, flags.Updates);
                        break;
                    case MessagesExpunged expunged:
                        foreach (uint uid in expunged.Uids)
                        {
                            if (SequenceOf(uid) > 0)
                                _withheldExpunges.Add(uid);
                        }
                        NoteModSeq(expunged.ModSeq);
                        break;
                    case MailboxRenamed renamed:
                        Name = renamed.Mailbox;
                        break;
                    case MailboxDeleted:
                        Deleted = true;
                        break;
                }
            }
            if (!reader.Completion.IsCompleted)
                break;
            // The subscription overflowed (or the account closed): read the truth from the index.
            if (!Resynchronise(session))
                break;
        }
        if (expungesAllowed)
            ReportExpunges(session);
        if (_uids.Count != _reportedCount)
            ReportExists(session);
    }

    private void NoteModSeq(ulong modSeq)
    {
        if (modSeq > HighestModSeq)
            HighestModSeq = modSeq;
    }

    private void ReportFlags(ImapSession session, IReadOnlyList<FlagUpdate> updates)
    {
        foreach (var update in updates)
        {
            NoteModSeq(update.ModSeq);
            if (_ownFlagChanges.Contains(update.ModSeq))
                continue;
            int sequence = SequenceOf(update.Uid);
            if (sequence == 0)
                continue;
            if (sequence > _reportedCount)
                ReportExists(session); // a new message's flags changed before its EXISTS was told

            WriteFlags(session, sequence, update.Uid, update.Flags, update.Keywords, update.ModSeq);
        }
        // Own changes are one MODSEQ each; once seen they will not come again.
        foreach (var update in updates)
            _ownFlagChanges.Remove(update.ModSeq);
    }

    /// <summary>"* n FETCH (UID u FLAGS (...) [MODSEQ (m)])": UID always (RFC 7162 3.2.4 needs it with QRESYNC; it never hurts).</summary>
    public static void WriteFlags(ImapSession session, int sequence, uint uid, MessageFlags flags, IReadOnlyList<string> keywords, ulong modSeq)
    {
        var writer = session.Respond().Untagged().Number((ulong)sequence).Atom("FETCH").BeginList()
            .Atom("UID").Number(uid)
            .Atom("FLAGS").Atom(ImapFlags.Format(flags, keywords));
        if (session.CondStoreEnabled)
            writer.Atom("MODSEQ").Atom($"({modSeq})");
        writer.EndList().EndLine();
    }

    private void ReportExpunges(ImapSession session)
    {
        if (_withheldExpunges.Count == 0)
            return;
        var gone = _withheldExpunges.Where(uid => SequenceOf(uid) > 0).ToList();
        _withheldExpunges.Clear();
        if (gone.Count == 0)
            return;
        // A message the client has not been told of yet gets its EXISTS first, so that every
        // number in an EXPUNGE is one the client knows.
        if (SequenceOf(gone[^1]) > _reportedCount)
            ReportExists(session);
        if (session.QResyncEnabled)
        {
            // RFC 7162 3.2.10: one VANISHED with the UIDs replaces the EXPUNGE responses.
            foreach (uint uid in gone)
                _uids.RemoveAt(SequenceOf(uid) - 1);
            session.Respond().Untagged().Atom("VANISHED").Atom(SequenceSet.Format(gone)).EndLine();
        }
        else
        {
            foreach (uint uid in gone)
            {
                int sequence = SequenceOf(uid);
                _uids.RemoveAt(sequence - 1);
                session.Respond().Untagged().Number((ulong)sequence).Atom("EXPUNGE").EndLine();
            }
        }
        _reportedCount -= gone.Count;
        if (SavedSearch.Count > 0)
        {
            // RFC 5182 2.1: expunged messages leave the saved result.
            var left = new HashSet<uint>(_uids);
            SavedSearch = [.. SavedSearch.Where(left.Contains)];
        }
    }

    private void ReportExists(ImapSession session)
    {
        session.Respond().Untagged().Number((ulong)_uids.Count).Atom("EXISTS").EndLine();
        _reportedCount = _uids.Count;
    }

    /// <summary>
    /// After the subscription overflowed: subscribe again, then compare the view with the index.
    /// Gone UIDs become expunges, new ones EXISTS; flags changed since the known MODSEQ are reported
    /// as FETCH. False when the mailbox is gone or the account closed.
    /// </summary>
    private bool Resynchronise(ImapSession session)
    {
        _subscription.Dispose();
        MailboxSnapshot snapshot;
        try
        {
            _subscription = _account.Subscribe();
            snapshot = _account.Snapshot(Name);
        }
        catch (Exception e) when (e is MailStoreException or ObjectDisposedException)
        {
            Deleted = true;
            return false;
        }
        var present = new HashSet<uint>(snapshot.Messages.Select(m => m.Uid));
        foreach (uint uid in _uids)
        {
            if (!present.Contains(uid))
                _withheldExpunges.Add(uid);
        }
        uint max = MaxUid;
        var changed = new List<FlagUpdate>();
        foreach (var message in snapshot.Messages)
        {
            if (message.Uid > max)
                _uids.Add(message.Uid);
            else if (message.ModSeq > HighestModSeq)
                changed.Add(new FlagUpdate(message.Uid, message.Flags, message.Keywords, message.ModSeq));
        }
        ReportFlags(session, changed);
        NoteModSeq(snapshot.Mailbox.HighestModSeq);
        return true;
    }

    public void Dispose() => _subscription.Dispose();
}
