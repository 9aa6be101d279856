// RFC 1939 section 3 (commands, "+OK"/"-ERR" replies, multi-line replies ending in "."), RFC 2449
// section 4 (255-octet command lines), RFC 5034 (AUTH continuations). Random command lines in the
// AUTHORIZATION and TRANSACTION states: each gets one reply, or the session ends with a last reply
// and a close; afterwards the server is usable and its memory bounded.
using System.Net.Security;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Server.Listeners;
using Appliance.Server.Pop3;
using Appliance.Server.Tests.Listeners;
using Appliance.Storage.Mail;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Appliance.Server.Tests.Pop3;

[Collection(nameof(FuzzCollection))]
public sealed partial class Pop3FuzzTests(ITestOutputHelper output)
{
    private const string User = "alice@example.org";
    private const string Password = "pop password 1";

    /// <summary>Command lines per state: a few seconds each over TLS on loopback.</summary>
    private const int Commands = 500;

    public enum StartState { Authorization, Transaction }

    [Theory]
    [InlineData(StartState.Authorization, 1939)]
    [InlineData(StartState.Transaction, 2449)]
    public async Task Random_command_lines_each_get_one_reply_or_end_the_session_and_the_server_stays_usable(StartState state, int seed)
    {
        await using var server = await TestMailServer.StartAsync<Pop3Handler>(ListenerKind.Pop3s, options =>
        {
            options.Pop3.AuthFailureDelay = TimeSpan.Zero;
        }, services => services.AddPop3Server());
        await LiveHeap.SeedMailboxAsync(server.Services, User, Password, Enumerable.Range(1, 5).Select(i =>
            $"From: carol@example.net\r\nTo: {User}\r\nSubject: fuzz {i}\r\n\r\nbody {i}\r\n.line with a dot\r\n"));

        // One normal session first, so that what is allocated once (JIT, pools, caches) is not counted.
        await UsableAsync(server);
        long before = LiveHeap.Measure();

        var fuzz = new Pop3FuzzSession(server, state, new FuzzInput(seed));
        for (int i = 0; i < Commands; i++)
            await fuzz.RunAsync(fuzz.Generate());
        fuzz.Dispose();

        await UsableAsync(server);
        long growth = LiveHeap.Measure() - before;
        var stats = fuzz.Stats;
        output.WriteLine($"seed {seed}, {state}: {stats}, heap growth {growth:N0} bytes");
        Assert.True(growth < LiveHeap.FuzzGrowthBound, $"seed {seed}: the managed heap grew by {growth:N0} bytes");

        Assert.True(stats.Err > Commands / 10, $"seed {seed}: {stats}");
        Assert.True(stats.Ended > 0, $"seed {seed}: {stats}");
        if (state == StartState.Transaction)
            Assert.True(stats.Ok > 0, $"seed {seed}: {stats}");
        else
            Assert.True(stats.Continuations > 0, $"seed {seed}: {stats}"); // AUTH PLAIN without a response was cancelled with "*"
    }

    /// <summary>A fresh connection and a normal login, STAT and QUIT, answered as always.</summary>
    private static async Task UsableAsync(TestMailServer server)
    {
        using var client = await Pop3FuzzSession.ConnectAsync(server);
        await client.SendAsync($"USER {User}\r\nPASS {Password}\r\nSTAT\r\nQUIT\r\n");
        Assert.Equal("+OK Send your password", await client.ReadLineAsync());
        Assert.StartsWith("+OK Logged in, ", await client.ReadLineAsync());
        Assert.Matches(@"^\+OK \d+ \d+$", await client.ReadLineAsync());
        Assert.StartsWith("+OK Bye", await client.ReadLineAsync());
        Assert.True(await client.IsClosedByServerAsync());
    }

    public sealed record FuzzStats
    {
        public int Ok { get; set; }
        public int Err { get; set; }
        public int MultiLine { get; set; }
        public int Ended { get; set; }
        public int Continuations { get; set; }
    }

    /// <summary>
    /// The first lines of our multi-line replies (RFC 1939: CAPA, LIST and UIDL without argument,
    /// RETR, TOP; RFC 5034: AUTH without argument). A client knows them by the command it sent; a
    /// fuzzed line is not always the command the server read, so the reply tells.
    /// </summary>
    [GeneratedRegex(@"^\+OK (Capability list follows|Unique-id listing follows|\d+ messages|Mechanisms follow|Top of message follows|\d+ octets)$")]
    private static partial Regex MultiLineReply();

    /// <summary>The replies after which the server closes: QUIT's, and those that say so.</summary>
    private static bool IsLastReply(string line) =>
        line.StartsWith("+OK Bye", StringComparison.Ordinal)
        || line.Contains("closing connection", StringComparison.Ordinal)
        || line.StartsWith("-ERR [SYS/TEMP] Some deleted messages were not removed", StringComparison.Ordinal);

    private sealed class Pop3FuzzSession(TestMailServer server, StartState state, FuzzInput random) : IDisposable
    {
        private static readonly string[] Verbs =
        [
            "USER", "PASS", "APOP", "AUTH", "STLS", "CAPA", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "RSET",
            "NOOP", "QUIT", "LAST", "XTND", "UTF8", "",
        ];

