using System.Threading.Channels;

namespace Appliance.Storage.Mail;

/// <summary>A change in one account, published after the index commit, in commit order.</summary>
public abstract record MailChange(long MailboxId, string Mailbox);

public sealed record MessageAdded(long MailboxId, string Mailbox, uint Uid, ulong ModSeq) : MailChange(MailboxId, Mailbox);

public sealed record FlagsChanged(long MailboxId, string Mailbox, IReadOnlyList<FlagUpdate> Updates) : MailChange(MailboxId, Mailbox);

public sealed record MessagesExpunged(long MailboxId, string Mailbox, IReadOnlyList<uint> Uids, ulong ModSeq) : MailChange(MailboxId, Mailbox);

public sealed record MailboxCreated(long MailboxId, string Mailbox) : MailChange(MailboxId, Mailbox);

public sealed record MailboxRenamed(long MailboxId, string Mailbox, string OldName) : MailChange(MailboxId, Mailbox);

public sealed record MailboxDeleted(long MailboxId, string Mailbox) : MailChange(MailboxId, Mailbox);

/// <summary>
/// One subscriber's view of an account's changes (IMAP IDLE, a webmail circuit). Dispose it to
/// unsubscribe. The queue is bounded: a reader that falls behind by <see cref="Capacity"/> changes
/// sees the reader complete with <see cref="SubscriptionOverflowException"/> instead of silently
/// missing an expunge, and must resynchronise from the index.
/// </summary>
public sealed class MailSubscription : IDisposable
{
    public const int Capacity = 10_000;

    private readonly Channel<MailChange> _channel;
    private readonly Action<MailSubscription> _unsubscribe;
    private readonly int _capacity;

    internal MailSubscription(Action<MailSubscription> unsubscribe, int capacity)
    {
        _unsubscribe = unsubscribe;
        _capacity = capacity;
        _channel = Channel.CreateBounded<MailChange>(
            new BoundedChannelOptions(capacity) { SingleReader = false, SingleWriter = false, FullMode = BoundedChannelFullMode.Wait });
    }

    public ChannelReader<MailChange> Changes => _channel.Reader;

    public void Dispose()
    {
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }

    internal void Post(MailChange change)
    {
        if (!_channel.Writer.TryWrite(change))
        {
            _channel.Writer.TryComplete(new SubscriptionOverflowException(_capacity));
        }
    }

    internal void Complete() => _channel.Writer.TryComplete();
}
