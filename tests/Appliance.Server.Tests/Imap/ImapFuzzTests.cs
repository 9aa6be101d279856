// RFC 9051 section 9 (formal syntax), 4.3 (literals), 7.5 (continuation requests), 7.1.5 (BYE);
// RFC 7888 (LITERAL+ / LITERAL-); RFC 3516 (literal8). Random command lines in every state: the
// server answers each or says BYE and closes, and stays usable with bounded memory.
using System.Net.Security;
using System.Text;
using Appliance.Server.Accounts;
using Appliance.Server.Imap;
using Appliance.Server.Listeners;
using Appliance.Server.Tests.Imap.Session;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Appliance.Server.Tests.Imap;

[Collection(nameof(FuzzCollection))]
public sealed class ImapFuzzTests(ITestOutputHelper output)
{
    private const string User = "alice@example.org";
    private const string Password = "imap password 1";

    /// <summary>Commands per state: a few seconds each over TLS on loopback.</summary>
    private const int Commands = 300;

    public enum StartState { NotAuthenticated, Authenticated, Selected }

    [Theory]
    [InlineData(StartState.NotAuthenticated, 9051)]
    [InlineData(StartState.Authenticated, 3501)]
    [InlineData(StartState.Selected, 7162)]
    public async Task Random_commands_are_answered_or_end_with_BYE_and_the_server_stays_usable(StartState state, int seed)
    {
        await using var server = await TestMailServer.StartAsync<ImapHandler>(ListenerKind.Imaps, options =>
        {
            options.Imap.FailedLoginDelay = TimeSpan.Zero;
        }, services => services.AddImapServer());
        await LiveHeap.SeedMailboxAsync(server.Services, User, Password, Enumerable.Range(1, 5).Select(i =>
            $"From: carol@example.net\r\nTo: {User}\r\nSubject: fuzz {i}\r\nMessage-ID: <fuzz{i}@example.net>\r\n\r\nbody {i}\r\n"));

        // One normal session first, so that what is allocated once (JIT, pools, caches) is not counted.
        await UsableAsync(server);
        long before = LiveHeap.Measure();

        var fuzz = new ImapFuzzSession(server, state, new FuzzInput(seed));
        for (int i = 0; i < Commands; i++)
            await fuzz.RunAsync(fuzz.Generate());
        await fuzz.DisposeAsync();

        await UsableAsync(server);
        long growth = LiveHeap.Measure() - before;
        Assert.True(growth < LiveHeap.FuzzGrowthBound, $"seed {seed}: the managed heap grew by {growth:N0} bytes");

        // The commands reached the parser and the commands: refusals, and in the states after
        // login some successes too. Sessions were ended by the server (too many errors, LOGOUT).
        var stats = fuzz.Stats;
        output.WriteLine($"seed {seed}, {state}: {stats}, heap growth {growth:N0} bytes");
        Assert.True(stats.Bad > Commands / 10, $"seed {seed}: {stats}");
        Assert.True(stats.Ended > 0, $"seed {seed}: {stats}");
        if (state != StartState.NotAuthenticated)
            Assert.True(stats.Ok > 0, $"seed {seed}: {stats}");
        Assert.True(stats.Continuations > 0, $"seed {seed}: {stats}");
    }

    /// <summary>A fresh connection, a normal login, SELECT and LOGOUT, answered as always.</summary>
    private static async Task UsableAsync(TestMailServer server)
    {
        using var client = await ImapFuzzSession.ConnectAsync(server);
        Assert.StartsWith("a OK [CAPABILITY ", (await client.CommandAsync("a", $"LOGIN {User} \"{Password}\"")).Last());
        Assert.Equal("b OK [READ-WRITE] SELECT completed", (await client.CommandAsync("b", "SELECT INBOX")).Last());
        Assert.Equal(["* BYE Appliance IMAP server logging out", "c OK LOGOUT completed"], await client.CommandAsync("c", "LOGOUT"));
        Assert.True(await client.Raw.IsClosedByServerAsync());
    }

