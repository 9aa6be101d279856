using System.Text;
using Appliance.Dns;
using Appliance.Server;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Appliance.Server.Webmail;
using Appliance.Storage.Mail;
using Appliance.Web.Webmail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Web.Tests.Webmail;

/// <summary>One sanitizing per message open: the reading pane and the frame share the result, per account and per remote-content choice.</summary>
public sealed class SanitizedBodyCacheTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "appliance-bodycache-tests-" + Guid.NewGuid().ToString("N"));
    private ServiceProvider _services = null!;

    private sealed class NoQueue : IOutboundQueue
    {
        public Task<string> EnqueueAsync(OutboundEnvelope envelope, Stream message, CancellationToken cancellationToken = default) => throw new NotSupportedException();
    }

    private sealed class NoSigner : IOutboundSigner
    {
        public Task<string?> SignAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) => Task.FromResult<string?>(null);
    }

    public async Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddApplianceServices(new ApplianceOptions { DataDirectory = _data, Hostname = "mail.example.org" });
        services.AddSingleton<IDnsResolver>(new FakeDnsResolver());
        services.AddSingleton<IOutboundQueue>(new NoQueue());
        services.AddSingleton<IOutboundSigner>(new NoSigner());
        services.AddWebmail();
        _services = services.BuildServiceProvider();
        await _services.InitializeApplianceAsync();
        var accounts = _services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        foreach (string user in new[] { "alice", "bob" })
        {
            var mailbox = await accounts.AddMailboxAsync(new NewMailbox($"{user}@example.org", "correct horse"), "test");
            string message = $"From: x@example.net\r\nSubject: s\r\nContent-Type: text/html\r\n\r\n<p>for {user}</p><img src=\"https://t.example/p.gif\">\r\n";
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(message));
            await _services.GetRequiredService<MessageStore>().OpenAccount(mailbox.StoreId).AppendAsync("INBOX", stream);
        }
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_data, recursive: true);
    }

    private async Task<WebmailSession> SessionAsync(string address)
    {
        var user = await _services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync(address, "correct horse");
        return (await _services.GetRequiredService<WebmailSessions>().OpenAsync(user!.MailboxId))!;
    }

    [Fact]
    public async Task A_body_is_sanitized_once_per_account_message_and_remote_choice()
    {
        var cache = new SanitizedBodyCache();
        var alice = await SessionAsync("alice@example.org");
        var bob = await SessionAsync("bob@example.org");
        long inbox = alice.ListFolders().Single(f => f.IsInbox).Id;
        int reads = 0;
        WebmailMessage Read(WebmailSession session) { reads++; return session.Read("INBOX", 1, markSeen: false); }

        var first = cache.Get(alice, inbox, 1, remote: false, () => Read(alice))!;
        var again = cache.Get(alice, inbox, 1, remote: false, () => Read(alice))!;
        Assert.Same(first, again);
        Assert.Equal(1, reads);
        Assert.True(first.BlockedRemoteContent);
        Assert.Contains("for alice", first.Html);

        var remote = cache.Get(alice, inbox, 1, remote: true, () => Read(alice))!;
        Assert.Contains("https://t.example/p.gif", remote.Html);
        // The same numbers in another account are another message.
        var bobs = cache.Get(bob, bob.ListFolders().Single(f => f.IsInbox).Id, 1, remote: false, () => Read(bob))!;
        Assert.Contains("for bob", bobs.Html);
        Assert.Equal(3, reads);
    }
}
