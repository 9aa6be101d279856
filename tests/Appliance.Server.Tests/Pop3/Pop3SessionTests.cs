using System.Net.Security;
using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Listeners;
using Appliance.Server.Pop3;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Pop3;

/// <summary>POP3 transcripts over a real socket against the real store, with exact replies.</summary>
public sealed class Pop3SessionTests
{
    private const string Password = "pop password 1";

    private static readonly string[] Messages =
    [
        "From: a@example.net\r\nSubject: one\r\n\r\nfirst body\r\n",
        "From: b@example.net\r\nSubject: two\r\n\r\n.leading dot\r\nline 2\r\nline 3\r\n",
        "From: c@example.net\r\nSubject: three\r\n\r\nthird\r\n",
    ];

    private sealed class Server(TestMailServer server, MailAccount account, IReadOnlyList<uint> uids) : IAsyncDisposable
    {
        public MailAccount Account => account;
        public IReadOnlyList<uint> Uids => uids;

        public async Task<Pop3Client> ConnectAsync(bool tls)
        {
            var raw = await server.ConnectAsync();
            if (tls)
            {
                var ssl = new SslStream(raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
                await ssl.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
                raw.Stream = ssl;
            }
            var client = new Pop3Client(raw);
            Assert.Equal("+OK Appliance POP3 server ready", await client.ReadLineAsync());
            return client;
        }

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    private static async Task<Server> StartAsync(ListenerKind kind = ListenerKind.Pop3s, Action<Pop3ServerOptions>? configure = null)
    {
        var server = await TestMailServer.StartAsync<Pop3Handler>(kind, options =>
        {
            options.Pop3.AuthFailureDelay = TimeSpan.Zero;
            configure?.Invoke(options.Pop3);
        }, services => services.AddPop3Server());
        await server.Services.InitializeApplianceAsync();
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        var mailbox = await accounts.AddMailboxAsync(new NewMailbox("alice@example.org", Password), "test");
        var account = server.Services.GetRequiredService<MessageStore>().OpenAccount(mailbox.StoreId);
        var uids = new List<uint>();
        foreach (string message in Messages)
            uids.Add((await account.AppendAsync("INBOX", new MemoryStream(Encoding.ASCII.GetBytes(message)))).Uid);
        return new Server(server, account, uids);
    }

    [Fact]
    public async Task Cleartext_port_offers_stls_and_refuses_passwords_until_tls()
    {
        await using var server = await StartAsync(ListenerKind.Pop3);
        using var client = await server.ConnectAsync(tls: false);
        Assert.Equal(["+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "STLS", "IMPLEMENTATION Appliance", "."],
            await client.MultiLineAsync("CAPA"));
        await client.ExpectAsync("USER alice@example.org", "-ERR [AUTH] Plaintext authentication is not allowed without TLS; use STLS first");
        await client.ExpectAsync("PASS " + Password, "-ERR [AUTH] Plaintext authentication is not allowed without TLS; use STLS first");
        await client.ExpectAsync("AUTH PLAIN " + Plain(), "-ERR [AUTH] Authentication is not allowed without TLS; use STLS first");
        await client.ExpectAsync("APOP alice@example.org 0123456789abcdef0123456789abcdef", "-ERR APOP is not supported; use USER/PASS or AUTH PLAIN over TLS");
        await client.ExpectAsync("STAT", "-ERR Log in first");
        await client.StlsAsync();
        Assert.Equal(["+OK Capability list follows", "TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN", "IMPLEMENTATION Appliance", "."],
            await client.MultiLineAsync("CAPA"));
        await client.ExpectAsync("STLS", "-ERR TLS is already active");
        await client.ExpectAsync("USER alice@example.org", "+OK Send your password");
        await client.ExpectAsync("PASS " + Password, "+OK Logged in, 3 messages (" + Messages.Sum(m => m.Length) + " octets)");
    }

    [Fact]
    public async Task A_whole_session_lists_reads_deletes_and_updates_on_quit()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true);
        await client.ExpectAsync("USER alice@example.org", "+OK Send your password");
        await client.ExpectCodeAsync("PASS " + Password, "+OK Logged in");
        await client.ExpectAsync("STAT", $"+OK 3 {Messages.Sum(m => m.Length)}");
        Assert.Equal(["+OK 3 messages", $"1 {Messages[0].Length}", $"2 {Messages[1].Length}", $"3 {Messages[2].Length}", "."], await client.MultiLineAsync("LIST"));
        await client.ExpectAsync("LIST 2", $"+OK 2 {Messages[1].Length}");
        var uidl = await client.MultiLineAsync("UIDL");
        Assert.Equal(5, uidl.Count);
        Assert.Matches(@"^1 [0-9a-f]{16}$", uidl[1]);
        Assert.Equal(3, uidl.Skip(1).Take(3).Distinct().Count());
        Assert.Equal(["+OK Top of message follows", "From: b@example.net", "Subject: two", "", "..leading dot", "."], await client.MultiLineAsync("TOP 2 1"));
        Assert.Equal([$"+OK {Messages[1].Length} octets", "From: b@example.net", "Subject: two", "", "..leading dot", "line 2", "line 3", "."], await client.MultiLineAsync("RETR 2"));
        await client.ExpectAsync("DELE 1", "+OK Message 1 deleted");
        await client.ExpectAsync("DELE 1", "-ERR Message 1 is already deleted");
        await client.ExpectAsync("LIST 1", "-ERR Message 1 is already deleted");
        await client.ExpectAsync("RETR 9", "-ERR No such message: 9");
        await client.ExpectAsync("STAT", $"+OK 2 {Messages[1].Length + Messages[2].Length}");
        await client.ExpectAsync("RSET", "+OK Maildrop has 3 messages");
        await client.ExpectAsync("DELE 3", "+OK Message 3 deleted");
        await client.ExpectAsync("NOOP", "+OK");
        await client.ExpectAsync("QUIT", "+OK Bye, 1 messages deleted");
        Assert.True(await client.IsClosedByServerAsync());

        var left = server.Account.ListMessagesByUid("INBOX");
        Assert.Equal([server.Uids[0], server.Uids[1]], left.Select(m => m.Uid));
        Assert.Equal(MessageFlags.None, left[0].Flags);
        Assert.Equal(MessageFlags.Seen, left[1].Flags); // RETR marks read, at UPDATE
    }

