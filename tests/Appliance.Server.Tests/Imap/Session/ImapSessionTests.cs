using System.Net.Security;
using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Imap;
using Appliance.Server.Imap.Commands;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Listeners;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Imap.Session;

/// <summary>IMAP transcripts (RFC 9051 sections 6.1-6.3.1, 7.1) over a real socket, with exact responses.</summary>
public sealed class ImapSessionTests
{
    private const string Password = "imap password 1";
    private const string User = "alice@example.org";
    private const string Greeting143 = "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS LOGINDISABLED SASL-IR ID ENABLE LITERAL- NAMESPACE UTF8=ACCEPT] Appliance IMAP server ready";
    private const string Greeting993 = "* OK [CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN SASL-IR ID ENABLE LITERAL- NAMESPACE UTF8=ACCEPT] Appliance IMAP server ready";
    private const string LoggedIn = "OK [CAPABILITY IMAP4rev2 IMAP4rev1 ID ENABLE LITERAL+ NAMESPACE LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE STATUS=SIZE IDLE UNSELECT UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES QUOTA QUOTA=RES-STORAGE BINARY APPENDLIMIT=52428800 UTF8=ACCEPT] Logged in";

    private sealed class Server(TestMailServer server) : IAsyncDisposable
    {
        public async Task<ImapTestClient> ConnectAsync(bool tls, string greeting)
        {
            var raw = await server.ConnectAsync();
            if (tls)
            {
                var ssl = new SslStream(raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
                await ssl.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
                raw.Stream = ssl;
            }
            var client = new ImapTestClient(raw);
            Assert.Equal(greeting, await client.ReadLineAsync());
            return client;
        }

        public Task StopAsync() => server.StopAsync();

        public ValueTask DisposeAsync() => server.DisposeAsync();
    }

    /// <summary>
    /// The system clock, except that a timer of exactly <paramref name="delay"/> (the failed-login delay)
    /// never fires by itself: the test sees it armed and fires it.
    /// </summary>
    private sealed class DelayTrap(TimeSpan delay) : TimeProvider
    {
        public TaskCompletionSource<Action> Armed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (dueTime != delay)
                return base.CreateTimer(callback, state, dueTime, period);
            Armed.TrySetResult(() => callback(state));
            return base.CreateTimer(callback, state, Timeout.InfiniteTimeSpan, period);
        }
    }

    private static async Task<Server> StartAsync(ListenerKind kind = ListenerKind.Imaps, Action<ImapServerOptions>? configure = null, TimeProvider? time = null)
    {
        var server = await TestMailServer.StartAsync<ImapHandler>(kind, options =>
        {
            options.Imap.FailedLoginDelay = TimeSpan.Zero;
            configure?.Invoke(options.Imap);
        }, services =>
        {
            services.AddImapServer();
            if (time is not null)
                services.AddSingleton(time);
        });
        await server.Services.InitializeApplianceAsync();
        var accounts = server.Services.GetRequiredService<AccountService>();
        await accounts.AddDomainAsync("example.org", "test");
        await accounts.AddMailboxAsync(new NewMailbox(User, Password), "test");
        return new Server(server);
    }

    private static string Plain(string password = Password, string authzid = "") =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{authzid}\0{User}\0{password}"));

