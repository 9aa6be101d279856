using System.Text;
using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

public sealed class AppendTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Eight_concurrent_writers_get_strictly_increasing_unique_uids_and_exact_bytes()
    {
        const int writers = 8, perWriter = 50;
        var appended = new System.Collections.Concurrent.ConcurrentBag<(uint Uid, byte[] Bytes)>();
        var order = new System.Collections.Concurrent.ConcurrentQueue<uint>();
        using var subscription = _store.Account.Subscribe();

        await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            uint last = 0;
            for (var i = 0; i < perWriter; i++)
            {
                var bytes = Encoding.UTF8.GetBytes(TempStore.Message($"w{w} m{i}", new string((char)('a' + w), 100 + i * 37)));
                using var stream = new MemoryStream(bytes);
                var result = await _store.Account.AppendAsync("INBOX", stream);
                Assert.True(result.Uid > last, "a writer's own UIDs must increase");
                last = result.Uid;
                appended.Add((result.Uid, bytes));
            }
        })));

        var uids = appended.Select(a => a.Uid).ToList();
        Assert.Equal(writers * perWriter, uids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, writers * perWriter).Select(i => (uint)i), uids.Order());

        var listed = _store.Account.ListMessagesByUid("INBOX");
        Assert.Equal(uids.Order(), listed.Select(m => m.Uid));
        foreach (var (uid, bytes) in appended)
        {
            Assert.Equal(bytes, _store.Read("INBOX", uid));
            Assert.Equal(bytes.Length, listed.Single(m => m.Uid == uid).Size);
        }

        var status = _store.Account.GetMailbox("INBOX");
        Assert.Equal((uint)(writers * perWriter + 1), status.UidNext);
        Assert.Equal(writers * perWriter, status.MessageCount);

        // Notifications arrive in commit order, so their UIDs strictly increase.
        var added = new List<uint>();
        while (subscription.Changes.TryRead(out var change))
        {
            added.Add(((MessageAdded)change).Uid);
        }

        Assert.Equal(uids.Order(), added);
    }

    [Fact]
    public async Task Two_registries_on_one_account_never_share_a_uid()
    {
        // Two MessageStore instances stand in for two processes (server and CLI): they share no
        // in-process lock, so only SQLite's BEGIN IMMEDIATE keeps UIDs unique.
        using var other = new MessageStore(_store.Root);
        var accounts = new[] { _store.Account, other.OpenAccount(_store.StoreId) };
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var uids = new List<uint>();
            for (var i = 0; i < 20; i++)
            {
                using var stream = new MemoryStream(Encoding.UTF8.GetBytes(TempStore.Message($"w{w} m{i}")));
                uids.Add((await accounts[w % 2].AppendAsync("INBOX", stream)).Uid);
            }

            return uids;
        })));

        var all = results.SelectMany(u => u).ToList();
        Assert.Equal(160, all.Distinct().Count());
        Assert.Equal(all.Order(), _store.Account.ListMessagesByUid("INBOX").Select(m => m.Uid));
        Assert.All(results, uids => Assert.Equal(uids.Order(), uids));
    }

    [Fact]
    public async Task Append_racing_a_rename_lands_in_the_renamed_mailbox()
    {
        _store.Account.CreateMailbox("Old");
        var stream = new GateStream(Encoding.UTF8.GetBytes(TempStore.Message("x")));
        var append = _store.Account.AppendAsync("Old", stream);
        await stream.Reading.Task; // the append has resolved the mailbox and is writing its file
        _store.Account.RenameMailbox("Old", "New");
        stream.Release.SetResult();

        var uid = (await append).Uid;
        Assert.Equal(TempStore.Message("x"), _store.ReadText("New", uid));
    }

    [Fact]
    public async Task Append_racing_a_delete_fails_with_not_found_and_leaves_no_file()
    {
        _store.Account.CreateMailbox("Old");
        var stream = new GateStream(Encoding.UTF8.GetBytes(TempStore.Message("x")));
        var append = _store.Account.AppendAsync("Old", stream);
        await stream.Reading.Task;
        _store.Account.DeleteMailbox("Old");
        _store.Account.CreateMailbox("Old"); // same name, new mailbox: the message must not land here either
        stream.Release.SetResult();

        await Assert.ThrowsAsync<MailboxNotFoundException>(() => append);
        Assert.Empty(_store.Account.ListMessagesByUid("Old"));
        Assert.DoesNotContain(Directory.GetFiles(_store.AccountDirectory, "*", SearchOption.AllDirectories), f => f.Contains(",U=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelled_append_leaves_nothing_behind()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(TempStore.Message("x")));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _store.Account.AppendAsync("INBOX", stream, cancellationToken: cancelled.Token));
        Assert.DoesNotContain(Directory.GetFiles(_store.Folder("INBOX"), "*", SearchOption.AllDirectories), f => !f.EndsWith("folder.json", StringComparison.Ordinal));
        Assert.Empty(_store.Account.ListMessagesByUid("INBOX"));
    }

    [Fact]
    public async Task Append_keeps_flags_keywords_internal_date_and_size()
    {
        var date = new DateTimeOffset(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
        var uid = await _store.AppendAsync("Drafts", TempStore.Message("x"), MessageFlags.Draft | MessageFlags.Seen, ["$Label1"], date);

        var message = _store.Account.GetMessage("Drafts", uid);
        Assert.Equal(MessageFlags.Draft | MessageFlags.Seen, message.Flags);
        Assert.Equal(["$Label1"], message.Keywords);
        Assert.Equal(date, message.InternalDate);
        Assert.Equal(Encoding.UTF8.GetByteCount(TempStore.Message("x")), message.Size);
        Assert.Equal(1UL, message.ModSeq);

        var file = Assert.Single(Directory.GetFiles(Path.Combine(_store.Folder("Drafts"), "cur")));
        Assert.EndsWith(":2,DS", file, StringComparison.Ordinal);
        Assert.Contains(",U=" + uid + ",", Path.GetFileName(file), StringComparison.Ordinal);
        Assert.Equal(date.UtcDateTime, File.GetLastWriteTimeUtc(file));
        Assert.Empty(Directory.GetFiles(Path.Combine(_store.Folder("Drafts"), "tmp")));
    }

    [Fact]
    public async Task Append_result_carries_uidvalidity_for_appenduid()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(TempStore.Message("x")));
        var result = await _store.Account.AppendAsync("INBOX", stream);
        Assert.Equal(_store.Account.GetMailbox("INBOX").UidValidity, result.UidValidity);
    }

    [Fact]
    public async Task Append_to_missing_mailbox_throws_not_found_and_leaves_no_file()
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(TempStore.Message("x")));
        await Assert.ThrowsAsync<MailboxNotFoundException>(() => _store.Account.AppendAsync("Nope", stream));
        await Assert.ThrowsAsync<MailboxNameException>(() => _store.Account.AppendAsync("../x", stream));
        Assert.Equal(0, _store.Account.GetQuotaUsage());
    }

    [Fact]
    public async Task Invalid_keyword_is_refused()
    {
        await Assert.ThrowsAsync<InvalidKeywordException>(() => _store.AppendAsync("INBOX", TempStore.Message("x"), keywords: ["\\Seen"]));
        await Assert.ThrowsAsync<InvalidKeywordException>(() => _store.AppendAsync("INBOX", TempStore.Message("x"), keywords: ["two words"]));
        Assert.Empty(_store.Account.ListMessagesByUid("INBOX"));
    }

    [Fact]
    public async Task Quota_usage_is_the_total_size_of_all_messages()
    {
        await _store.AppendAsync("INBOX", new string('x', 1000));
        await _store.AppendAsync("Sent", new string('y', 234));
        Assert.Equal(1234, _store.Account.GetQuotaUsage());
    }

    [Fact]
    public async Task Open_message_is_read_only_and_unknown_uid_throws()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        using (var stream = _store.Account.OpenMessage("INBOX", uid))
        {
            Assert.False(stream.CanWrite);
        }

        Assert.Throws<MessageNotFoundException>(() => _store.Account.OpenMessage("INBOX", uid + 1));
        Assert.Throws<MessageNotFoundException>(() => _store.Account.GetMessage("INBOX", uid + 1));
    }

    [Fact]
    public async Task Summary_failure_never_loses_the_message()
    {
        // Whatever MessageSummary.Read does with this, the append must succeed.
        var uid = await _store.AppendAsync("INBOX", "\0\0 not a message \r\n\r\n");
        Assert.Equal("\0\0 not a message \r\n\r\n", _store.ReadText("INBOX", uid));
    }

    [Fact]
    public async Task Listing_is_newest_first_with_paging()
    {
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 10; i++)
        {
            // Dates out of UID order: the listing follows INTERNALDATE.
            await _store.AppendAsync("INBOX", TempStore.Message("m" + i), date: start.AddMinutes((i * 7) % 10));
        }

        var page1 = _store.Account.ListNewest("INBOX", 0, 4);
        var page2 = _store.Account.ListNewest("INBOX", 4, 4);
        var page3 = _store.Account.ListNewest("INBOX", 8, 4);
        Assert.Equal(10, page1.Total);
        var all = page1.Messages.Concat(page2.Messages).Concat(page3.Messages).ToList();
        Assert.Equal(10, all.Count);
        Assert.Equal(all.Select(m => m.InternalDate).OrderDescending(), all.Select(m => m.InternalDate));
        Assert.Equal(10, all.Select(m => m.Uid).Distinct().Count());
        Assert.Empty(_store.Account.ListNewest("INBOX", 10, 4).Messages);
    }

    /// <summary>A message stream that pauses on its first read until the test releases it.</summary>
    private sealed class GateStream(byte[] content) : MemoryStream(content)
    {
        public TaskCompletionSource Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reading.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return await base.ReadAsync(buffer, cancellationToken);
        }

        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            await ReadAsync(buffer.AsMemory(offset, count), cancellationToken);
    }
}
