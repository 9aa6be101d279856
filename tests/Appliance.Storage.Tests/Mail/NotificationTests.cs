using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

public sealed class NotificationTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Every_kind_of_change_reaches_every_subscriber_of_the_shared_account()
    {
        using var first = _store.Account.Subscribe();
        using var second = _store.Store.OpenAccount(_store.StoreId).Subscribe(); // same shared object

        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.Expunge("INBOX");
        _store.Account.CreateMailbox("New");
        _store.Account.RenameMailbox("New", "Newer");
        _store.Account.DeleteMailbox("Newer");

        foreach (var subscription in new[] { first, second })
        {
            var changes = Drain(subscription);
            Assert.Collection(
                changes,
                c => Assert.Equal(uid, Assert.IsType<MessageAdded>(c).Uid),
                c => Assert.Equal(MessageFlags.Deleted, Assert.Single(Assert.IsType<FlagsChanged>(c).Updates).Flags),
                c => Assert.Equal([uid], Assert.IsType<MessagesExpunged>(c).Uids),
                c => Assert.Equal("New", Assert.IsType<MailboxCreated>(c).Mailbox),
                c => Assert.Equal(("Newer", "New"), (Assert.IsType<MailboxRenamed>(c).Mailbox, ((MailboxRenamed)c).OldName)),
                c => Assert.Equal("Newer", Assert.IsType<MailboxDeleted>(c).Mailbox));
        }
    }

    [Fact]
    public async Task A_waiting_reader_wakes_on_append()
    {
        using var subscription = _store.Account.Subscribe();
        var waiting = subscription.Changes.ReadAsync().AsTask();
        Assert.False(waiting.IsCompleted);
        var uid = await _store.AppendAsync("Sent", TempStore.Message("x"));
        var change = Assert.IsType<MessageAdded>(await waiting);
        Assert.Equal(("Sent", uid), (change.Mailbox, change.Uid));
    }

    [Fact]
    public async Task Disposed_subscription_completes_and_receives_nothing_more()
    {
        var subscription = _store.Account.Subscribe();
        subscription.Dispose();
        await _store.AppendAsync("INBOX", TempStore.Message("x"));
        Assert.False(subscription.Changes.TryRead(out _));
        Assert.True(subscription.Changes.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_subscriber_that_falls_too_far_behind_is_completed_with_overflow()
    {
        using var subscription = _store.Account.Subscribe(capacity: 3);
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen);
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Remove, MessageFlags.Seen);
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen);

        var drained = Drain(subscription);
        Assert.Equal(3, drained.Count);
        await Assert.ThrowsAsync<SubscriptionOverflowException>(() => subscription.Changes.Completion);
    }

    private static List<MailChange> Drain(MailSubscription subscription)
    {
        var changes = new List<MailChange>();
        while (subscription.Changes.TryRead(out var change))
        {
            changes.Add(change);
        }

        return changes;
    }
}
