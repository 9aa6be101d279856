using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

/// <summary>What IMAP SELECT and QRESYNC (RFC 7162 section 3.2.5.1) read from the store.</summary>
public sealed class SnapshotAndExpungeLogTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Snapshot_lists_uids_flags_keywords_and_modseqs_with_matching_counts()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"), MessageFlags.Seen, ["$Work"]);
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        _store.Account.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Flagged);

        var snapshot = _store.Account.Snapshot("inbox");

        Assert.Equal("INBOX", snapshot.Mailbox.Name);
        Assert.Equal(2, snapshot.Mailbox.MessageCount);
        Assert.Equal(1, snapshot.Mailbox.UnseenCount);
        Assert.Equal([a, b], snapshot.Messages.Select(m => m.Uid));
        Assert.Equal(MessageFlags.Seen, snapshot.Messages[0].Flags);
        Assert.Equal(["$Work"], snapshot.Messages[0].Keywords);
        Assert.Equal(MessageFlags.Flagged, snapshot.Messages[1].Flags);
        Assert.Equal(snapshot.Mailbox.HighestModSeq, snapshot.Messages[1].ModSeq);
        Assert.True(snapshot.Messages[0].ModSeq < snapshot.Messages[1].ModSeq);
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.Snapshot("Nowhere"));
    }

    [Fact]
    public async Task Expunges_and_moves_are_logged_with_their_modseq()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var c = await _store.AppendAsync("INBOX", TempStore.Message("c"));
        var start = _store.Account.GetMailbox("INBOX").HighestModSeq;
        var none = _store.Account.ListExpungedSince("INBOX", 0);
        Assert.True(none.Complete);
        Assert.Empty(none.Uids);

        _store.Account.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.Expunge("INBOX");
        var afterExpunge = _store.Account.GetMailbox("INBOX").HighestModSeq;
        _store.Account.Move("INBOX", [c], "Archive");

        Assert.Equal([a, c], _store.Account.ListExpungedSince("INBOX", start).Uids);
        Assert.Equal([c], _store.Account.ListExpungedSince("INBOX", afterExpunge).Uids);
        Assert.Empty(_store.Account.ListExpungedSince("INBOX", _store.Account.GetMailbox("INBOX").HighestModSeq).Uids);
        Assert.Empty(_store.Account.ListExpungedSince("Archive", 0).Uids);
        Assert.Equal([b], _store.Account.Snapshot("INBOX").Messages.Select(m => m.Uid));
    }

    [Fact]
    public async Task A_rebuilt_index_says_its_log_is_incomplete_before_the_rebuild()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        await _store.AppendAsync("INBOX", TempStore.Message("b"));
        _store.Account.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.Expunge("INBOX");

        _store.Store.Dispose();
        foreach (var file in Directory.GetFiles(_store.AccountDirectory, "index.sqlite*"))
            File.Delete(file);
        var account = _store.Reopen();

        var now = account.GetMailbox("INBOX").HighestModSeq;
        Assert.False(account.ListExpungedSince("INBOX", 0).Complete);
        Assert.True(account.ListExpungedSince("INBOX", now).Complete);

        account.StoreFlags("INBOX", [2], FlagOperation.Add, MessageFlags.Deleted);
        account.Expunge("INBOX");
        var later = account.ListExpungedSince("INBOX", now);
        Assert.True(later.Complete);
        Assert.Equal([2U], later.Uids);
    }
}
