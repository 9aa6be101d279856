using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

public sealed class FlagTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Add_remove_replace_follow_store_semantics_and_bump_modseq()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        var afterAppend = _store.Account.GetMailbox("INBOX").HighestModSeq;

        var added = _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen | MessageFlags.Flagged);
        var update = Assert.Single(added.Updated);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Flagged, update.Flags);
        Assert.Equal(afterAppend + 1, update.ModSeq);
        Assert.Equal(update.ModSeq, _store.Account.GetMailbox("INBOX").HighestModSeq);
        Assert.Equal(update.ModSeq, _store.Account.GetMessage("INBOX", uid).ModSeq);

        var removed = _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Remove, MessageFlags.Flagged);
        Assert.Equal(MessageFlags.Seen, Assert.Single(removed.Updated).Flags);
        Assert.Equal(afterAppend + 2, removed.Updated[0].ModSeq);

        var replaced = _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Replace, MessageFlags.Answered | MessageFlags.Draft);
        Assert.Equal(MessageFlags.Answered | MessageFlags.Draft, Assert.Single(replaced.Updated).Flags);
        Assert.Equal(MessageFlags.Answered | MessageFlags.Draft, _store.Account.GetMessage("INBOX", uid).Flags);
        Assert.Equal(afterAppend + 3, _store.Account.GetMailbox("INBOX").HighestModSeq);
    }

    [Fact]
    public async Task A_store_that_changes_nothing_keeps_modseq()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"), MessageFlags.Seen);
        var before = _store.Account.GetMailbox("INBOX").HighestModSeq;
        var result = _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen);
        Assert.Empty(result.Updated);
        Assert.Equal(before, _store.Account.GetMailbox("INBOX").HighestModSeq);
        Assert.Equal(before, _store.Account.GetMessage("INBOX", uid).ModSeq);
    }

    [Fact]
    public async Task One_store_over_many_messages_gives_them_one_new_modseq_and_skips_unknown_uids()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var before = _store.Account.GetMailbox("INBOX").HighestModSeq;
        var result = _store.Account.StoreFlags("INBOX", [a, b, 999], FlagOperation.Add, MessageFlags.Deleted);
        Assert.Equal([a, b], result.Updated.Select(u => u.Uid));
        Assert.All(result.Updated, u => Assert.Equal(before + 1, u.ModSeq));
    }

    [Fact]
    public async Task Keywords_add_remove_replace_case_insensitively()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.None, ["$Work", "Later"]);
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.None, ["$work"]);
        Assert.Equal(["$Work", "Later"], _store.Account.GetMessage("INBOX", uid).Keywords);

        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Remove, MessageFlags.None, ["later"]);
        Assert.Equal(["$Work"], _store.Account.GetMessage("INBOX", uid).Keywords);

        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Replace, MessageFlags.Seen, ["$Junk"]);
        var message = _store.Account.GetMessage("INBOX", uid);
        Assert.Equal(["$Junk"], message.Keywords);
        Assert.Equal(MessageFlags.Seen, message.Flags);

        Assert.Throws<InvalidKeywordException>(() => _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.None, ["bad(kw"]));
    }

    [Fact]
    public async Task Unchangedsince_refuses_messages_modified_later()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var seenModSeq = _store.Account.GetMessage("INBOX", a).ModSeq;
        _store.Account.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Flagged); // b now newer than seenModSeq

        var result = _store.Account.StoreFlags("INBOX", [a, b], FlagOperation.Add, MessageFlags.Seen, unchangedSince: seenModSeq);
        Assert.Equal([a], result.Updated.Select(u => u.Uid));
        Assert.Equal([b], result.Modified);
        Assert.Equal(MessageFlags.Flagged, _store.Account.GetMessage("INBOX", b).Flags);
    }

    [Fact]
    public async Task Flags_are_mirrored_in_the_maildir_info_suffix_and_messages_stay_readable()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen | MessageFlags.Answered | MessageFlags.Deleted);
        Assert.Equal(TempStore.Message("x"), _store.ReadText("INBOX", uid)); // before the rename
        await _store.Account.FlushBackgroundWorkAsync();
        var file = Assert.Single(Directory.GetFiles(Path.Combine(_store.Folder("INBOX"), "cur")));
        Assert.EndsWith(":2,RST", file, StringComparison.Ordinal);
        Assert.Equal(TempStore.Message("x"), _store.ReadText("INBOX", uid));
    }

    [Fact]
    public async Task A_flag_set_and_cleared_before_the_names_follow_renames_nothing()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        await _store.Account.FlushBackgroundWorkAsync();
        var cur = Path.Combine(_store.Folder("INBOX"), "cur");
        var before = Assert.Single(Directory.GetFiles(cur));

        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Seen);
        Assert.Equal(MessageFlags.Seen, _store.Account.ListMessagesByUid("INBOX").Single().Flags); // the index at once
        _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Remove, MessageFlags.Seen);
        await _store.Account.FlushBackgroundWorkAsync();

        Assert.Equal(before, Assert.Single(Directory.GetFiles(cur)));
    }

    [Fact]
    public async Task A_clean_stop_gives_every_file_its_flags_and_a_rebuild_keeps_flags_not_yet_named()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var cur = Path.Combine(_store.Folder("INBOX"), "cur");
        _store.Account.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Flagged);
        var account = _store.Reopen(); // disposes the first registry: a clean stop
        Assert.Contains(Directory.GetFiles(cur), f => f.EndsWith(":2,F", StringComparison.Ordinal));

        account.StoreFlags("INBOX", [b], FlagOperation.Add, MessageFlags.Seen);
        // A rebuild while b's name still lacks its S: the old row's flags win over the name.
        _store.Store.Reindex(_store.StoreId);
        var flags = account.ListMessagesByUid("INBOX").ToDictionary(m => m.Uid, m => m.Flags);
        Assert.Equal(MessageFlags.Flagged, flags[a]);
        Assert.Equal(MessageFlags.Seen, flags[b]);
    }

    [Fact]
    public async Task A_leftover_copy_under_the_new_name_does_not_fail_the_store()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        var cur = Path.Combine(_store.Folder("INBOX"), "cur");
        var file = Assert.Single(Directory.GetFiles(cur));
        // The same message already under its flagged name, as a crash between rename and commit leaves it.
        var flaggedName = file[..file.LastIndexOf(":2,", StringComparison.Ordinal)] + ":2,F";
        File.Copy(file, flaggedName);

        var result = _store.Account.StoreFlags("INBOX", [uid], FlagOperation.Add, MessageFlags.Flagged);
        await _store.Account.FlushBackgroundWorkAsync();

        Assert.Equal([uid], result.Updated.Select(u => u.Uid));
        Assert.Equal(flaggedName, Assert.Single(Directory.GetFiles(cur)));
        Assert.Equal(TempStore.Message("x"), _store.ReadText("INBOX", uid));
    }

    [Fact]
    public async Task A_store_that_changes_nothing_takes_no_write_transaction()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"), MessageFlags.Seen, ["$Work"]);
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"), MessageFlags.Seen | MessageFlags.Flagged, ["$WORK"]);
        var before = _store.Account.Snapshot("INBOX"); // the vector is cached from here on
        using var other = new Microsoft.Data.Sqlite.SqliteConnection(new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(_store.AccountDirectory, IndexDatabase.FileName),
            Pooling = false,
        }.ToString());
        other.Open();
        using var command = other.CreateCommand();
        command.CommandText = "BEGIN IMMEDIATE"; // another process (the CLI's reindex) holds the write lock
        command.ExecuteNonQuery();

        // Already so: answered at once, though a write would wait for the other writer.
        var noop = await Task.Run(() => _store.Account.StoreFlags("INBOX", [a, b, 99], FlagOperation.Add, MessageFlags.Seen, ["$work"]))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(noop.Updated);
        Assert.Empty(noop.Modified);
        var removeAbsent = await Task.Run(() => _store.Account.StoreFlags("INBOX", [a], FlagOperation.Remove, MessageFlags.Deleted))
            .WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(removeAbsent.Updated);

        command.CommandText = "ROLLBACK";
        command.ExecuteNonQuery();
        other.Close();
        Assert.Equal(before.Mailbox.HighestModSeq, _store.Account.GetMailbox("INBOX").HighestModSeq);

        // A change still goes through the write, and a later no-op sees its result.
        var change = _store.Account.StoreFlags("INBOX", [a, b], FlagOperation.Add, MessageFlags.Flagged);
        Assert.Equal([a], change.Updated.Select(u => u.Uid));
        Assert.Empty(_store.Account.StoreFlags("INBOX", [a, b], FlagOperation.Add, MessageFlags.Flagged).Updated);
        Assert.Equal([a, b], _store.Account.StoreFlags("INBOX", [a, b], FlagOperation.Replace, MessageFlags.Seen).Updated.Select(u => u.Uid).Order());
    }

    [Fact]
    public async Task Unseen_count_follows_the_seen_flag()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        await _store.AppendAsync("INBOX", TempStore.Message("b"));
        Assert.Equal(2, _store.Account.GetMailbox("INBOX").UnseenCount);
        _store.Account.StoreFlags("INBOX", [a], FlagOperation.Add, MessageFlags.Seen);
        var inbox = _store.Account.ListMailboxes().Single(m => m.Name == "INBOX");
        Assert.Equal(1, inbox.UnseenCount);
        Assert.Equal(2, inbox.MessageCount);
    }
}
