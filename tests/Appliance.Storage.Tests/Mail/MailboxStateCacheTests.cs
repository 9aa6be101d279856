using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

/// <summary>
/// The cached message vector behind <see cref="MailAccount.Snapshot"/> (IMAP SELECT, FETCH FLAGS):
/// after every kind of change, concurrent or not, seen through a change subscription or not, it
/// equals what a reader without a cache finds in the index.
/// </summary>
public sealed class MailboxStateCacheTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task An_unchanged_mailbox_is_served_from_the_cache()
    {
        await _store.AppendAsync("INBOX", TempStore.Message("a"));
        await _store.AppendAsync("INBOX", TempStore.Message("b"), MessageFlags.Seen);

        var first = _store.Account.Snapshot("INBOX");
        var second = _store.Account.Snapshot("INBOX");

        Assert.Same(first.Messages, second.Messages);
        Assert.Equal(1, second.Mailbox.UnseenCount);
        AssertExact("INBOX", second);
    }

    [Fact]
    public async Task Flag_changes_and_expunges_of_this_account_update_the_cached_vector_in_place()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var c = await _store.AppendAsync("INBOX", TempStore.Message("c"));
        _store.Account.Snapshot("INBOX");

        _store.Account.StoreFlags("INBOX", [a, c], FlagOperation.Add, MessageFlags.Seen | MessageFlags.Deleted, ["$Work"]);
        Assert.True(IsCached("INBOX"));
        AssertExact("INBOX", _store.Account.Snapshot("INBOX"));

        _store.Account.StoreFlags("INBOX", [a], FlagOperation.Remove, MessageFlags.None, ["$Work"]);
        Assert.True(IsCached("INBOX"));
        _store.Account.Expunge("INBOX");
        Assert.True(IsCached("INBOX"));
        var snapshot = _store.Account.Snapshot("INBOX");
        Assert.Equal([b], snapshot.Messages.Select(m => m.Uid));
        AssertExact("INBOX", snapshot);
    }

    [Fact]
    public async Task Every_kind_of_change_leaves_the_snapshot_exact()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"), MessageFlags.Flagged, ["$Late"]);
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var archived = await _store.AppendAsync("Archive", TempStore.Message("x"));
        var steps = new List<Action>
        {
            () => _store.AppendAsync("INBOX", TempStore.Message("c"), MessageFlags.Seen).GetAwaiter().GetResult(),
            () => _store.Account.StoreFlags("INBOX", [a, b], FlagOperation.Replace, MessageFlags.Answered),
            () => _store.Account.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.None, ["$Work"]),
            () => _store.Account.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Seen, unchangedSince: 1),
            () => _store.Account.Copy("Archive", [archived], "INBOX"),
            () => _store.Account.Move("INBOX", [a], "Archive"),
            () => _store.Account.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Deleted),
            () => _store.Account.Expunge("INBOX", [b]),
            () => _store.Account.RenameMailbox("Archive", "Old"),
            () => _store.Account.Move("Old", [archived], "INBOX"),
            () => _store.Store.Reindex(_store.StoreId),
        };
        foreach (var step in steps)
        {
            _store.Account.Snapshot("INBOX");
            step();
            AssertExact("INBOX", _store.Account.Snapshot("INBOX"));
            AssertExact("INBOX", _store.Account.Snapshot("INBOX"));
        }
    }

    [Fact]
    public async Task Concurrent_appends_flag_changes_and_expunges_leave_it_exact()
    {
        for (int i = 0; i < 20; i++)
            await _store.AppendAsync("INBOX", TempStore.Message("m" + i));
        var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            // Each snapshot is one consistent state: ascending UIDs, counts that agree.
            while (!stop.IsCancellationRequested)
            {
                var snapshot = _store.Account.Snapshot("INBOX");
                Assert.Equal(snapshot.Mailbox.MessageCount, snapshot.Messages.Count);
                Assert.Equal(snapshot.Mailbox.UnseenCount, snapshot.Messages.Count(m => (m.Flags & MessageFlags.Seen) == 0));
                Assert.True(snapshot.Messages.Zip(snapshot.Messages.Skip(1)).All(p => p.First.Uid < p.Second.Uid));
                Assert.All(snapshot.Messages, m => Assert.True(m.ModSeq <= snapshot.Mailbox.HighestModSeq));
            }
        });
        var writers = new[]
        {
            Task.Run(async () =>
            {
                for (int i = 0; i < 40; i++)
                    await _store.AppendAsync("INBOX", TempStore.Message("n" + i), i % 2 == 0 ? MessageFlags.Seen : MessageFlags.None);
            }),
            Task.Run(() =>
            {
                var random = new Random(1);
                for (int i = 0; i < 60; i++)
                {
                    var uids = _store.Account.Snapshot("INBOX").Messages.Select(m => m.Uid).Where(_ => random.Next(3) == 0).ToList();
                    _store.Account.StoreFlags("INBOX", uids, i % 2 == 0 ? FlagOperation.Add : FlagOperation.Remove, MessageFlags.Seen, ["$K" + (i % 3)]);
                }
            }),
            Task.Run(() =>
            {
                var random = new Random(2);
                for (int i = 0; i < 15; i++)
                {
                    var uids = _store.Account.Snapshot("INBOX").Messages.Select(m => m.Uid).Where(_ => random.Next(6) == 0).ToList();
                    _store.Account.StoreFlags("INBOX", uids, FlagOperation.Add, MessageFlags.Deleted);
                    _store.Account.Expunge("INBOX", uids);
                }
            }),
        };
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await reader;

        AssertExact("INBOX", _store.Account.Snapshot("INBOX"));
    }

    [Fact]
    public async Task After_a_subscription_overflow_the_snapshot_a_session_resynchronises_from_is_exact()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        _store.Account.Snapshot("INBOX");
        using var subscription = _store.Account.Subscribe(capacity: 2);

        for (int i = 0; i < 5; i++)
            await _store.AppendAsync("INBOX", TempStore.Message("b" + i));
        _store.Account.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.Expunge("INBOX");

        // The reader completes (with the overflow) once what it holds is read.
        while (subscription.Changes.TryRead(out _))
        {
        }
        await Assert.ThrowsAsync<SubscriptionOverflowException>(() => subscription.Changes.Completion);
        var snapshot = _store.Account.Snapshot("INBOX");
        Assert.DoesNotContain(a, snapshot.Messages.Select(m => m.Uid));
        AssertExact("INBOX", snapshot);
    }

    [Fact]
    public async Task A_small_bound_caps_the_states_kept_and_changes_made_elsewhere_are_seen()
    {
        for (int i = 0; i < 4; i++)
            await _store.AppendAsync("INBOX", TempStore.Message("i" + i));
        for (int i = 0; i < 3; i++)
            await _store.AppendAsync("Archive", TempStore.Message("a" + i));
        for (int i = 0; i < 6; i++)
            await _store.AppendAsync("Drafts", TempStore.Message("d" + i));
        // A second account object over the same index, as another process would have: it learns of
        // the first one's writes only from the index.
        using var other = new MailAccount(_store.StoreId, _store.AccountDirectory, maxCachedStates: 5);

        foreach (var mailbox in new[] { "INBOX", "Archive", "Drafts", "INBOX" })
        {
            AssertExact(mailbox, other.Snapshot(mailbox));
            Assert.True(other.States.Count <= 5);
        }
        Assert.Equal(4, other.States.Count); // Drafts (6) is over the bound; INBOX pushed Archive out

        var first = other.Snapshot("INBOX").Messages[0].Uid;
        _store.Account.StoreFlags("INBOX", [first], FlagOperation.Add, MessageFlags.Flagged);
        Assert.Equal(MessageFlags.Flagged, other.Snapshot("INBOX").Messages[0].Flags);
        await _store.AppendAsync("INBOX", TempStore.Message("late"));
        AssertExact("INBOX", other.Snapshot("INBOX"));
    }

    private bool IsCached(string mailbox)
    {
        var info = _store.Account.GetMailbox(mailbox);
        return _store.Account.States.TryGet(info.Id, new MailboxStamp(info.UidValidity, info.UidNext, info.HighestModSeq), out _, out _);
    }

    /// <summary>The snapshot equals what an account object without a cache reads from the index now.</summary>
    private void AssertExact(string mailbox, MailboxSnapshot actual)
    {
        using var uncached = new MailAccount(_store.StoreId, _store.AccountDirectory, maxCachedStates: 0);
        var expected = uncached.Snapshot(mailbox);
        Assert.Equal(expected.Mailbox.UidNext, actual.Mailbox.UidNext);
        Assert.Equal(expected.Mailbox.HighestModSeq, actual.Mailbox.HighestModSeq);
        Assert.Equal(expected.Mailbox.MessageCount, actual.Mailbox.MessageCount);
        Assert.Equal(expected.Mailbox.UnseenCount, actual.Mailbox.UnseenCount);
        Assert.Equal(expected.Messages.Select(Describe), actual.Messages.Select(Describe));
    }

    private static string Describe(MessageState m) => $"{m.Uid} {m.Flags} [{string.Join(' ', m.Keywords)}] {m.ModSeq}";
}