    public sealed record FuzzStats
    {
        public int Ok { get; set; }
        public int No { get; set; }
        public int Bad { get; set; }
        public int Ended { get; set; }
        public int Continuations { get; set; }
    }

    private enum LiteralKind { None, Synchronizing, NonSynchronizing, Oversized }

    /// <summary>Part of a command up to and including a literal header's CRLF, then the literal's octets; the last part has no literal.</summary>
    private sealed record Segment(byte[] Text, LiteralKind Literal, byte[] Octets, string DeclaredSize);

    /// <summary>A command as sent; <see cref="Tag"/> is null for lines that carry no valid tag.</summary>
    private sealed record FuzzCommand(string? Tag, string Verb, IReadOnlyList<Segment> Segments)
    {
        public override string ToString()
        {
            string text = string.Concat(Segments.Select(s => Encoding.Latin1.GetString(s.Text) + (s.Octets.Length > 0 ? $"<{s.Octets.Length} octets>" : "")))
                .Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            return text.Length > 300 ? text[..300] + "..." : text;
        }
    }

    /// <summary>
    /// One client that keeps a session in the wanted state (reconnecting after BYE, or after a
    /// command that may have left the state) and sends generated commands. After each command it
    /// sends a NOOP probe: everything before the probe's tagged answer belongs to the command, so
    /// a command split by a bare LF, or a line without a tag, cannot make the client lose its place.
    /// </summary>
    private sealed class ImapFuzzSession(TestMailServer server, StartState state, FuzzInput random) : IAsyncDisposable
    {
        private static readonly string[] Verbs =
        [
            "CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "AUTHENTICATE", "LOGIN", "ENABLE", "ID", "SELECT", "EXAMINE",
            "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE", "LIST", "LSUB", "NAMESPACE", "STATUS", "APPEND",
            "IDLE", "CLOSE", "UNSELECT", "CHECK", "EXPUNGE", "SEARCH", "FETCH", "STORE", "COPY", "MOVE", "SORT", "THREAD",
            "GETQUOTA", "GETQUOTAROOT", "UID", "UID FETCH", "UID SEARCH", "UID STORE", "UID COPY", "UID MOVE",
            "UID EXPUNGE", "UID SORT", "UID THREAD", "XYZZY", "DONE",
        ];

        private static readonly string[] Words =
        [
            "INBOX", "Trash", "Sent/Sub", "&AMA-", "&Jjo-!", "%", "*", "\"\"", "NIL", "1", "0", "1:*", "*:1", "4294967295",
            "4294967296", "1,2:3,*", "$", "ALL", "FLAGS", "(FLAGS)", "FAST", "FULL", "UID", "RFC822", "RFC822.SIZE",
            "ENVELOPE", "BODYSTRUCTURE", "BODY[]", "BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]", "BODY[1.2.MIME]<0.10>",
            "BODY[TEXT]<5.>", "BINARY[1]", "BINARY.SIZE[1]", "INTERNALDATE", "MODSEQ", "+FLAGS", "-FLAGS.SILENT",
            "FLAGS.SILENT", "\\Seen", "\\Deleted", "\\Answered", "\\Recent", "\\*", "$Junk", "OR", "NOT", "SUBJECT",
            "HEADER", "SINCE", "1-Jan-2020", "32-Foo-99", "LARGER", "SMALLER", "CHARSET", "UTF-8", "KOI8-R", "RETURN",
            "(MIN MAX COUNT ALL SAVE)", "CHANGEDSINCE", "UNCHANGEDSINCE", "(CHANGEDSINCE 1)", "CONDSTORE", "QRESYNC",
            "(QRESYNC (1 1))", "(CONDSTORE)", "IMAP4rev2", "UTF8=ACCEPT", "PLAIN", "=", "AGFsaWNlAHgAeQ==", "*",
            "(MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ)", "(SPECIAL-USE)", "(\\Sent)", "RETURN (CHILDREN STATUS (MESSAGES))",
            "REFERENCES", "ORDEREDSUBJECT", "(ARRIVAL REVERSE DATE)", "(\"name\" \"x\")", "\"21-Nov-2026 12:00:00 +0000\"",
            "DONE", "[", "]", "<", ">", "\\", "\"", "~",
        ];

