using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Imap;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Imap.Session;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Imap.Selected;

/// <summary>
/// An IMAP server on the implicit-TLS port over a real store with two users, for transcript tests of
/// the selected state. Tests put messages in with <see cref="AppendAsync"/> (the store, as delivery
/// does) and read them back through sessions from <see cref="LoginAsync"/>.
/// </summary>
internal sealed class ImapStoreTestServer : IAsyncDisposable
{
    public const string Password = "imap password 1";
    public const string Alice = "alice@example.org";
    public const string Bob = "bob@example.org";

    private readonly TestMailServer _server;

    private ImapStoreTestServer(TestMailServer server, MailAccount alice, MailAccount bob)
    {
        _server = server;
        AliceAccount = alice;
        BobAccount = bob;
    }

    public MailAccount AliceAccount { get; }

    public MailAccount BobAccount { get; }

    public IServiceProvider Services => _server.Services;

    /// <param name="appliance">The whole configuration, for what is not IMAP's (the listener's idle timeout for IDLE's autologout).</param>
    public static async Task<ImapStoreTestServer> StartAsync(Action<ImapServerOptions>? configure = null, Action<ApplianceOptions>? appliance = null)
    {
        var server = await TestMailServer.StartAsync<ImapHandler>(ListenerKind.Imaps, options =>
        {
            options.Imap.FailedLoginDelay = TimeSpan.Zero;
            configure?.Invoke(options.Imap);
            appliance?.Invoke(options);
        }, services => services.AddImapServer());
        await server.Services.InitializeApplianceAsync();
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var alice = await accounts.AddMailboxAsync(new NewMailbox(Alice, Password), "test");
        var bob = await accounts.AddMailboxAsync(new NewMailbox(Bob, Password), "test");
        var store = server.Services.GetRequiredService<MessageStore>();
        return new ImapStoreTestServer(server, store.OpenAccount(alice.StoreId), store.OpenAccount(bob.StoreId));
    }

    /// <summary>A TLS connection after its greeting, not logged in.</summary>
    public async Task<ImapTestClient> ConnectAsync()
    {
        var client = new ImapTestClient(await _server.ConnectAsync());
        await client.HandshakeAsync();
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev2 ", await client.ReadLineAsync());
        return client;
    }

    /// <summary>A TLS session logged in as <paramref name="user"/>; the greeting and the login are checked, not the exact capabilities.</summary>
    public async Task<ImapTestClient> LoginAsync(string user = Alice)
    {
        var client = await ConnectAsync();
        var login = await client.CommandAsync("l", $"LOGIN {user} \"{Password}\"");
        Assert.Single(login);
        Assert.StartsWith("l OK [CAPABILITY ", login[0]);
        return client;
    }

    /// <summary>Appends a message to Alice's mailbox through the store (as delivery does) and returns its UID.</summary>
    public async Task<uint> AppendAsync(string text, string mailbox = "INBOX", MessageFlags flags = MessageFlags.None,
        IEnumerable<string>? keywords = null, DateTimeOffset? date = null, MailAccount? account = null)
    {
        var result = await (account ?? AliceAccount).AppendAsync(mailbox, new MemoryStream(Encoding.UTF8.GetBytes(text)), flags, keywords, date);
        return result.Uid;
    }

    /// <summary>Sets the user's quota as the administrator does (0 = unlimited).</summary>
    public Task SetQuotaAsync(long bytes, string user = Alice) =>
        Services.GetRequiredService<AccountService>().UpdateMailboxAsync(user, new MailboxUpdate { QuotaBytes = bytes }, "test");

    /// <summary>The stored octets of a message.</summary>
    public byte[] Read(uint uid, string mailbox = "INBOX", MailAccount? account = null)
    {
        using var stream = (account ?? AliceAccount).OpenMessage(mailbox, uid);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public (uint Validity, uint Next, ulong ModSeq) Status(string mailbox = "INBOX")
    {
        var info = AliceAccount.GetMailbox(mailbox);
        return (info.UidValidity, info.UidNext, info.HighestModSeq);
    }

    /// <summary>A small message with CRLF line ends.</summary>
    public static string Message(string subject, string body = "Hello", string from = "Carol <carol@example.net>") =>
        $"From: {from}\r\nTo: alice@example.org\r\nSubject: {subject}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@example.net>\r\n\r\n{body}\r\n";

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
