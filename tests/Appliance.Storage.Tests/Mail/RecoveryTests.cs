using System.Text;
using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

public sealed class RecoveryTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Open_adopts_a_file_renamed_into_cur_before_its_index_commit()
    {
        await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var cur = Path.Combine(_store.Folder("INBOX"), "cur");
        // What a crash between "rename into cur" and "commit" leaves behind.
        var crashed = Path.Combine(cur, MaildirName.Compose(MaildirName.NewUnique(), 2, 7, MessageFlags.Seen));
        File.WriteAllText(crashed, "crashed");

        var account = _store.Reopen();

        var adopted = account.GetMessage("INBOX", 2);
        Assert.Equal(MessageFlags.Seen, adopted.Flags);
        Assert.Equal(7, adopted.Size);
        Assert.Equal("crashed", _store.ReadText("INBOX", 2));
        Assert.Equal(3U, account.GetMailbox("INBOX").UidNext);
        Assert.Equal(3U, (await account.AppendAsync("INBOX", new MemoryStream("c"u8.ToArray()))).Uid);
    }

    [Fact]
    public async Task Open_gives_files_without_uid_new_uids_above_the_highest()
    {
        await _store.AppendAsync("INBOX", TempStore.Message("a"));
        await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var folder = _store.Folder("INBOX");
        File.WriteAllText(Path.Combine(folder, "new", "1700000000.foreign.host"), "dropped by another tool");
        File.WriteAllText(Path.Combine(folder, "cur", "1700000001.foreign.host:2,S"), "seen elsewhere");

        var account = _store.Reopen();

        var messages = account.ListMessagesByUid("INBOX");
        Assert.Equal([1U, 2U, 3U, 4U], messages.Select(m => m.Uid));
        Assert.Equal("dropped by another tool", _store.ReadText("INBOX", 3));
        Assert.Equal("seen elsewhere", _store.ReadText("INBOX", 4));
        Assert.Equal(MessageFlags.Seen, messages[3].Flags);
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "new")));
        Assert.All(Directory.GetFiles(Path.Combine(folder, "cur")), f => Assert.NotNull(MaildirName.Parse(Path.GetFileName(f)).Uid));
    }

    [Fact]
    public async Task Open_drops_rows_whose_file_is_gone()
    {
        var a = await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"));
        var cur = Path.Combine(_store.Folder("INBOX"), "cur");
        File.Delete(Directory.GetFiles(cur).Single(f => MaildirName.Parse(Path.GetFileName(f)).Uid == a));

        var account = _store.Reopen();

        Assert.Equal([b], account.ListMessagesByUid("INBOX").Select(m => m.Uid));
        Assert.Equal(3U, account.GetMailbox("INBOX").UidNext); // UIDs are never reused
    }

    [Fact]
    public async Task Open_restores_the_index_name_after_a_flag_rename_that_crashed()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("a"), MessageFlags.Seen);
        var cur = Path.Combine(_store.Folder("INBOX"), "cur");
        var file = Directory.GetFiles(cur).Single();
        File.Move(file, file[..file.LastIndexOf(":2,", StringComparison.Ordinal)] + ":2,FS");

        var account = _store.Reopen();

        Assert.Equal(MessageFlags.Seen, account.GetMessage("INBOX", uid).Flags);
        Assert.Equal(file, Directory.GetFiles(cur).Single());
        Assert.Equal(TempStore.Message("a"), _store.ReadText("INBOX", uid));
    }

    [Fact]
    public async Task Reindex_after_losing_the_index_keeps_uids_names_uidvalidity_flags_and_dates()
    {
        var date = new DateTimeOffset(2022, 2, 2, 2, 2, 2, TimeSpan.Zero);
        _store.Account.CreateMailbox("Lists/dev");
        _store.Account.SetSubscribed("Lists/dev", true);
        await _store.AppendAsync("INBOX", TempStore.Message("a"));
        var b = await _store.AppendAsync("INBOX", TempStore.Message("b"), MessageFlags.Flagged, date: date);
        var c = await _store.AppendAsync("INBOX", TempStore.Message("c"));
        var dev = await _store.AppendAsync("Lists/dev", TempStore.Message("dev"), MessageFlags.Seen | MessageFlags.Answered);
        _store.Account.StoreFlags("INBOX", [1], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.StoreFlags("INBOX", [c], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.Expunge("INBOX", [c]); // the highest UID is gone: it must still not be reused
        var before = _store.Account.ListMailboxes();
        var highestModSeq = _store.Account.GetMailbox("INBOX").HighestModSeq;

        _store.Store.Dispose();
        foreach (var file in Directory.GetFiles(_store.AccountDirectory, "index.sqlite*"))
        {
            File.Delete(file);
        }

        using var store = new MessageStore(_store.Root);
        var result = store.Reindex(_store.StoreId);
        var account = store.OpenAccount(_store.StoreId);

        Assert.Equal(3, result.Messages);
        Assert.Equal(0, result.NewUids);
        var after = account.ListMailboxes();
        Assert.Equal(
            before.Select(m => (m.Id, m.Name, m.UidValidity, m.Subscribed, m.SpecialUse, m.MessageCount)),
            after.Select(m => (m.Id, m.Name, m.UidValidity, m.Subscribed, m.SpecialUse, m.MessageCount)));
        Assert.Equal([1U, b], account.ListMessagesByUid("INBOX").Select(m => m.Uid));
        Assert.Equal(MessageFlags.Deleted, account.GetMessage("INBOX", 1).Flags);
        Assert.Equal(MessageFlags.Flagged, account.GetMessage("INBOX", b).Flags);
        Assert.Equal(date, account.GetMessage("INBOX", b).InternalDate);
        Assert.Equal(MessageFlags.Seen | MessageFlags.Answered, account.GetMessage("Lists/dev", dev).Flags);
        using (var stream = account.OpenMessage("INBOX", b))
        using (var reader = new StreamReader(stream))
        {
            Assert.Equal(TempStore.Message("b"), reader.ReadToEnd());
        }

        Assert.True(account.GetMailbox("INBOX").UidNext > c);
        Assert.True(account.GetMailbox("INBOX").HighestModSeq >= highestModSeq);
        var next = await account.AppendAsync("INBOX", new MemoryStream("x"u8.ToArray()));
        Assert.True(next.Uid > c);
    }

    [Fact]
    public async Task Reindex_sets_a_corrupt_index_aside_and_rebuilds()
    {
        var uid = await _store.AppendAsync("Sent", TempStore.Message("s"));
        var uidValidity = _store.Account.GetMailbox("Sent").UidValidity;
        _store.Store.Dispose();
        foreach (var file in Directory.GetFiles(_store.AccountDirectory, "index.sqlite*"))
        {
            File.Delete(file);
        }

        File.WriteAllBytes(Path.Combine(_store.AccountDirectory, "index.sqlite"), Encoding.ASCII.GetBytes(new string('x', 8192)));

        using var store = new MessageStore(_store.Root);
        store.Reindex(_store.StoreId);
        var account = store.OpenAccount(_store.StoreId);

        Assert.Equal(uid, Assert.Single(account.ListMessagesByUid("Sent")).Uid);
        Assert.Equal(uidValidity, account.GetMailbox("Sent").UidValidity);
        Assert.Single(Directory.GetFiles(_store.AccountDirectory, "index.sqlite.corrupt-*"));
    }

    [Fact]
    public async Task Reindex_of_a_readable_index_keeps_keywords_and_runs_in_the_open_account()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("a"), keywords: ["$Work"]);
        using var subscription = _store.Account.Subscribe();

        var result = _store.Store.Reindex(_store.StoreId);

        Assert.Equal(1, result.Messages);
        Assert.Same(_store.Account, _store.Store.OpenAccount(_store.StoreId));
        Assert.Equal(["$Work"], _store.Account.GetMessage("INBOX", uid).Keywords);
        Assert.Equal(2U, (await _store.Account.AppendAsync("INBOX", new MemoryStream("x"u8.ToArray()))).Uid);
        Assert.IsType<MessageAdded>(await subscription.Changes.ReadAsync());
    }

    [Fact]
    public async Task Open_rebuilds_a_missing_or_corrupt_index_by_itself()
    {
        var uid = await _store.AppendAsync("Junk", TempStore.Message("j"), MessageFlags.Seen);
        _store.Store.Dispose();
        foreach (var file in Directory.GetFiles(_store.AccountDirectory, "index.sqlite*"))
        {
            File.Delete(file);
        }

        Assert.Equal(MessageFlags.Seen, _store.Reopen().GetMessage("Junk", uid).Flags);

        _store.Store.Dispose();
        foreach (var file in Directory.GetFiles(_store.AccountDirectory, "index.sqlite*"))
        {
            File.Delete(file);
        }

        File.WriteAllBytes(Path.Combine(_store.AccountDirectory, "index.sqlite"), new byte[8192]);
        var account = _store.Reopen();
        Assert.Equal(TempStore.Message("j"), _store.ReadText("Junk", uid));
        Assert.Equal(6, account.ListMailboxes().Count);
    }

    [Fact]
    public async Task A_move_that_crashed_before_its_commit_ends_up_moved_not_lost()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("m"), MessageFlags.Flagged);
        var source = Path.Combine(_store.Folder("INBOX"), "cur");
        var target = Path.Combine(_store.Folder("Archive"), "cur");
        var file = Directory.GetFiles(source).Single();
        var parsed = MaildirName.Parse(Path.GetFileName(file));
        // MoveCore renames into the target under the target's next UID, then commits.
        File.Move(file, Path.Combine(target, MaildirName.Compose(parsed.Unique, 1, parsed.Size!.Value, parsed.Flags)));

        var account = _store.Reopen();

        Assert.Empty(account.ListMessagesByUid("INBOX"));
        var moved = Assert.Single(account.ListMessagesByUid("Archive"));
        Assert.Equal((1U, MessageFlags.Flagged), (moved.Uid, moved.Flags));
        Assert.Equal(TempStore.Message("m"), _store.ReadText("Archive", 1));
        Assert.Throws<MessageNotFoundException>(() => account.GetMessage("INBOX", uid));
    }

    [Fact]
    public async Task Reindex_from_a_second_registry_while_appends_run_loses_and_doubles_nothing()
    {
        // The second MessageStore stands in for the CLI's reindex in another process.
        using var cli = new MessageStore(_store.Root);
        var appends = Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            var uids = new List<uint>();
            for (var i = 0; i < 25; i++)
            {
                uids.Add(await _store.AppendAsync("INBOX", TempStore.Message($"w{w} m{i}"), keywords: ["$K" + w]));
            }

            return uids;
        })));
        var reindexes = 0;
        while (!appends.IsCompleted)
        {
            cli.Reindex(_store.StoreId);
            reindexes++;
        }

        var all = (await appends).SelectMany(u => u).ToList();
        Assert.True(reindexes > 0);
        Assert.Equal(100, all.Distinct().Count());
        var listed = _store.Account.ListMessagesByUid("INBOX");
        Assert.Equal(all.Order(), listed.Select(m => m.Uid));
        Assert.All(listed, m => Assert.Single(m.Keywords));
        Assert.Equal(listed.Max(m => m.Uid) + 1, _store.Account.GetMailbox("INBOX").UidNext);
    }

    [Fact]
    public async Task A_folder_without_metadata_is_recovered_under_a_recovery_name()
    {
        _store.Account.CreateMailbox("Lost");
        var uid = await _store.AppendAsync("Lost", TempStore.Message("l"));
        var folder = _store.Folder("Lost");
        _store.Store.Dispose();
        File.Delete(Path.Combine(folder, "folder.json"));
        foreach (var file in Directory.GetFiles(_store.AccountDirectory, "index.sqlite*"))
        {
            File.Delete(file);
        }

        using var store = new MessageStore(_store.Root);
        store.Reindex(_store.StoreId);
        var account = store.OpenAccount(_store.StoreId);

        var recovered = account.GetMailbox("Recovered-" + Path.GetFileName(folder));
        Assert.Equal(uid, Assert.Single(account.ListMessagesByUid(recovered.Name)).Uid);
        Assert.True(File.Exists(Path.Combine(folder, "folder.json")));
    }

    [Fact]
    public void Open_removes_leftovers_of_an_interrupted_mailbox_delete_and_drops_its_row()
    {
        var id = _store.Account.CreateMailbox("Doomed").Id;
        var folder = _store.Folder("Doomed");
        _store.Store.Dispose();
        // Crash after the directory was renamed away, before the index commit.
        var leftover = Path.Combine(_store.AccountDirectory, ".deleted-" + id + "-x");
        Directory.Move(folder, leftover);

        var account = _store.Reopen();

        Assert.Throws<MailboxNotFoundException>(() => account.GetMailbox("Doomed"));
        Assert.False(Directory.Exists(leftover));
    }
}