    [Fact]
    public async Task Cleartext_port_refuses_passwords_until_starttls_and_the_capabilities_change()
    {
        await using var server = await StartAsync(ListenerKind.Imap);
        using var client = await server.ConnectAsync(tls: false, Greeting143);
        Assert.Equal(
            ["* CAPABILITY IMAP4rev2 IMAP4rev1 STARTTLS LOGINDISABLED SASL-IR ID ENABLE LITERAL- NAMESPACE UTF8=ACCEPT", "a OK CAPABILITY completed"],
            await client.CommandAsync("a", "CAPABILITY"));
        Assert.Equal(["b NO [PRIVACYREQUIRED] LOGIN is not allowed without TLS; use STARTTLS first"],
            await client.CommandAsync("b", $"LOGIN {User} \"{Password}\""));
        Assert.Equal(["c NO [PRIVACYREQUIRED] Authentication is not allowed without TLS; use STARTTLS first"],
            await client.CommandAsync("c", "AUTHENTICATE PLAIN " + Plain()));
        await client.StartTlsAsync("d");
        Assert.Equal(
            ["* CAPABILITY IMAP4rev2 IMAP4rev1 AUTH=PLAIN SASL-IR ID ENABLE LITERAL- NAMESPACE UTF8=ACCEPT", "e OK CAPABILITY completed"],
            await client.CommandAsync("e", "CAPABILITY"));
        Assert.Equal(["f BAD TLS is already active"], await client.CommandAsync("f", "STARTTLS"));
        Assert.Equal(["g " + LoggedIn], await client.CommandAsync("g", $"LOGIN {User} \"{Password}\""));
        Assert.Equal(
            ["* CAPABILITY IMAP4rev2 IMAP4rev1 ID ENABLE LITERAL+ NAMESPACE LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE STATUS=SIZE IDLE UNSELECT UIDPLUS MOVE CONDSTORE QRESYNC ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES QUOTA QUOTA=RES-STORAGE BINARY APPENDLIMIT=52428800 UTF8=ACCEPT", "h OK CAPABILITY completed"],
            await client.CommandAsync("h", "CAPABILITY"));
    }

