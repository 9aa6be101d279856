using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

/// <summary>The light listing POP3 uses: sizes, flags and files without summaries, opened without a query each.</summary>
public sealed class MessageFileTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Files_are_listed_in_uid_order_and_open_even_after_a_rename_but_not_after_an_expunge()
    {
        var first = await _store.AppendAsync("INBOX", TempStore.Message("one"));
        var second = await _store.AppendAsync("INBOX", TempStore.Message("two"), MessageFlags.Seen);
        var files = _store.Account.ListMessageFiles("INBOX");
        Assert.Equal([first, second], files.Select(f => f.Uid));
        Assert.Equal([MessageFlags.None, MessageFlags.Seen], files.Select(f => f.Flags));
        Assert.Equal(_store.Account.ListMessagesByUid("INBOX").Select(m => m.Size), files.Select(f => f.Size));

        using (var reader = new StreamReader(_store.Account.OpenMessage("INBOX", files[0])))
            Assert.Equal(TempStore.Message("one"), await reader.ReadToEndAsync());

        // A flag change renames the file (Maildir info, after the STORE): the listed path is stale,
        // the open still works.
        _store.Account.StoreFlags("INBOX", [first], FlagOperation.Add, MessageFlags.Flagged);
        await _store.Account.FlushBackgroundWorkAsync();
        Assert.False(File.Exists(files[0].Path));
        using (var reader = new StreamReader(_store.Account.OpenMessage("INBOX", files[0])))
            Assert.Equal(TempStore.Message("one"), await reader.ReadToEndAsync());

        _store.Account.StoreFlags("INBOX", [second], FlagOperation.Add, MessageFlags.Deleted);
        _store.Account.Expunge("INBOX");
        Assert.Throws<MessageNotFoundException>(() => _store.Account.OpenMessage("INBOX", files[1]));
    }
}
