using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Imap;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Imap.Session;

/// <summary>
/// Mailbox commands of the authenticated state (RFC 9051 6.3.3-6.3.11, RFC 3501 6.3.8-6.3.10,
/// RFC 5258, RFC 5819, RFC 6154) as exact transcripts over a real socket, against the real store.
/// </summary>
public sealed class ImapMailboxCommandTests
{
    private const string Password = "imap password 1";
    private const string Alice = "alice@example.org";
    private const string Bob = "bob@example.org";
    private const string Greeting993 = "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN SASL-IR ID ENABLE LITERAL- NAMESPACE UTF8=ACCEPT] Appliance IMAP server ready";
    private const string LoggedIn = "OK [CAPABILITY IMAP4rev2 IMAP4rev1 ID ENABLE LITERAL+ NAMESPACE LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE STATUS=SIZE IDLE UNSELECT UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES QUOTA QUOTA=RES-STORAGE BINARY APPENDLIMIT=52428800 UTF8=ACCEPT] Logged in";

    private sealed class Server(TestMailServer server, MailAccount alice, MailAccount bob) : IAsyncDisposable
    {
        public MailAccount Alice => alice;

        public MailAccount Bob => bob;

        public async Task<ImapTestClient> LoginAsync(string user = ImapMailboxCommandTests.Alice)
        {
            var raw = await server.ConnectAsync();
            var ssl = new System.Net.Security.SslStream(raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
            raw.Stream = ssl;
            var client = new ImapTestClient(raw);
            Assert.Equal(Greeting993, await client.ReadLineAsync());
            Assert.Equal(["l " + LoggedIn], await client.CommandAsync("l", $"LOGIN {user} \"{Password}\""));
            return client;
        }

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private static async Task<Server> StartAsync()
    {
        var server = await TestMailServer.StartAsync<ImapHandler>(ListenerKind.Imaps, options => options.Imap.FailedLoginDelay = TimeSpan.Zero,
            services => services.AddImapServer());
        await server.Services.InitializeApplianceAsync();
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var alice = await accounts.AddMailboxAsync(new NewMailbox(Alice, Password), "test");
        var bob = await accounts.AddMailboxAsync(new NewMailbox(Bob, Password), "test");
        var store = server.Services.GetRequiredService<MessageStore>();
        return new Server(server, store.OpenAccount(alice.StoreId), store.OpenAccount(bob.StoreId));
    }

    private static string[] Names(MailAccount account) => [.. account.ListMailboxes().Select(m => m.Name)];

    /// <summary>The client's command and the server's lines as UTF-8 (the shared client speaks ASCII only).</summary>
    private static Task<List<string>> Utf8CommandAsync(ImapTestClient client, string tag, string text) =>
        RawCommandAsync(client, tag, Encoding.UTF8.GetBytes(tag + " " + text + "\r\n"));

    /// <summary>Sends octets as they are and returns the lines up to the tagged one, read as UTF-8.</summary>
    private static async Task<List<string>> RawCommandAsync(ImapTestClient client, string tag, byte[] command)
    {
        var stream = client.Raw.Stream;
        await stream.WriteAsync(command).AsTask().WaitAsync(TestMailServer.Guard);
        var lines = new List<string>();
        var line = new List<byte>();
        var one = new byte[1];
        while (await stream.ReadAsync(one).AsTask().WaitAsync(TestMailServer.Guard) == 1)
        {
            if (one[0] != '\n')
            {
                line.Add(one[0]);
                continue;
            }
            string decoded = Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
            lines.Add(decoded);
            line.Clear();
            if (decoded.StartsWith(tag + " ", StringComparison.Ordinal))
                break;
        }
        return lines;
    }

    [Fact]
    public async Task List_returns_the_delimiter_special_use_children_and_matches_wildcards()
    {
        await using var server = await StartAsync();
        using var client = await server.LoginAsync();
        Assert.Equal(["a OK CREATE completed"], await client.CommandAsync("a", "CREATE Work/Projects/2026"));
        Assert.Equal(["b OK CREATE completed"], await client.CommandAsync("b", "CREATE \"Work/Notes\""));
        // RFC 9051 6.3.9: LIST "" "" gives the delimiter and the root.
        Assert.Equal(["* LIST (\\Noselect) \"/\" \"\"", "c OK LIST completed"], await client.CommandAsync("c", "LIST \"\" \"\""));
        Assert.Equal(
        [
            "* LIST (\\HasNoChildren) \"/\" INBOX",
            "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
            "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
            "* LIST (\\HasChildren) \"/\" Work",
            "* LIST (\\HasNoChildren) \"/\" Work/Notes",
            "* LIST (\\HasChildren) \"/\" Work/Projects",
            "* LIST (\\HasNoChildren) \"/\" Work/Projects/2026",
            "d OK LIST completed",
        ], await client.CommandAsync("d", "LIST \"\" *"));
        // "%" stops at the delimiter; "*" does not.
        Assert.Equal(["* LIST (\\HasChildren) \"/\" Work", "e OK LIST completed"], await client.CommandAsync("e", "LIST \"\" W%"));
        Assert.Equal(
            ["* LIST (\\HasNoChildren) \"/\" Work/Notes", "* LIST (\\HasChildren) \"/\" Work/Projects", "f OK LIST completed"],
            await client.CommandAsync("f", "LIST Work/ %"));
        Assert.Equal(
            ["* LIST (\\HasNoChildren) \"/\" Work/Notes", "* LIST (\\HasChildren) \"/\" Work/Projects", "* LIST (\\HasNoChildren) \"/\" Work/Projects/2026", "g OK LIST completed"],
            await client.CommandAsync("g", "LIST \"\" Work/*"));
        Assert.Equal(["* LIST (\\HasNoChildren) \"/\" Work/Projects/2026", "h OK LIST completed"], await client.CommandAsync("h", "LIST \"\" %/%/%"));
        // "*o%e*s": "Work/N" o "t" e "" s, and "Work/Pr" o "j" e "ct" s; "%" never crosses "/".
        Assert.Equal(["* LIST (\\HasNoChildren) \"/\" Work/Notes", "* LIST (\\HasChildren) \"/\" Work/Projects", "i OK LIST completed"],
            await client.CommandAsync("i", "LIST \"\" *o%e*s"));
        Assert.Equal(["i2 OK LIST completed"], await client.CommandAsync("i2", "LIST \"\" W%s"));
        // RFC 9051 5.1: INBOX in any case; other names are case-sensitive.
        Assert.Equal(["* LIST (\\HasNoChildren) \"/\" INBOX", "j OK LIST completed"], await client.CommandAsync("j", "LIST \"\" inBox"));
        Assert.Equal(["k OK LIST completed"], await client.CommandAsync("k", "LIST \"\" work"));
        Assert.Equal(["k2 OK CREATE completed"], await client.CommandAsync("k2", "CREATE inbox/Receipts"));
        Assert.Equal(["k3 OK CREATE completed"], await client.CommandAsync("k3", "CREATE inboxes"));
        Assert.Equal(
            ["* LIST (\\HasChildren) \"/\" INBOX", "* LIST (\\HasNoChildren) \"/\" INBOX/Receipts", "k4 OK LIST completed"],
            await client.CommandAsync("k4", "LIST \"\" Inbox*"));
        Assert.Equal(["* LIST (\\HasNoChildren) \"/\" INBOX/Receipts", "k5 OK LIST completed"], await client.CommandAsync("k5", "LIST iNbOx/ %"));
        Assert.Equal(["* LIST (\\HasChildren) \"/\" INBOX", "* LIST (\\HasNoChildren) \"/\" inboxes", "k6 OK LIST completed"], await client.CommandAsync("k6", "LIST \"\" inbox%"));
        Assert.Equal(["k7 OK DELETE completed"], await client.CommandAsync("k7", "DELETE INBOX/Receipts"));
        Assert.Equal(["k8 OK DELETE completed"], await client.CommandAsync("k8", "DELETE inboxes"));
        // Several patterns (RFC 9051 mbox-or-pat), and the special-use selection (RFC 6154 section 5).
        Assert.Equal(
            ["* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts", "* LIST (\\HasNoChildren \\Sent) \"/\" Sent", "m OK LIST completed"],
            await client.CommandAsync("m", "LIST \"\" (Sent Drafts Nothing)"));
        Assert.Equal(
        [
            "* LIST (\\HasNoChildren \\Archive) \"/\" Archive",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
            "* LIST (\\HasNoChildren \\Junk) \"/\" Junk",
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
            "n OK LIST completed",
        ], await client.CommandAsync("n", "LIST (SPECIAL-USE) \"\" *"));
        Assert.Equal(["o BAD Unknown LIST selection option"], await client.CommandAsync("o", "LIST (FROB) \"\" *"));
        Assert.Equal(["p BAD RECURSIVEMATCH needs another selection option"], await client.CommandAsync("p", "LIST (RECURSIVEMATCH) \"\" *"));
        Assert.Equal(["q BAD Syntax: LIST [(options)] reference pattern [RETURN (options)]"], await client.CommandAsync("q", "LIST \"\""));
    }

    [Fact]
    public async Task Subscriptions_show_in_list_extended_and_lsub()
    {
        await using var server = await StartAsync();
        using var client = await server.LoginAsync();
        Assert.Equal(["a OK CREATE completed"], await client.CommandAsync("a", "CREATE Lists/dev"));
        foreach (var name in Names(server.Alice))
            server.Alice.SetSubscribed(name, false);
        Assert.Equal(["b OK SUBSCRIBE completed"], await client.CommandAsync("b", "SUBSCRIBE Lists/dev"));
        Assert.Equal(["c OK SUBSCRIBE completed"], await client.CommandAsync("c", "subscribe inbox"));
        Assert.Equal(["d NO [NONEXISTENT] No such mailbox"], await client.CommandAsync("d", "SUBSCRIBE Nowhere"));
        Assert.Equal(
        [
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX",
            "* LIST (\\HasChildren) \"/\" Lists",
            "* LIST (\\HasNoChildren \\Subscribed) \"/\" Lists/dev",
            "e OK LIST completed",
        ], await client.CommandAsync("e", "LIST \"\" (INBOX Lists*) RETURN (SUBSCRIBED CHILDREN)"));
        Assert.Equal(
            ["* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX", "* LIST (\\HasNoChildren \\Subscribed) \"/\" Lists/dev", "f OK LIST completed"],
            await client.CommandAsync("f", "LIST (SUBSCRIBED) \"\" *"));
        // RFC 5258 3.5: with RECURSIVEMATCH a parent whose child is subscribed comes with CHILDINFO.
        Assert.Equal(
            ["* LIST (\\HasNoChildren \\Subscribed) \"/\" INBOX", "* LIST (\\HasChildren) \"/\" Lists (\"CHILDINFO\" (\"SUBSCRIBED\"))", "g OK LIST completed"],
            await client.CommandAsync("g", "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %"));
        Assert.Equal(["g2 OK SUBSCRIBE completed"], await client.CommandAsync("g2", "SUBSCRIBE Lists"));
        Assert.Equal(
            ["* LIST (\\HasChildren \\Subscribed) \"/\" Lists (\"CHILDINFO\" (\"SUBSCRIBED\"))", "* LIST (\\HasNoChildren \\Subscribed) \"/\" Lists/dev", "g3 OK LIST completed"],
            await client.CommandAsync("g3", "LIST (SUBSCRIBED RECURSIVEMATCH) \"\" Lists*"));
        Assert.Equal(["g4 OK UNSUBSCRIBE completed"], await client.CommandAsync("g4", "UNSUBSCRIBE Lists"));
        // RFC 3501 6.3.9: LSUB; "%" shows the unsubscribed parent of a subscribed child as \Noselect.
        Assert.Equal(
            ["* LSUB () \"/\" INBOX", "* LSUB () \"/\" Lists/dev", "h OK LSUB completed"],
            await client.CommandAsync("h", "LSUB \"\" *"));
        Assert.Equal(
            ["* LSUB () \"/\" INBOX", "* LSUB (\\Noselect) \"/\" Lists", "i OK LSUB completed"],
            await client.CommandAsync("i", "LSUB \"\" %"));
        Assert.Equal(["j OK UNSUBSCRIBE completed"], await client.CommandAsync("j", "UNSUBSCRIBE Lists/dev"));
        Assert.Equal(["* LSUB () \"/\" INBOX", "k OK LSUB completed"], await client.CommandAsync("k", "LSUB \"\" *"));
        Assert.False(server.Alice.GetMailbox("Lists/dev").Subscribed);
        Assert.True(server.Alice.GetMailbox("INBOX").Subscribed);
    }

    [Fact]
    public async Task Create_delete_and_rename_change_the_store_and_refusals_say_why()
    {
        await using var server = await StartAsync();
        using var client = await server.LoginAsync();
        Assert.Equal(["a OK CREATE completed"], await client.CommandAsync("a", "CREATE Projects/"));
        Assert.Equal(["b NO [ALREADYEXISTS] Mailbox already exists"], await client.CommandAsync("b", "CREATE Projects"));
        Assert.Equal(["c NO [ALREADYEXISTS] Mailbox already exists"], await client.CommandAsync("c", "CREATE inbox"));
        // RFC 6154 section 3: CREATE-SPECIAL-USE.
        Assert.Equal(["d OK CREATE completed"], await client.CommandAsync("d", "CREATE Old (USE (\\Archive))"));
        Assert.Equal(SpecialUse.Archive, server.Alice.GetMailbox("Old").SpecialUse);
        Assert.Equal(["e NO [USEATTR] Only one of \\Drafts \\Sent \\Trash \\Junk \\Archive can be given"], await client.CommandAsync("e", "CREATE Stars (USE (\\Flagged))"));
        Assert.Equal(["f BAD Syntax: CREATE mailbox [(USE (attribute))]"], await client.CommandAsync("f", "CREATE Stars (COLOR (red))"));
        Assert.DoesNotContain("Stars", Names(server.Alice));
        Assert.Equal(["g OK CREATE completed"], await client.CommandAsync("g", "CREATE Projects/A/B"));
        Assert.Equal(["h OK RENAME completed"], await client.CommandAsync("h", "RENAME Projects Done"));
        Assert.Equal(["* LIST (\\HasChildren) \"/\" Done", "* LIST (\\HasChildren) \"/\" Done/A", "* LIST (\\HasNoChildren) \"/\" Done/A/B", "i OK LIST completed"],
            await client.CommandAsync("i", "LIST \"\" Done*"));
        Assert.Equal(["j OK LIST completed"], await client.CommandAsync("j", "LIST \"\" Projects*"));
        Assert.Equal(["k NO [ALREADYEXISTS] Mailbox already exists"], await client.CommandAsync("k", "RENAME Done Old"));
        Assert.Equal(["l NO [NONEXISTENT] No such mailbox"], await client.CommandAsync("l", "RENAME Nowhere Somewhere"));
        Assert.Equal(["m NO [CANNOT] Mailbox \"Done\" cannot be renamed to its own inferior \"Done/A/C\"."], await client.CommandAsync("m", "RENAME Done Done/A/C"));
        // RFC 9051 6.3.5: INBOX cannot be deleted; the store keeps no \Noselect parents.
        Assert.Equal(["n NO [CANNOT] INBOX cannot be deleted (RFC 9051 section 6.3.5)."], await client.CommandAsync("n", "DELETE inbox"));
        Assert.Equal(["o NO [CANNOT] Mailbox \"Done\" has inferior mailboxes; delete them first."], await client.CommandAsync("o", "DELETE Done"));
        Assert.Equal(["p OK DELETE completed"], await client.CommandAsync("p", "DELETE Done/A/B"));
        Assert.Equal(["q NO [NONEXISTENT] No such mailbox"], await client.CommandAsync("q", "DELETE Done/A/B"));
        Assert.Equal(["INBOX", "Archive", "Done", "Done/A", "Drafts", "Junk", "Old", "Sent", "Trash"], Names(server.Alice));
        Assert.Equal(["r BAD Syntax: DELETE mailbox"], await client.CommandAsync("r", "DELETE"));
        Assert.Equal(["s BAD Syntax: RENAME existing-mailbox new-mailbox"], await client.CommandAsync("s", "RENAME Done"));
    }

    [Fact]
    public async Task Status_counts_from_the_store_and_list_return_status()
    {
        await using var server = await StartAsync();
        using var client = await server.LoginAsync();
        string[] messages = ["Subject: a\r\n\r\none\r\n", "Subject: b\r\n\r\ntwo two\r\n", "Subject: c\r\n\r\nthree\r\n"];
        MessageFlags[] flags = [MessageFlags.None, MessageFlags.Seen, MessageFlags.Seen | MessageFlags.Deleted];
        for (int i = 0; i < messages.Length; i++)
            await server.Alice.AppendAsync("INBOX", new MemoryStream(Encoding.ASCII.GetBytes(messages[i])), flags[i]);
        var inbox = server.Alice.GetMailbox("INBOX");
        long size = messages.Sum(m => m.Length);
        Assert.Equal(
            [$"* STATUS INBOX (MESSAGES 3 UIDNEXT {inbox.UidNext} UIDVALIDITY {inbox.UidValidity} UNSEEN 1 DELETED 1 SIZE {size} RECENT 0)", "a OK STATUS completed"],
            await client.CommandAsync("a", "STATUS inbox (messages UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT)"));
        Assert.Equal(4u, inbox.UidNext);
        var sent = server.Alice.GetMailbox("Sent");
        Assert.Equal([$"* STATUS Sent (UIDVALIDITY {sent.UidValidity} MESSAGES 0)", "b OK STATUS completed"], await client.CommandAsync("b", "STATUS Sent (UIDVALIDITY MESSAGES)"));
        Assert.Equal(["c NO [NONEXISTENT] No such mailbox"], await client.CommandAsync("c", "STATUS Nowhere (MESSAGES)"));
        // HIGHESTMODSEQ belongs to CONDSTORE, which is not advertised yet.
        Assert.Equal(["d BAD Unknown STATUS item"], await client.CommandAsync("d", "STATUS INBOX (HIGHESTMODSEQ)"));
        Assert.Equal(["e BAD Syntax: STATUS mailbox (item ...)"], await client.CommandAsync("e", "STATUS INBOX MESSAGES"));
        // RFC 5819: LIST-STATUS.
        Assert.Equal(
            ["* LIST (\\HasNoChildren) \"/\" INBOX", "* STATUS INBOX (MESSAGES 3 UNSEEN 1)", "* LIST (\\HasNoChildren \\Junk) \"/\" Junk", "* STATUS Junk (MESSAGES 0 UNSEEN 0)", "f OK LIST completed"],
            await client.CommandAsync("f", "LIST \"\" (INBOX Junk) RETURN (STATUS (MESSAGES UNSEEN))"));
    }

    [Fact]
    public async Task Names_are_modified_utf7_for_rev1_and_utf8_once_enabled()
    {
        await using var server = await StartAsync();
        using var client = await server.LoginAsync();
        // RFC 3501 5.1.3: "Entw&APw-rfe" is "Entwürfe"; "&-" is "&".
        Assert.Equal(["a OK CREATE completed"], await client.CommandAsync("a", "CREATE Entw&APw-rfe/Tom&-Jerry"));
        Assert.Contains("Entwürfe/Tom&Jerry", Names(server.Alice));
        Assert.Equal(["* LIST (\\HasChildren) \"/\" Entw&APw-rfe", "* LIST (\\HasNoChildren) \"/\" Entw&APw-rfe/Tom&-Jerry", "b OK LIST completed"],
            await client.CommandAsync("b", "LIST \"\" Entw*"));
        Assert.Equal(["* STATUS Entw&APw-rfe/Tom&-Jerry (MESSAGES 0)", "c OK STATUS completed"], await client.CommandAsync("c", "STATUS Entw&APw-rfe/Tom&-Jerry (MESSAGES)"));
        // Not the one canonical encoding: refused, never guessed.
        Assert.StartsWith("d NO [CANNOT] Mailbox name is not valid modified UTF-7", Assert.Single(await client.CommandAsync("d", "CREATE &AGE-")), StringComparison.Ordinal);
        Assert.StartsWith("e NO [CANNOT] Mailbox name is not valid modified UTF-7", Assert.Single(await client.CommandAsync("e", "CREATE Tom&Jerry")), StringComparison.Ordinal);
        Assert.Equal(["* ENABLED UTF8=ACCEPT", "f OK ENABLE completed"], await client.CommandAsync("f", "ENABLE UTF8=ACCEPT"));
        Assert.Equal(["* LIST (\\HasChildren) \"/\" \"Entwürfe\"", "* LIST (\\HasNoChildren) \"/\" \"Entwürfe/Tom&Jerry\"", "g OK LIST completed"],
            await Utf8CommandAsync(client, "g", "LIST \"\" Entw*"));
        Assert.Equal(["h OK CREATE completed"], await Utf8CommandAsync(client, "h", "CREATE \"Bébé/日本\""));
        Assert.Contains("Bébé/日本", Names(server.Alice));
        // After ENABLE the octets are UTF-8 and "&" is just "&".
        Assert.Equal(["i OK CREATE completed"], await Utf8CommandAsync(client, "i", "CREATE \"R&D\""));
        Assert.Contains("R&D", Names(server.Alice));
        Assert.Equal(["* STATUS \"Bébé/日本\" (MESSAGES 0)", "j OK STATUS completed"], await Utf8CommandAsync(client, "j", "STATUS \"Bébé/日本\" (MESSAGES)"));
    }

    [Fact]
    public async Task Traversal_and_control_characters_are_refused_also_through_modified_utf7()
    {
        await using var server = await StartAsync();
        using var client = await server.LoginAsync();
        string[] before = Names(server.Alice);
        Assert.Equal(["a NO [CANNOT] A mailbox name must not contain a '.' or '..' level."], await client.CommandAsync("a", "CREATE ../etc"));
        Assert.Equal(["b NO [CANNOT] A mailbox name must not contain a '.' or '..' level."], await client.CommandAsync("b", "CREATE \"a/../../b\""));
        Assert.Equal(["c NO [CANNOT] A mailbox name must not start with the separator '/'."], await client.CommandAsync("c", "CREATE /etc/passwd"));
        Assert.Equal(["d NO [CANNOT] A mailbox name must not contain an empty level ('//')."], await client.CommandAsync("d", "CREATE a//b"));
        Assert.Equal(["e NO [CANNOT] A mailbox name must not contain the LIST wildcards '*' or '%'."], await client.CommandAsync("e", "CREATE \"a*\""));
        // U+0001 and U+0085 (C1) encoded in modified UTF-7: decoded, then refused by the store's rules.
        Assert.Equal(["f NO [CANNOT] A mailbox name must not contain control characters (found U+0001)."], await client.CommandAsync("f", "CREATE a&AAE-b"));
        Assert.Equal(["g NO [CANNOT] A mailbox name must not contain control characters (found U+0085)."], await client.CommandAsync("g", "RENAME INBOX x&AIU-"));
        // "/" and ".." hidden in a shift are not canonical modified UTF-7: refused before the store sees them.
        Assert.StartsWith("h NO [CANNOT] Mailbox name is not valid modified UTF-7", Assert.Single(await client.CommandAsync("h", "CREATE a&AC8ALgAu-")), StringComparison.Ordinal);
        Assert.StartsWith("i NO [CANNOT] Mailbox name is not valid modified UTF-7", Assert.Single(await client.CommandAsync("i", "DELETE &AC4ALg-")), StringComparison.Ordinal);
        Assert.Equal(["* ENABLED UTF8=ACCEPT", "j OK ENABLE completed"], await client.CommandAsync("j", "ENABLE UTF8=ACCEPT"));
        Assert.Equal(["k NO [CANNOT] A mailbox name must not contain a '.' or '..' level."], await client.CommandAsync("k", "CREATE \"Trash/..\""));
        Assert.Equal(["l NO [CANNOT] A mailbox name must not contain control characters (found U+0007)."], await Utf8CommandAsync(client, "l", "CREATE {3+}\r\na\u0007b"));
        Assert.Equal(["m NO [CANNOT] Mailbox name is not valid UTF-8"], await RawCommandAsync(client, "m", [.. "m CREATE {2+}\r\n"u8, 0xFF, 0xFE, .. "\r\n"u8]));
        Assert.Equal(before, Names(server.Alice));
    }

    [Fact]
    public async Task Another_users_mailboxes_are_unreachable()
    {
        await using var server = await StartAsync();
        using (var alice = await server.LoginAsync(Alice))
        {
            Assert.Equal(["a OK CREATE completed"], await alice.CommandAsync("a", "CREATE Secret/Plans"));
        }
        string[] aliceNames = Names(server.Alice);
        using var bob = await server.LoginAsync(Bob);
        var list = await bob.CommandAsync("a", "LIST \"\" *");
        Assert.Equal("a OK LIST completed", list[^1]);
        Assert.Equal(Names(server.Bob).Length, list.Count - 1);
        Assert.DoesNotContain(list, l => l.Contains("Secret", StringComparison.Ordinal));
        Assert.Equal(["b OK LIST completed"], await bob.CommandAsync("b", "LIST \"\" Secret*"));
        Assert.Equal(["c NO [NONEXISTENT] No such mailbox"], await bob.CommandAsync("c", "STATUS Secret/Plans (MESSAGES)"));
        Assert.Equal(["d NO [NONEXISTENT] No such mailbox"], await bob.CommandAsync("d", "SUBSCRIBE Secret"));
        Assert.Equal(["e NO [NONEXISTENT] No such mailbox"], await bob.CommandAsync("e", "RENAME Secret Mine"));
        Assert.Equal(["f NO [NONEXISTENT] No such mailbox"], await bob.CommandAsync("f", "DELETE Secret/Plans"));
        // Bob's own "Secret" is his, not Alice's.
        Assert.Equal(["g OK CREATE completed"], await bob.CommandAsync("g", "CREATE Secret"));
        Assert.Equal(["* LIST (\\HasNoChildren) \"/\" Secret", "h OK LIST completed"], await bob.CommandAsync("h", "LIST \"\" Secret*"));
        Assert.Equal(aliceNames, Names(server.Alice));
        Assert.Contains("Secret", Names(server.Bob));
        Assert.DoesNotContain("Secret/Plans", Names(server.Bob));
    }
}