    [Fact]
    public async Task Implicit_tls_greets_with_auth_plain_and_logout_says_bye_and_closes()
    {
        await using var server = await StartAsync(ListenerKind.Imaps);
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal(["a BAD TLS is already active"], await client.CommandAsync("a", "STARTTLS"));
        Assert.Equal(["b OK NOOP completed"], await client.CommandAsync("b", "noop"));
        Assert.Equal(["* BYE Appliance IMAP server logging out", "c OK LOGOUT completed"], await client.CommandAsync("c", "LOGOUT"));
        Assert.True(await client.Raw.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Login_succeeds_and_failures_are_answered_then_closed()
    {
        await using var server = await StartAsync(configure: o => o.MaxFailedLogins = 2);
        using (var client = await server.ConnectAsync(tls: true, Greeting993))
        {
            Assert.Equal(["a " + LoggedIn], await client.CommandAsync("a", $"LOGIN \"{User}\" \"{Password}\""));
            Assert.Equal(["* NAMESPACE ((\"\" \"/\")) NIL NIL", "b OK NAMESPACE completed"], await client.CommandAsync("b", "NAMESPACE"));
        }
        using var other = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal(["a NO [AUTHENTICATIONFAILED] Authentication failed"], await other.CommandAsync("a", $"LOGIN {User} wrong"));
        Assert.Equal(["b BAD Syntax: LOGIN userid password"], await other.CommandAsync("b", $"LOGIN {User}"));
        Assert.Equal(["c BAD NAMESPACE is not allowed before login"], await other.CommandAsync("c", "NAMESPACE"));
        Assert.Equal(["d NO [AUTHENTICATIONFAILED] Authentication failed", "* BYE Too many failed logins"],
            await other.CommandAsync("d", $"LOGIN {User} \"also wrong\"", untilEnd: true));
        Assert.True(await other.Raw.IsClosedByServerAsync());
    }

    [Fact]
    public async Task A_failed_login_is_answered_only_after_the_delay()
    {
        var delay = TimeSpan.FromHours(7);
        var time = new DelayTrap(delay);
        await using var server = await StartAsync(configure: o => o.FailedLoginDelay = delay, time: time);
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        await client.Raw.SendAsync($"a LOGIN {User} wrong\r\nb NOOP\r\n");
        var fire = await time.Armed.Task.WaitAsync(TestMailServer.Guard);
        fire();
        Assert.Equal("a NO [AUTHENTICATIONFAILED] Authentication failed", await client.ReadLineAsync());
        Assert.Equal("b OK NOOP completed", await client.ReadLineAsync());
    }

    [Fact]
    public async Task Shutdown_during_the_failed_login_delay_says_bye()
    {
        var delay = TimeSpan.FromHours(7);
        var time = new DelayTrap(delay);
        await using var server = await StartAsync(configure: o => o.FailedLoginDelay = delay, time: time);
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        await client.Raw.SendAsync($"a AUTHENTICATE PLAIN {Plain("wrong")}\r\n");
        await time.Armed.Task.WaitAsync(TestMailServer.Guard);
        var stopping = server.StopAsync();
        // The NO would come only after the delay: the BYE comes first, and then the end.
        Assert.Equal("* BYE [UNAVAILABLE] Server shutting down", await client.ReadLineAsync());
        Assert.True(await client.Raw.IsClosedByServerAsync());
        await stopping.WaitAsync(TestMailServer.Guard);
    }

    [Fact]
    public async Task Authenticate_plain_with_an_initial_response()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal(["a NO Unsupported authentication mechanism; use PLAIN"], await client.CommandAsync("a", "AUTHENTICATE CRAM-MD5"));
        Assert.Equal(["b BAD Invalid base64 in the response"], await client.CommandAsync("b", "AUTHENTICATE PLAIN not-base64!"));
        Assert.Equal(["c NO [AUTHORIZATIONFAILED] Cannot act as another user"],
            await client.CommandAsync("c", "AUTHENTICATE PLAIN " + Plain(authzid: "bob@example.org")));
        Assert.Equal(["d NO [AUTHENTICATIONFAILED] Authentication failed"], await client.CommandAsync("d", "AUTHENTICATE PLAIN " + Plain("wrong")));
        Assert.Equal(["e BAD Malformed PLAIN response"], await client.CommandAsync("e", "AUTHENTICATE PLAIN ="));
        Assert.Equal(["f " + LoggedIn], await client.CommandAsync("f", "authenticate plain " + Plain(authzid: User)));
        Assert.Equal(["g BAD AUTHENTICATE is not allowed after login"], await client.CommandAsync("g", "AUTHENTICATE PLAIN " + Plain()));
    }

    [Fact]
    public async Task Authenticate_plain_with_a_continuation_and_a_cancel()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        await client.Raw.SendAsync("a AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await client.ReadLineAsync());
        Assert.Equal(["a BAD Authentication cancelled"], await client.CommandAsync("a", "*", raw: true));
        await client.Raw.SendAsync("b AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await client.ReadLineAsync());
        Assert.Equal(["b NO [AUTHENTICATIONFAILED] Authentication failed"], await client.CommandAsync("b", Plain("wrong"), raw: true));
        await client.Raw.SendAsync("x AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await client.ReadLineAsync());
        Assert.Equal(["x BAD Response line too long"], await client.CommandAsync("x", new string('A', 70_000), raw: true));
        await client.Raw.SendAsync("c AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await client.ReadLineAsync());
        Assert.Equal(["c " + LoggedIn], await client.CommandAsync("c", Plain(), raw: true));
    }

    [Fact]
    public async Task Commands_outside_their_state_are_bad()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal(["a BAD SELECT is not allowed before login"], await client.CommandAsync("a", "SELECT INBOX"));
        Assert.Equal(["b BAD ENABLE is not allowed before login"], await client.CommandAsync("b", "ENABLE IMAP4rev2"));
        Assert.Equal(["c BAD FETCH is not allowed before login"], await client.CommandAsync("c", "FETCH 1 FLAGS"));
        Assert.Equal(["d BAD Unknown command"], await client.CommandAsync("d", "FROB"));
        Assert.Equal(["e " + LoggedIn], await client.CommandAsync("e", $"LOGIN {User} \"{Password}\""));
        Assert.Equal(["f BAD LOGIN is not allowed after login"], await client.CommandAsync("f", $"LOGIN {User} \"{Password}\""));
        Assert.Equal(["g BAD STARTTLS is not allowed after login"], await client.CommandAsync("g", "STARTTLS"));
        Assert.Equal(["h BAD FETCH needs a selected mailbox; SELECT or EXAMINE one first"], await client.CommandAsync("h", "FETCH 1 FLAGS"));
        Assert.Equal(["i BAD UID needs a selected mailbox; SELECT or EXAMINE one first"], await client.CommandAsync("i", "UID FETCH 1 FLAGS"));
        Assert.Equal("j0 OK [READ-WRITE] SELECT completed", (await client.CommandAsync("j0", "SELECT INBOX"))[^1]);
        Assert.Equal(["j OK UNSELECT completed"], await client.CommandAsync("j", "UNSELECT"));
        Assert.Equal(["k OK NOOP completed"], await client.CommandAsync("k", "NOOP"));
    }

    [Fact]
    public async Task Id_and_enable()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        string id = $"* ID (\"name\" \"Appliance\" \"version\" \"{IdCommand.Version}\")";
        Assert.Equal([id, "a OK ID completed"], await client.CommandAsync("a", "ID NIL"));
        Assert.Equal([id, "b OK ID completed"], await client.CommandAsync("b", "ID (\"name\" \"Thunderbird\" \"version\" \"128.0\" \"os\" NIL)"));
        Assert.Equal(["c BAD Syntax: ID NIL or ID (field value ...)"], await client.CommandAsync("c", "ID (\"name\")"));
        Assert.Equal(["d " + LoggedIn], await client.CommandAsync("d", "AUTHENTICATE PLAIN " + Plain()));
        Assert.Equal([id, "e OK ID completed"], await client.CommandAsync("e", "ID NIL"));
        // Unknown names are ignored (RFC 5161 3.1); CONDSTORE is advertised and enabled.
        Assert.Equal(["* ENABLED IMAP4rev2 CONDSTORE", "f OK ENABLE completed"], await client.CommandAsync("f", "ENABLE imap4rev2 CONDSTORE X-UNKNOWN"));
        Assert.Equal(["* ENABLED UTF8=ACCEPT", "g OK ENABLE completed"], await client.CommandAsync("g", "ENABLE IMAP4rev2 UTF8=ACCEPT"));
        Assert.Equal(["* ENABLED", "h OK ENABLE completed"], await client.CommandAsync("h", "ENABLE IMAP4rev2"));
        Assert.Equal(["i BAD Syntax: ENABLE capability ..."], await client.CommandAsync("i", "ENABLE"));
    }

    [Fact]
    public async Task Literals_in_login_wait_for_the_continuation_and_literal_minus_is_enforced_before_login()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        // RFC 7888 section 4: before login a non-synchronizing literal over 4096 octets is BAD, and its octets are skipped.
        await client.Raw.SendAsync("a LOGIN {5000+}\r\n" + new string('x', 5000) + " secret\r\n");
        Assert.Equal("a BAD Non-synchronizing literals are limited to 4096 octets", await client.ReadLineAsync());
        // A synchronizing one over the limit is NO [TOOBIG] instead of the continuation (RFC 9051 7.1), so no octets follow.
        await client.Raw.SendAsync("b LOGIN {5000}\r\n");
        Assert.Equal("b NO [TOOBIG] Literals are limited to 4096 octets", await client.ReadLineAsync());
        await client.Raw.SendAsync($"c LOGIN {{{User.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        await client.Raw.SendAsync($"{User} {{{Password.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        Assert.Equal(["c " + LoggedIn], await client.CommandAsync("c", Password, raw: true));
        // After login LITERAL+ holds: no continuation for {n+}. (ENABLE takes atoms only: a literal there is BAD.)
        Assert.Equal(["d BAD Syntax: ENABLE capability ..."], await client.CommandAsync("d", "ENABLE {9+}\r\nIMAP4rev2"));
        Assert.Equal([$"* ID (\"name\" \"Appliance\" \"version\" \"{IdCommand.Version}\")", "e OK ID completed"],
            await client.CommandAsync("e", "ID ({4+}\r\nname {6+}\r\nmutt\r\n)"));
        // The 4096 cap was for before login: this {5000+} is read whole (and then refused by ID's own limit, RFC 2971 3.3).
        Assert.Equal(["f BAD Syntax: ID NIL or ID (field value ...)"],
            await client.CommandAsync("f", "ID ({4+}\r\nname {5000+}\r\n" + new string('x', 5000) + ")"));
    }

    [Fact]
    public async Task Literal_login_on_the_cleartext_port_is_still_refused_after_the_continuation()
    {
        await using var server = await StartAsync(ListenerKind.Imap);
        using var client = await server.ConnectAsync(tls: false, Greeting143);
        await client.Raw.SendAsync($"a LOGIN {{{User.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        Assert.Equal(["a NO [PRIVACYREQUIRED] LOGIN is not allowed without TLS; use STARTTLS first"],
            await client.CommandAsync("a", $"{User} \"{Password}\"", raw: true));
    }

    [Fact]
    public async Task A_streamed_append_literal_is_consumed_and_stored()
    {
        await using var server = await StartAsync(configure: o => o.MaxBufferedLiterals = 4096);
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal(["a " + LoggedIn], await client.CommandAsync("a", $"LOGIN {User} \"{Password}\""));
        string message = "Subject: big\r\n\r\n" + string.Concat(Enumerable.Repeat("0123456789abcdef\r\n", 1000));
        await client.Raw.SendAsync($"b APPEND INBOX (\\Seen) {{{message.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        // APPEND itself is tested in Imap/Write; here: a literal over MaxBufferedLiterals is streamed, then the session reads on.
        Assert.Matches(@"^b OK \[APPENDUID \d+ 1\] APPEND completed$", Assert.Single(await client.CommandAsync("b", message, raw: true)));
        Assert.Matches(@"^c OK \[APPENDUID \d+ 2\] APPEND completed$", Assert.Single(await client.CommandAsync("c", "APPEND INBOX {5+}\r\nhello")));
        Assert.Equal(["d OK NOOP completed"], await client.CommandAsync("d", "NOOP"));
    }

    /// <summary>STARTTLS injection (CVE-2011-0411): commands pipelined after STARTTLS in cleartext are discarded, never run inside TLS.</summary>
    [Fact]
    public async Task Commands_pipelined_after_starttls_are_discarded()
    {
        await using var server = await StartAsync(ListenerKind.Imap);
        using var client = await server.ConnectAsync(tls: false, Greeting143);
        await client.Raw.SendAsync($"a STARTTLS\r\nb LOGIN {User} \"{Password}\"\r\n");
        Assert.Equal("a OK Begin TLS negotiation now", await client.ReadLineAsync());
        await client.HandshakeAsync();
        // Had the injected LOGIN run inside TLS, its answer would come first and the state would be authenticated.
        Assert.Equal(["c BAD NAMESPACE is not allowed before login"], await client.CommandAsync("c", "NAMESPACE"));
    }

    [Fact]
    public async Task A_session_sent_one_byte_at_a_time()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        async Task Slowly(string text)
        {
            foreach (byte b in Encoding.ASCII.GetBytes(text))
            {
                await client.Raw.Stream.WriteAsync(new[] { b });
                await client.Raw.Stream.FlushAsync();
            }
        }
        await Slowly("a NOOP\r\n");
        Assert.Equal("a OK NOOP completed", await client.ReadLineAsync());
        await Slowly($"b LOGIN {{{User.Length}}}\r\n");
        Assert.Equal("+ Ready for literal data", await client.ReadLineAsync());
        await Slowly($"{User} \"{Password}\"\r\n");
        Assert.Equal("b " + LoggedIn, await client.ReadLineAsync());
        await Slowly("c ENABLE IMAP4rev2\r\n");
        Assert.Equal("* ENABLED IMAP4rev2", await client.ReadLineAsync());
        Assert.Equal("c OK ENABLE completed", await client.ReadLineAsync());
        await Slowly("e ID ({4+}\r\nname NIL)\r\n");
        Assert.Equal($"* ID (\"name\" \"Appliance\" \"version\" \"{IdCommand.Version}\")", await client.ReadLineAsync());
        Assert.Equal("e OK ID completed", await client.ReadLineAsync());
        await Slowly("d LOGOUT\r\n");
        Assert.Equal("* BYE Appliance IMAP server logging out", await client.ReadLineAsync());
        Assert.Equal("d OK LOGOUT completed", await client.ReadLineAsync());
        Assert.True(await client.Raw.IsClosedByServerAsync());
    }

    [Fact]
    public async Task Authenticate_continuation_sent_one_byte_at_a_time()
    {
        await using var server = await StartAsync();
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        await client.Raw.SendAsync("a AUTHENTICATE PLAIN\r\n");
        Assert.Equal("+ ", await client.ReadLineAsync());
        foreach (byte b in Encoding.ASCII.GetBytes(Plain() + "\r\n"))
        {
            await client.Raw.Stream.WriteAsync(new[] { b });
            await client.Raw.Stream.FlushAsync();
        }
        Assert.Equal("a " + LoggedIn, await client.ReadLineAsync());
    }

    [Fact]
    public async Task Too_many_errors_end_the_session()
    {
        await using var server = await StartAsync(configure: o => o.MaxErrors = 3);
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal(["a BAD Unknown command"], await client.CommandAsync("a", "FROB"));
        await client.Raw.SendAsync("(\r\n");
        Assert.Equal("* BAD Missing tag", await client.ReadLineAsync());
        Assert.Equal(["c BAD Syntax: NOOP takes no arguments", "* BYE Too many errors"],
            await client.CommandAsync("c", "NOOP now", untilEnd: true));
        Assert.True(await client.Raw.IsClosedByServerAsync());
    }

    [Fact]
    public async Task An_idle_client_is_logged_out_sooner_before_login()
    {
        await using var server = await StartAsync(configure: o => o.AutologoutBeforeLogin = TimeSpan.FromMilliseconds(200));
        using var client = await server.ConnectAsync(tls: true, Greeting993);
        Assert.Equal("* BYE Autologout; idle for too long", await client.ReadLineAsync());
        Assert.True(await client.Raw.IsClosedByServerAsync());
    }
}

/// <summary>An IMAP client over <see cref="TestClient"/>: sends a command and collects the responses up to its tagged one.</summary>
internal sealed class ImapTestClient(TestClient client) : IDisposable
{
    public TestClient Raw => client;

    public Task<string?> ReadLineAsync() => client.ReadLineAsync();

    /// <summary>
    /// Sends "tag text" (or only <paramref name="text"/> when <paramref name="raw"/>: the rest of a command
    /// or a continuation line) and returns every line up to the tagged one; with <paramref name="untilEnd"/>
    /// every line until the server closes.
    /// </summary>
    public async Task<List<string>> CommandAsync(string tag, string text, bool raw = false, bool untilEnd = false)
    {
        await client.SendAsync((raw ? text : tag + " " + text) + "\r\n");
        var lines = new List<string>();
        while (await ReadLineOrEndAsync() is { } line)
        {
            lines.Add(line);
            if (!untilEnd && line.StartsWith(tag + " ", StringComparison.Ordinal))
                break;
        }
        return lines;
    }

    private async Task<string?> ReadLineOrEndAsync()
    {
        try
        {
            return await client.ReadLineAsync();
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task StartTlsAsync(string tag)
    {
        Assert.Equal([tag + " OK Begin TLS negotiation now"], await CommandAsync(tag, "STARTTLS"));
        await HandshakeAsync();
    }

    public async Task HandshakeAsync()
    {
        var ssl = new SslStream(client.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await ssl.AuthenticateAsClientAsync("mail.test").WaitAsync(TestMailServer.Guard);
        client.Stream = ssl;
    }

    public void Dispose() => client.Dispose();
}