    [Fact]
    public async Task Without_quit_nothing_is_deleted()
    {
        await using var server = await StartAsync();
        using (var client = await server.ConnectAsync(tls: true))
        {
            await client.ExpectCodeAsync("AUTH PLAIN " + Plain(), "+OK Logged in");
            await client.ExpectAsync("DELE 1", "+OK Message 1 deleted");
            await client.ExpectCodeAsync("RETR 2", "+OK");
        }
        // The next session proves the first one ended (and left everything as it was).
        using var again = await server.ConnectAsync(tls: true);
        await again.ExpectCodeAsync("AUTH PLAIN " + Plain(), "+OK Logged in, 3 messages");
        Assert.All(server.Account.ListMessagesByUid("INBOX"), m => Assert.Equal(MessageFlags.None, m.Flags));
    }

    [Fact]
    public async Task Auth_plain_with_a_continuation_and_failures()
    {
        await using var server = await StartAsync(configure: o => o.MaxAuthFailures = 2);
        using var client = await server.ConnectAsync(tls: true);
        Assert.Equal(["+OK Mechanisms follow", "PLAIN", "."], await client.MultiLineAsync("AUTH"));
        await client.ExpectAsync("AUTH CRAM-MD5", "-ERR Unsupported mechanism; use PLAIN");
        await client.ExpectAsync("AUTH PLAIN", "+ ");
        await client.ExpectAsync("*", "-ERR Authentication cancelled");
        await client.ExpectAsync("AUTH PLAIN " + Plain("wrong"), "-ERR [AUTH] Authentication failed");
        await client.ExpectAsync("AUTH PLAIN", "+ ");
        await client.ExpectAsync(Plain("wrong again"), "-ERR [AUTH] Authentication failed; too many failures, closing connection");
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Fact]
    public async Task A_message_expunged_by_another_session_is_reported_not_served()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true);
        await client.ExpectCodeAsync("AUTH PLAIN " + Plain(), "+OK Logged in, 3 messages");
        // An IMAP client deletes message 2 meanwhile.
        server.Account.StoreFlags("INBOX", [server.Uids[1]], FlagOperation.Add, MessageFlags.Deleted);
        server.Account.Expunge("INBOX");
        await client.ExpectAsync("RETR 2", "-ERR Message 2 was removed by another session");
        await client.ExpectAsync("DELE 2", "+OK Message 2 deleted");
        await client.ExpectAsync("QUIT", "+OK Bye, 0 messages deleted");
        Assert.Equal(2, server.Account.ListMessagesByUid("INBOX").Count);
    }

    [Fact]
    public async Task Bad_commands_are_answered_and_counted()
    {
        await using var server = await StartAsync(configure: o => o.MaxErrors = 3);
        using var client = await server.ConnectAsync(tls: true);
        await client.ExpectAsync("FROB", "-ERR Unknown command");
        await client.ExpectAsync("LIST " + new string('9', 300), "-ERR Command line too long (RFC 2449 allows 255 octets)");
        await client.ExpectAsync("123", "-ERR Unknown command");
        Assert.Equal("-ERR Too many errors, closing connection", await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    /// <summary>STLS injection: commands pipelined after STLS in cleartext are thrown away, never run inside TLS.</summary>
    [Fact]
    public async Task Commands_pipelined_after_stls_are_discarded()
    {
        await using var server = await StartAsync(ListenerKind.Pop3);
        using var client = await server.ConnectAsync(tls: false);
        await client.Raw.SendAsync("STLS\r\nUSER alice@example.org\r\n");
        Assert.Equal("+OK Begin TLS negotiation", await client.ReadLineAsync());
        var ssl = new SslStream(client.Raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
        client.Raw.Stream = ssl;
        // Had the injected USER run inside TLS, PASS would be accepted now.
        await client.ExpectAsync("PASS " + Password, "-ERR Send USER first");
    }

    [Fact]
    public async Task A_session_sent_one_byte_at_a_time()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true);
        async Task<string?> Slowly(string line)
        {
            foreach (byte b in Encoding.ASCII.GetBytes(line + "\r\n"))
                await client.Raw.Stream.WriteAsync(new[] { b });
            return await client.ReadLineAsync();
        }
        Assert.Equal("+OK Send your password", await Slowly("USER alice@example.org"));
        Assert.StartsWith("+OK Logged in, 3 messages", await Slowly("PASS " + Password));
        Assert.Equal($"+OK 3 {Messages.Sum(m => m.Length)}", await Slowly("STAT"));
        Assert.Equal("+OK Message 3 deleted", await Slowly("DELE 3"));
        Assert.Equal("+OK Bye, 1 messages deleted", await Slowly("QUIT"));
    }

    private static string Plain(string password = Password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0alice@example.org\0{password}"));
}

internal sealed class Pop3Client(TestClient client) : IDisposable
{
    public TestClient Raw => client;

    public Task<string?> ReadLineAsync() => client.ReadLineAsync();

    public async Task ExpectAsync(string command, string reply)
    {
        await client.SendAsync(command + "\r\n");
        Assert.Equal(reply, await client.ReadLineAsync());
    }

    public async Task ExpectCodeAsync(string command, string start)
    {
        await client.SendAsync(command + "\r\n");
        string? line = await client.ReadLineAsync();
        Assert.True(line is not null && line.StartsWith(start, StringComparison.Ordinal), $"'{command}' got '{line}'");
    }

    /// <summary>A command whose reply is multi-line: every line up to and including ".".</summary>
    public async Task<List<string>> MultiLineAsync(string command)
    {
        await client.SendAsync(command + "\r\n");
        var lines = new List<string>();
        while (await client.ReadLineAsync() is { } line)
        {
            lines.Add(line);
            if (line == "." || lines.Count == 1 && line.StartsWith("-ERR", StringComparison.Ordinal))
                break;
        }
        return lines;
    }

    public async Task StlsAsync()
    {
        await ExpectAsync("STLS", "+OK Begin TLS negotiation");
        var ssl = new SslStream(client.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
        client.Stream = ssl;
    }

    public Task<bool> IsClosedByServerAsync() => client.IsClosedByServerAsync();

    public void Dispose() => client.Dispose();
}
