using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

public sealed class ExpungeCopyMoveTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Expunge_removes_only_deleted_messages_and_their_files()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var c = await _store.AppendAsync("INBOX", TempStore.Message("c"));
        _store.Account.StoreFlags("INBOX", [a, c], FlagOperation.Add, MessageFlags.Deleted);
        var before = _store.Account.GetMailbox("INBOX").HighestModSeq;

        Assert.Equal([a, c], _store.Account.Expunge("INBOX"));
        Assert.Equal([b], _store.Account.ListMessagesByUid("INBOX").Select(m => m.Uid));
        Assert.Single(Directory.GetFiles(Path.Combine(_store.Folder("INBOX"), "cur")));
        Assert.True(_store.Account.GetMailbox("INBOX").HighestModSeq > before);
        Assert.Throws<MessageNotFoundException>(() => _store.Account.OpenMessage("INBOX", a));
        Assert.Empty(_store.Account.Expunge("INBOX"));
    }

    [Fact]
    public async Task Uid_expunge_is_limited_to_the_set_and_to_deleted_messages()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var c = await _store.AppendAsync("INBOX", TempStore.Message("c"));
        _store.Account.StoreFlags("INBOX", [a, b], FlagOperation.Add, MessageFlags.Deleted);

        Assert.Equal([b], _store.Account.Expunge("INBOX", [b, c]));
        Assert.Equal([a, c], _store.Account.ListMessagesByUid("INBOX").Select(m => m.Uid));
    }

    [Fact]
    public async Task Copy_returns_the_uid_map_and_keeps_flags_keywords_date_and_bytes()
    {
        var date = new DateTimeOffset(2023, 3, 4, 5, 6, 7, TimeSpan.Zero);
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"), MessageFlags.Seen, ["$Work"], date);
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        await _store.AppendAsync("Archive", TempStore.Message("already there"));

        var result = _store.Account.Copy("INBOX", [b, a, 77], "Archive");

        Assert.Equal(_store.Account.GetMailbox("Archive").UidValidity, result.TargetUidValidity);
        Assert.Equal([new UidMapping(a, 2), new UidMapping(b, 3)], result.Map);
        var copy = _store.Account.GetMessage("Archive", 2);
        Assert.Equal(MessageFlags.Seen, copy.Flags);
        Assert.Equal(["$Work"], copy.Keywords);
        Assert.Equal(date, copy.InternalDate);
        Assert.Equal(TempStore.Message("a"), _store.ReadText("Archive", 2));
        Assert.Equal(TempStore.Message("b"), _store.ReadText("Archive", 3));
        Assert.Equal(2, _store.Account.GetMailbox("INBOX").MessageCount);
        Assert.Equal(4U, _store.Account.GetMailbox("Archive").UidNext);
    }

    [Fact]
    public async Task Move_maps_uids_removes_sources_and_notifies_add_then_expunge()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"), MessageFlags.Flagged);
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        using var subscription = _store.Account.Subscribe();

        var result = _store.Account.Move("INBOX", [a, b], "Trash");

        Assert.Equal([new UidMapping(a, 1), new UidMapping(b, 2)], result.Map);
        Assert.Empty(_store.Account.ListMessagesByUid("INBOX"));
        Assert.Empty(Directory.GetFiles(Path.Combine(_store.Folder("INBOX"), "cur")));
        Assert.Equal(MessageFlags.Flagged, _store.Account.GetMessage("Trash", 1).Flags);
        Assert.Equal(TempStore.Message("b"), _store.ReadText("Trash", 2));

        var changes = new List<MailChange>();
        while (subscription.Changes.TryRead(out var change))
        {
            changes.Add(change);
        }

        Assert.Collection(
            changes,
            c => Assert.Equal(1U, Assert.IsType<MessageAdded>(c).Uid),
            c => Assert.Equal(2U, Assert.IsType<MessageAdded>(c).Uid),
            c => Assert.Equal([a, b], Assert.IsType<MessagesExpunged>(c).Uids));
    }

    [Fact]
    public async Task Copy_and_move_into_missing_mailbox_throw_not_found()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.Copy("INBOX", [a], "Nope"));
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.Move("INBOX", [a], "Nope"));
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.Move("Nope", [a], "INBOX"));
        Assert.Equal(TempStore.Message("a"), _store.ReadText("INBOX", a));
    }
}
