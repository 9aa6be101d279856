using Appliance.Storage.Mail;

namespace Appliance.Storage.Tests.Mail;

public sealed class MailboxTests : IDisposable
{
    private readonly TempStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public void New_account_has_inbox_and_special_use_mailboxes()
    {
        var mailboxes = _store.Account.ListMailboxes();
        Assert.Equal(["INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash"], mailboxes.Select(m => m.Name));
        Assert.Equal(SpecialUse.None, mailboxes[0].SpecialUse);
        Assert.Equal(SpecialUse.Drafts, mailboxes.Single(m => m.Name == "Drafts").SpecialUse);
        Assert.Equal(SpecialUse.Sent, mailboxes.Single(m => m.Name == "Sent").SpecialUse);
        Assert.Equal(SpecialUse.Trash, mailboxes.Single(m => m.Name == "Trash").SpecialUse);
        Assert.Equal(SpecialUse.Junk, mailboxes.Single(m => m.Name == "Junk").SpecialUse);
        Assert.Equal(SpecialUse.Archive, mailboxes.Single(m => m.Name == "Archive").SpecialUse);
        Assert.All(mailboxes, m => Assert.True(m.Subscribed));
        Assert.Equal(6, mailboxes.Select(m => m.UidValidity).Distinct().Count());
        Assert.All(mailboxes, m => Assert.Equal(1U, m.UidNext));

        // Directories are named by id, never by the mailbox name.
        Assert.Equal(
            mailboxes.Select(m => "f" + m.Id).Order(),
            Directory.GetDirectories(_store.AccountDirectory).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Create_account_twice_and_open_missing_account_are_classified()
    {
        Assert.Throws<AccountExistsException>(() => _store.Store.CreateAccount(_store.StoreId));
        Assert.Throws<AccountNotFoundException>(() => _store.Store.OpenAccount(Guid.NewGuid()));
        Assert.Same(_store.Account, _store.Store.OpenAccount(_store.StoreId));
    }

    [Fact]
    public async Task Delete_account_removes_its_directory_and_completes_subscribers()
    {
        await _store.AppendAsync("INBOX", TempStore.Message("x"));
        var subscription = _store.Account.Subscribe();
        _store.Store.DeleteAccount(_store.StoreId);
        Assert.False(Directory.Exists(_store.AccountDirectory));
        Assert.Empty(Directory.GetFileSystemEntries(_store.Root));
        Assert.True(subscription.Changes.Completion.IsCompleted);
        Assert.Throws<AccountNotFoundException>(() => _store.Store.OpenAccount(_store.StoreId));
        Assert.Throws<AccountNotFoundException>(() => _store.Store.DeleteAccount(_store.StoreId));
    }

    [Fact]
    public void Create_makes_missing_superiors_and_refuses_duplicates()
    {
        var created = _store.Account.CreateMailbox("Projects/2025/Q1");
        Assert.Equal("Projects/2025/Q1", created.Name);
        var names = _store.Account.ListMailboxes().Select(m => m.Name).ToList();
        Assert.Contains("Projects", names);
        Assert.Contains("Projects/2025", names);
        Assert.Throws<MailboxExistsException>(() => _store.Account.CreateMailbox("Projects/2025"));
        Assert.Throws<MailboxExistsException>(() => _store.Account.CreateMailbox("inbox"));
    }

    [Fact]
    public void Names_are_case_sensitive_except_inbox()
    {
        _store.Account.CreateMailbox("Work");
        _store.Account.CreateMailbox("work");
        _store.Account.CreateMailbox("inbox/Child");
        Assert.NotEqual(_store.Account.GetMailbox("Work").Id, _store.Account.GetMailbox("work").Id);
        Assert.Equal(_store.Account.GetMailbox("INBOX").Id, _store.Account.GetMailbox("InBoX").Id);
        Assert.Equal("INBOX/Child", _store.Account.GetMailbox("Inbox/Child").Name);
    }

    [Fact]
    public async Task Rename_moves_inferiors_keeps_uidvalidity_and_messages()
    {
        _store.Account.CreateMailbox("A/B");
        var uid = await _store.AppendAsync("A/B", TempStore.Message("x"));
        var before = _store.Account.GetMailbox("A/B");

        _store.Account.RenameMailbox("A", "Z/Y");

        var names = _store.Account.ListMailboxes().Select(m => m.Name).ToList();
        Assert.DoesNotContain("A", names);
        Assert.DoesNotContain("A/B", names);
        Assert.Contains("Z", names);
        var after = _store.Account.GetMailbox("Z/Y/B");
        Assert.Equal(before.Id, after.Id);
        Assert.Equal(before.UidValidity, after.UidValidity);
        Assert.Equal(TempStore.Message("x"), _store.ReadText("Z/Y/B", uid));

        Assert.Throws<MailboxNotFoundException>(() => _store.Account.RenameMailbox("A", "C"));
        Assert.Throws<MailboxExistsException>(() => _store.Account.RenameMailbox("Z", "Sent"));
        Assert.Throws<MailboxOperationRefusedException>(() => _store.Account.RenameMailbox("Z", "Z/inner"));
    }

    [Fact]
    public async Task Renaming_inbox_moves_its_messages_and_leaves_it_empty()
    {
        var uid = await _store.AppendAsync("INBOX", TempStore.Message("x"));
        _store.Account.RenameMailbox("INBOX", "Old");
        Assert.Empty(_store.Account.ListMessagesByUid("INBOX"));
        var moved = Assert.Single(_store.Account.ListMessagesByUid("Old"));
        Assert.Equal(TempStore.Message("x"), _store.ReadText("Old", moved.Uid));
        Assert.Equal(uid, moved.Uid); // the first UID of a fresh mailbox
    }

    [Fact]
    public async Task Delete_mailbox_removes_messages_and_directory_and_refuses_inbox_and_parents()
    {
        _store.Account.CreateMailbox("Old");
        await _store.AppendAsync("Old", TempStore.Message("x"));
        var folder = _store.Folder("Old");
        var uidValidity = _store.Account.GetMailbox("Old").UidValidity;

        _store.Account.DeleteMailbox("Old");
        Assert.False(Directory.Exists(folder));
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.GetMailbox("Old"));
        Assert.Equal(0, _store.Account.GetQuotaUsage());

        // A new mailbox of the same name must get a new UIDVALIDITY (RFC 9051 section 2.3.1.1).
        Assert.True(_store.Account.CreateMailbox("Old").UidValidity > uidValidity);

        Assert.Throws<MailboxOperationRefusedException>(() => _store.Account.DeleteMailbox("inbox"));
        _store.Account.CreateMailbox("P/C");
        Assert.Throws<MailboxOperationRefusedException>(() => _store.Account.DeleteMailbox("P"));
        _store.Account.DeleteMailbox("P/C");
        _store.Account.DeleteMailbox("P");
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.DeleteMailbox("P"));
    }