        private static readonly (string Verb, string Text)[] RealCommandsBeforeLogin =
        [
            ("CAPABILITY", "CAPABILITY"), ("NOOP", "NOOP"), ("ID", "ID (\"name\" \"fuzz\" \"version\" \"1\")"), ("ID", "ID NIL"),
            ("LOGIN", "LOGIN nobody@example.org \"wrong\""), ("AUTHENTICATE", "AUTHENTICATE PLAIN AG5vYm9keUBleGFtcGxlLm9yZwB3cm9uZw=="),
            ("ENABLE", "ENABLE IMAP4rev2"), ("SELECT", "SELECT INBOX"),
        ];

        private static readonly (string Verb, string Text)[] RealCommands =
        [
            ("CAPABILITY", "CAPABILITY"), ("NOOP", "NOOP"), ("NAMESPACE", "NAMESPACE"), ("ENABLE", "ENABLE CONDSTORE"),
            ("ENABLE", "ENABLE UTF8=ACCEPT"), ("LIST", "LIST \"\" *"), ("LIST", "LIST (SPECIAL-USE) \"\" % RETURN (STATUS (MESSAGES UNSEEN))"),
            ("LSUB", "LSUB \"\" *"), ("STATUS", "STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE)"),
            ("CREATE", "CREATE fuzz/box"), ("RENAME", "RENAME fuzz/box fuzz/other"), ("DELETE", "DELETE fuzz/other"),
            ("SUBSCRIBE", "SUBSCRIBE Trash"), ("UNSUBSCRIBE", "UNSUBSCRIBE Trash"), ("CHECK", "CHECK"),
            ("FETCH", "FETCH 1:* (FLAGS UID)"), ("FETCH", "FETCH 1 (BODY.PEEK[HEADER] BODYSTRUCTURE ENVELOPE RFC822.SIZE)"),
            ("FETCH", "FETCH 2 BODY.PEEK[1]<0.3>"), ("UID FETCH", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)"),
            ("SEARCH", "SEARCH ALL"), ("SEARCH", "SEARCH OR SUBJECT fuzz NOT SEEN"), ("UID SEARCH", "UID SEARCH RETURN (MIN MAX COUNT) 1:*"),
            ("SORT", "SORT (REVERSE ARRIVAL) UTF-8 ALL"), ("THREAD", "THREAD REFERENCES UTF-8 ALL"),
            ("STORE", "STORE 1 +FLAGS (\\Flagged $Fuzz)"), ("UID STORE", "UID STORE 1:* -FLAGS.SILENT (\\Flagged)"),
            ("COPY", "COPY 1:2 Trash"), ("UID MOVE", "UID MOVE 5 Trash"), ("GETQUOTAROOT", "GETQUOTAROOT INBOX"),
            ("EXAMINE", "EXAMINE Trash"), ("UNSELECT", "UNSELECT"), ("IDLE", "IDLE"),
        ];

        private static readonly string[] Oversized =
        [
            "60000000", "4294967296", "18446744073709551616", "99999999999999999999999999",
        ];

        private static readonly string[] MalformedLiterals = ["{5", "{-1}", "{ 5}", "{5a}", "{}", "{5}x", "{+}", "~{", "{0x10}"];

        private static readonly string[] TaglessLines =
        [
            "", " ", "*", "+", "+ DONE", "* OK", " NOOP", "tag", "tag ", "\0", "a\0 NOOP", "(", ")", "\"a\" NOOP", "a(b NOOP",
        ];

        private TestClient? _client;
        private int _number;

