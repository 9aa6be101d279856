using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Imap;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Imap.Session;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Imap.Write;

/// <summary>
/// Like ImapStoreTestServer (implicit TLS, a real store, Alice and Bob), plus what the tests of the
/// commands that change mail need: raw connections (a refused login), the whole configuration
/// (the listener's idle timeout for IDLE's autologout), the users' quotas, and octets on the wire.
/// </summary>
internal sealed class ImapWriteTestServer : IAsyncDisposable
{
    public const string Password = "imap password 1";
    public const string Alice = "alice@example.org";
    public const string Bob = "bob@example.org";

    private readonly TestMailServer _server;

    private ImapWriteTestServer(TestMailServer server, MailAccount alice, MailAccount bob)
    {
        _server = server;
        AliceAccount = alice;
        BobAccount = bob;
    }

    public MailAccount AliceAccount { get; }

    public MailAccount BobAccount { get; }

    public IServiceProvider Services => _server.Services;

    public static async Task<ImapWriteTestServer> StartAsync(Action<ImapServerOptions>? imap = null, Action<ApplianceOptions>? appliance = null)
    {
        var server = await TestMailServer.StartAsync<ImapHandler>(ListenerKind.Imaps, options =>
        {
            options.Imap.FailedLoginDelay = TimeSpan.Zero;
            imap?.Invoke(options.Imap);
            appliance?.Invoke(options);
        }, services => services.AddImapServer());
        await server.Services.InitializeApplianceAsync();
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var alice = await accounts.AddMailboxAsync(new NewMailbox(Alice, Password), "test");
        var bob = await accounts.AddMailboxAsync(new NewMailbox(Bob, Password), "test");
        var store = server.Services.GetRequiredService<MessageStore>();
        return new ImapWriteTestServer(server, store.OpenAccount(alice.StoreId), store.OpenAccount(bob.StoreId));
    }

    /// <summary>A TLS connection after its greeting, not logged in.</summary>
    public async Task<ImapTestClient> ConnectAsync()
    {
        var client = new ImapTestClient(await _server.ConnectAsync());
        await client.HandshakeAsync();
        Assert.StartsWith("* OK [CAPABILITY IMAP4rev2 ", await client.ReadLineAsync());
        return client;
    }

    /// <summary>A TLS session logged in as <paramref name="user"/>.</summary>
    public async Task<ImapTestClient> LoginAsync(string user = Alice)
    {
        var client = await ConnectAsync();
        var login = await client.CommandAsync("l", $"LOGIN {user} \"{Password}\"");
        Assert.Single(login);
        Assert.StartsWith("l OK [CAPABILITY ", login[0]);
        return client;
    }

    /// <summary>Sets the user's quota as the administrator does (0 = unlimited).</summary>
    public Task SetQuotaAsync(long bytes, string user = Alice) =>
        Services.GetRequiredService<AccountService>().UpdateMailboxAsync(user, new MailboxUpdate { QuotaBytes = bytes }, "test");

    /// <summary>Appends through the store, as delivery does; returns the UID.</summary>
    public async Task<uint> DeliverAsync(string text, string mailbox = "INBOX", MessageFlags flags = MessageFlags.None, IEnumerable<string>? keywords = null)
        => (await AliceAccount.AppendAsync(mailbox, new MemoryStream(Encoding.UTF8.GetBytes(text)), flags, keywords)).Uid;

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
    public static string Message(string subject, string body = "Hello") =>
        $"From: Carol <carol@example.net>\r\nTo: alice@example.org\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@example.net>\r\n\r\n{body}\r\n";

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Octets and reads the line-based ImapTestClient does not offer.</summary>
internal static class ImapWriteClient
{
    public static Task SendAsync(this ImapTestClient client, string text) => client.Raw.SendAsync(text);

    public static Task SendBytesAsync(this ImapTestClient client, ReadOnlyMemory<byte> octets) =>
        client.Raw.Stream.WriteAsync(octets).AsTask().WaitAsync(TestMailServer.Guard);

    /// <summary>Every line up to and including the one starting with "tag ".</summary>
    public static async Task<List<string>> ReadUntilTaggedAsync(this ImapTestClient client, string tag)
    {
        var lines = new List<string>();
        while (await client.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
                break;
        }
        return lines;
    }

    /// <summary>Selects a mailbox, checking only that it succeeded.</summary>
    public static async Task SelectAsync(this ImapTestClient client, string mailbox = "INBOX", string verb = "SELECT")
    {
        var lines = await client.CommandAsync("sel", $"{verb} {mailbox}");
        Assert.StartsWith("sel OK ", lines[^1]);
    }
}