    [Fact]
    public void Subscribe_and_unsubscribe()
    {
        _store.Account.CreateMailbox("News");
        Assert.False(_store.Account.GetMailbox("News").Subscribed);
        _store.Account.SetSubscribed("News", true);
        Assert.True(_store.Account.GetMailbox("News").Subscribed);
        _store.Account.SetSubscribed("News", false);
        Assert.False(_store.Account.GetMailbox("News").Subscribed);
        Assert.Throws<MailboxNotFoundException>(() => _store.Account.SetSubscribed("Nope", true));
    }

    [Theory]
    [InlineData("../x", MailboxNameError.DotSegment)]
    [InlineData("a/../b", MailboxNameError.DotSegment)]
    [InlineData("..", MailboxNameError.DotSegment)]
    [InlineData(".", MailboxNameError.DotSegment)]
    [InlineData("a/.", MailboxNameError.DotSegment)]
    [InlineData("a//b", MailboxNameError.DoubledSeparator)]
    [InlineData("/a", MailboxNameError.LeadingSeparator)]
    [InlineData("/", MailboxNameError.LeadingSeparator)]
    [InlineData("a/", MailboxNameError.TrailingSeparator)]
    [InlineData("", MailboxNameError.Empty)]
    [InlineData("a\0b", MailboxNameError.ControlCharacter)]
    [InlineData("a\nb", MailboxNameError.ControlCharacter)]
    [InlineData("a\u007Fb", MailboxNameError.ControlCharacter)]
    [InlineData("a\u0085b", MailboxNameError.ControlCharacter)]
    [InlineData("a*", MailboxNameError.Wildcard)]
    [InlineData("50%", MailboxNameError.Wildcard)]
    public void Name_attacks_are_refused_with_a_specific_error(string name, MailboxNameError expected)
    {
        var before = Snapshot();
        var outside = Path.GetDirectoryName(_store.Root)!;
        var outsideBefore = (Directory.Exists(Path.Combine(outside, "x")), Directory.Exists(Path.Combine(outside, "b")));
        var error = Assert.Throws<MailboxNameException>(() => _store.Account.CreateMailbox(name));
        Assert.Equal(expected, error.Error);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Throws<MailboxNameException>(() => _store.Account.RenameMailbox("Sent", name));
        Assert.Throws<MailboxNameException>(() => _store.Account.GetMailbox(name));

        // Nothing was created anywhere: not inside the account, not beside it under the root
        // (where "../x" would land), not above the root.
        Assert.Equal(before, Snapshot());
        Assert.Equal(outsideBefore, (Directory.Exists(Path.Combine(outside, "x")), Directory.Exists(Path.Combine(outside, "b"))));
    }

    [Fact]
    public void Overlong_name_is_refused()
    {
        var error = Assert.Throws<MailboxNameException>(() => _store.Account.CreateMailbox(new string('a', 256)));
        Assert.Equal(MailboxNameError.TooLong, error.Error);
        Assert.Equal(new string('b', 255), _store.Account.CreateMailbox(new string('b', 255)).Name);
    }

    [Fact]
    public void Odd_but_valid_names_stay_inside_the_account()
    {
        foreach (var name in new[] { "...", "a..b", ".hidden", "~root", "C:\\x", "名前/ü" })
        {
            _store.Account.CreateMailbox(name);
        }

        // Every directory under the root is the account; every directory in the account is f{id}.
        Assert.Equal([_store.AccountDirectory], Directory.GetDirectories(_store.Root));
        Assert.All(Directory.GetDirectories(_store.AccountDirectory), d => Assert.Matches("^f[0-9]+$", Path.GetFileName(d)));
    }

    /// <summary>Everything under the store root (the account's parent), except the index files whose WAL changes on reads.</summary>
    private string[] Snapshot() =>
        Directory.GetFileSystemEntries(_store.Root, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains("index.sqlite", StringComparison.Ordinal))
            .Order()
            .ToArray();
}