        private static readonly string[] Words =
        [
            "0", "1", "2", "3", "5", "6", "-1", "+1", "01", "4294967296", "99999999999999999999", "1 2", "1 0", "2 99999",
            "PLAIN", "LOGIN", "CRAM-MD5", "*", "=", "AGFsaWNlQGV4YW1wbGUub3JnAHdyb25n", "!!!", User, Password, "alice",
        ];

        private static readonly string[] RealLines =
        [
            "CAPA", "STAT", "LIST", "LIST 1", "UIDL", "UIDL 2", "RETR 1", "TOP 1 0", "TOP 2 1", "DELE 3", "RSET", "NOOP",
            "AUTH", "AUTH PLAIN", "AUTH PLAIN", "AUTH PLAIN =", "USER " + User, "PASS wrong", "STLS", "QUIT",
        ];

        private TestClient? _client;

        public FuzzStats Stats { get; } = new();

        public static async Task<TestClient> ConnectAsync(TestMailServer server)
        {
            var client = await server.ConnectAsync();
            var ssl = new SslStream(client.Stream, leaveInnerStreamOpen: true, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(TestMailServer.Hostname).WaitAsync(TestMailServer.Guard);
            client.Stream = ssl;
            Assert.Equal("+OK Appliance POP3 server ready", await client.ReadLineAsync());
            return client;
        }

        private async Task<TestClient> ClientAsync()
        {
            if (_client is not null)
                return _client;
            var client = await ConnectAsync(server);
            if (state == StartState.Transaction)
            {
                await client.SendAsync($"USER {User}\r\nPASS {Password}\r\n");
                Assert.Equal("+OK Send your password", await client.ReadLineAsync());
                Assert.StartsWith("+OK Logged in, ", await client.ReadLineAsync());
            }
            return _client = client;
        }

        /// <summary>One command line, LF-terminated; no LF inside it, so that one line is one command.</summary>
        public byte[] Generate()
        {
            var line = new List<byte>();
            if (random.Chance(0.03))
            {
                // Past RFC 2449's 255 octets, sometimes far past.
                line.AddRange(FuzzInput.Ascii("NOOP "));
                line.AddRange(random.Atom(random.Chance(0.5) ? 300 : 5000));
                while (line.Count < 256)
                    line.AddRange(random.Atom(100));
            }
            else if (random.Chance(0.15))
            {
                // A real command line, so that the commands run, not only the parser.
                line.AddRange(FuzzInput.Ascii(random.Pick(RealLines)));
            }
            else
            {
                line.AddRange(FuzzInput.Ascii(random.RandomCase(random.Pick(Verbs))));
                int arguments = random.Next(0, 5);
                for (int a = 0; a < arguments; a++)
                {
                    line.AddRange(FuzzInput.Ascii(random.Next(10) switch { 0 => "", 1 => "  ", _ => " " }));
                    line.AddRange(random.Next(10) switch
                    {
                        < 5 => FuzzInput.Ascii(random.Pick(Words)),
                        < 7 => random.Atom(30),
                        < 9 => random.Garbage(20),
                        _ => FuzzInput.Ascii(Convert.ToBase64String(random.Octets(random.Next(1, 60), withNul: true))),
                    });
                }
                if (line.Count > 0 && random.Chance(0.03))
                    line.Insert(random.Next(line.Count), (byte)'\r');
            }
            line.AddRange(FuzzInput.Ascii(random.Next(10) switch { 0 => "\n", 1 => "\r\r\n", _ => "\r\n" }));
            return [.. line];
        }

        public async Task RunAsync(byte[] line)
        {
            var client = await ClientAsync();
            await client.Stream.WriteAsync(line);
            string shown = Encoding.Latin1.GetString(line).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
            while (true)
            {
                string? reply = await ReadLineAsync(client);
                Assert.True(reply is not null, $"seed {random.Seed}: the server closed without a reply to: {shown}");
                if (reply is "+" or "+ " || reply.StartsWith("+ ", StringComparison.Ordinal))
                {
                    // RFC 5034 section 4: "*" cancels the authentication exchange.
                    Stats.Continuations++;
                    await client.Stream.WriteAsync("*\r\n"u8.ToArray());
                    continue;
                }
                if (reply.StartsWith("-ERR", StringComparison.Ordinal))
                    Stats.Err++;
                else if (reply.StartsWith("+OK", StringComparison.Ordinal))
                    Stats.Ok++;
                else
                    Assert.Fail($"seed {random.Seed}: a reply that is neither +OK nor -ERR: {reply} (to {shown})");

                if (IsLastReply(reply))
                {
                    Stats.Ended++;
                    Assert.True(await ReadLineAsync(client) is null, $"seed {random.Seed}: still open after: {reply}");
                    Drop();
                    return;
                }
                if (MultiLineReply().IsMatch(reply))
                {
                    Stats.MultiLine++;
                    while (await ReadLineAsync(client) is { } data && data != ".")
                    {
                    }
                }
                return;
            }
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

        public void Dispose() => Drop();
    }
}