        public FuzzStats Stats { get; } = new();

        private bool Authenticated => state != StartState.NotAuthenticated;

        public static async Task<ImapTestClient> ConnectAsync(TestMailServer server)
        {
            var raw = await server.ConnectAsync();
            var ssl = new SslStream(raw.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(TestMailServer.Hostname).WaitAsync(TestMailServer.Guard);
            raw.Stream = ssl;
            var client = new ImapTestClient(raw);
            Assert.StartsWith("* OK [CAPABILITY ", await client.ReadLineAsync());
            return client;
        }

        /// <summary>A connection in the wanted state.</summary>
        private async Task<TestClient> ClientAsync()
        {
            if (_client is not null)
                return _client;
            var client = await ConnectAsync(server);
            if (Authenticated)
                Assert.StartsWith("l OK ", (await client.CommandAsync("l", $"LOGIN {User} \"{Password}\"")).Last());
            if (state == StartState.Selected)
                Assert.StartsWith("s OK ", (await client.CommandAsync("s", "SELECT INBOX")).Last());
            return _client = client.Raw;
        }

        public FuzzCommand Generate()
        {
            int n = ++_number;
            if (random.Chance(0.02))
            {
                // Past the 64 KB command line limit (ImapServerOptions.MaxCommandLineLength).
                var line = FuzzInput.Ascii($"f{n} NOOP " + new string('x', 64 * 1024 + random.Next(1, 5000)) + "\r\n");
                return new FuzzCommand($"f{n}", "NOOP", [new Segment(line, LiteralKind.None, [], "")]);
            }
            if (random.Chance(0.08))
            {
                var text = random.Chance(0.5) ? FuzzInput.Ascii(random.Pick(TaglessLines)) : random.Garbage(40);
                return new FuzzCommand(null, "", [new Segment([.. text, .. "\r\n"u8], LiteralKind.None, [], "")]);
            }

            string tag = $"f{n}";
            if (random.Chance(0.15))
            {
                // A real command, sometimes cut short or with a token too many: these reach the
                // commands themselves, not only the parser.
                var (realVerb, text) = random.Pick(Authenticated ? RealCommands : RealCommandsBeforeLogin);
                string line = random.Next(4) switch
                {
                    0 => text[..random.Next(text.Length)],
                    1 => text + " " + random.Pick(Words),
                    _ => text,
                };
                return new FuzzCommand(tag, realVerb, [new Segment(FuzzInput.Ascii($"{tag} {line}\r\n"), LiteralKind.None, [], "")]);
            }
            string verb = random.Pick(Verbs);
            var segments = new List<Segment>();
            var current = new List<byte>(FuzzInput.Ascii($"{tag} {random.RandomCase(verb)}"));
            // Before login every literal of a command together may have 4096 octets (LITERAL-, RFC 7888 section 4).
            int literalBudget = Authenticated ? 64 * 1024 : 4096;
            int tokens = random.Next(0, 13);
            for (int t = 0; t < tokens; t++)
            {
                current.AddRange(FuzzInput.Ascii(random.Next(10) switch { 0 => "", 1 => "  ", _ => " " }));
                int kind = random.Next(100);
                if (kind < 30)
                    current.AddRange(FuzzInput.Ascii(random.RandomCase(random.Pick(Words))));
                else if (kind < 45)
                    current.AddRange(random.Atom(20));
                else if (kind < 52)
                    current.AddRange(FuzzInput.Ascii(random.Next(3) switch { 0 => random.Next(10).ToString(), 1 => random.Next(int.MaxValue).ToString(), _ => "9" + new string('9', random.Next(30)) }));
                else if (kind < 64)
                    current.AddRange(Quoted());
                else if (kind < 72)
                    current.AddRange(FuzzInput.Ascii(random.Next(4) switch { 0 => "(", 1 => ")", 2 => new string('(', random.Next(1, 40)), _ => new string(')', random.Next(1, 5)) }));
                else if (kind < 79)
                    current.AddRange(random.Garbage(12));
                else if (kind < 83)
                    current.AddRange(FuzzInput.Ascii(random.Pick(MalformedLiterals)));
                else if (kind < 98)
                {
                    // A literal: the client sends exactly the octets it declares, but they need not
                    // be the argument a parser expects (a size that cuts a word, CRLF or NUL inside).
                    int size = Math.Min(literalBudget, random.Chance(0.9) ? random.Next(0, 200) : random.Next(200, 5000));
                    literalBudget -= size;
                    bool binary = random.Chance(0.1);
                    bool sync = !random.Chance(0.35);
                    string header = $"{(binary ? "~" : "")}{{{size}{(sync ? "" : "+")}}}\r\n";
                    current.AddRange(FuzzInput.Ascii(header));
                    var octets = random.Octets(size, withNul: binary || random.Chance(0.1));
                    segments.Add(new Segment([.. current], sync ? LiteralKind.Synchronizing : LiteralKind.NonSynchronizing, octets, size.ToString()));
                    current = [];
                }
                else
                {
                    // A synchronizing literal over every limit: the server must refuse it before the
                    // continuation (RFC 9051 section 7.1, RFC 7888), which ends the command.
                    string size = Authenticated || random.Chance(0.5) ? random.Pick(Oversized) : random.Next(4097, 10000).ToString();
                    current.AddRange(FuzzInput.Ascii($"{{{size}}}\r\n"));
                    segments.Add(new Segment([.. current], LiteralKind.Oversized, [], size));
                    return new FuzzCommand(tag, verb, segments);
                }
            }
            // The line end: CRLF, a bare LF (accepted as a line end), or junk before it; sometimes a
            // bare CR or LF inside the last line, where no literal follows.
            if (current.Count > 0 && random.Chance(0.04))
                current.Insert(random.Next(current.Count), random.Chance(0.5) ? (byte)'\n' : (byte)'\r');
            current.AddRange(FuzzInput.Ascii(random.Next(20) switch { 0 => "\n", 1 => "\r\r\n", 2 => " \r\n", _ => "\r\n" }));
            segments.Add(new Segment([.. current], LiteralKind.None, [], ""));
            return new FuzzCommand(tag, verb, segments);
        }

        /// <summary>A quoted string: escapes, 8-bit, NUL, a backslash before a plain character, or no closing quote.</summary>
        private byte[] Quoted()
        {
            var quoted = new List<byte> { (byte)'"' };
            int parts = random.Next(0, 5);
            for (int i = 0; i < parts; i++)
            {
                quoted.AddRange(random.Next(5) switch
                {
                    0 => "\\\""u8.ToArray(),
                    1 => "\\\\"u8.ToArray(),
                    2 => "\\a"u8.ToArray(),
                    3 => random.Garbage(6),
                    _ => random.Atom(10),
                });
            }
            if (!random.Chance(0.1))
                quoted.Add((byte)'"');
            return [.. quoted];
        }

        /// <summary>Sends <paramref name="command"/> and reads what belongs to it; reconnects when the server ended the session.</summary>
        public async Task RunAsync(FuzzCommand command)
        {
            var client = await ClientAsync();
            bool answered = command.Tag is null;
            foreach (var segment in command.Segments)
            {
                await client.Stream.WriteAsync(segment.Text);
                if (segment.Literal == LiteralKind.NonSynchronizing)
                {
                    await client.Stream.WriteAsync(segment.Octets);
                    continue;
                }
                if (segment.Literal == LiteralKind.None)
                    continue;
                // RFC 9051 7.5: wait for "+" before a synchronizing literal's octets; a tagged answer
                // instead means the command was refused and is over.
                var reply = await AwaitContinuationAsync(client, command);
                if (reply == Reply.Ended)
                    return;
                if (reply == Reply.Refused)
                {
                    answered = true;
                    break;
                }
                Assert.True(segment.Literal != LiteralKind.Oversized, $"seed {random.Seed}: the server asked for {segment.DeclaredSize} octets: {command}");
                await client.Stream.WriteAsync(segment.Octets);
            }

            string probe = $"p{_number}";
            await client.Stream.WriteAsync(FuzzInput.Ascii($"{probe} NOOP\r\n"));
            var seen = new List<string>();
            while (true)
            {
                string? line = await ReadLineAsync(client);
                if (line is not null)
                    seen.Add(line);
                Assert.True(line is not null, $"seed {random.Seed}: the server closed without BYE after: {command}");
                if (line.StartsWith("* BYE ", StringComparison.Ordinal))
                {
                    await EndedAsync(client);
                    return;
                }
                if (line.StartsWith('+'))
                {
                    // A continuation the command asked for (AUTHENTICATE, IDLE), which took the
                    // probe as its answer: DONE ends an IDLE, and a new probe follows.
                    Stats.Continuations++;
                    probe = $"q{_number}";
                    await client.Stream.WriteAsync(FuzzInput.Ascii($"DONE\r\n{probe} NOOP\r\n"));
                    continue;
                }
                if (command.Tag is not null && line.StartsWith(command.Tag + " ", StringComparison.Ordinal))
                {
                    answered = true;
                    Count(line[(command.Tag.Length + 1)..]);
                }
                else if (line.StartsWith("* BAD ", StringComparison.Ordinal))
                {
                    // A line whose tag the server could not read (a CR inside it) is answered untagged.
                    answered = true;
                    Stats.Bad++;
                }
                if (line.StartsWith(probe + " ", StringComparison.Ordinal))
                {
                    Assert.StartsWith(probe + " OK ", line);
                    break;
                }
            }
            Assert.True(answered, $"seed {random.Seed}: no tagged answer to: {command}\n{string.Join("\n", seen)}");

            // A command that may have changed the state (SELECT, EXAMINE, CLOSE, UNSELECT): start
            // again from a new connection in the wanted state.
            if (command.Verb is "SELECT" or "EXAMINE" or "CLOSE" or "UNSELECT")
                Drop();
        }

        private enum Reply { Continue, Refused, Ended }

        private async Task<Reply> AwaitContinuationAsync(TestClient client, FuzzCommand command)
        {
            while (true)
            {
                string? line = await ReadLineAsync(client);
                Assert.True(line is not null, $"seed {random.Seed}: the server closed without BYE during: {command}");
                if (line.StartsWith('+'))
                {
                    Stats.Continuations++;
                    return Reply.Continue;
                }
                if (line.StartsWith("* BYE ", StringComparison.Ordinal))
                {
                    await EndedAsync(client);
                    return Reply.Ended;
                }
                if (line.StartsWith(command.Tag + " ", StringComparison.Ordinal))
                {
                    Count(line[(command.Tag!.Length + 1)..]);
                    return Reply.Refused;
                }
            }
        }

        private void Count(string status)
        {
            if (status.StartsWith("OK", StringComparison.Ordinal))
                Stats.Ok++;
            else if (status.StartsWith("NO", StringComparison.Ordinal))
                Stats.No++;
            else if (status.StartsWith("BAD", StringComparison.Ordinal))
                Stats.Bad++;
            else
                Assert.Fail($"seed {random.Seed}: a tagged answer that is not OK, NO or BAD: {status}");
        }

        /// <summary>After BYE the server closes (RFC 9051 7.1.5): read to the end, and connect anew next time.</summary>
        private async Task EndedAsync(TestClient client)
        {
            Stats.Ended++;
            while (await ReadLineAsync(client) is not null)
            {
            }
            Drop();
        }

        private static async Task<string?> ReadLineAsync(TestClient client)
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

        private void Drop()
        {
            _client?.Dispose();
            _client = null;
        }

        public ValueTask DisposeAsync()
        {
            Drop();
            return ValueTask.CompletedTask;
        }
    }
}
