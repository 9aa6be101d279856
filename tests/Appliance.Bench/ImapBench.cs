using System.Diagnostics;
using System.Globalization;
using Appliance.Server.Listeners;

namespace Appliance.Bench;

/// <summary>
/// The `imap --compare` command: our server in this process and a private Debian Dovecot, each
/// serving the same N-message INBOX over implicit TLS (993), read by the same client: login
/// latency, SELECT of the whole mailbox, UID FETCH 1:* (FLAGS) (what a client does to resync), the
/// headers of S messages (a message list) and S whole messages (reading), FETCH 1:* (ENVELOPE), UID
/// SEARCH by subject and by body text, STORE on 1,000 messages (set, then cleared: the mailbox ends as
/// it began), by 1 or more concurrent sessions; then 20 sessions doing a mix of all that for 20
/// seconds (operations per second). One table with the ratios. Fetches are BODY.PEEK.
/// </summary>
internal static class ImapBench
{
    private const string Usage = """
        usage: Appliance.Bench imap --compare [--messages N (10000)] [--size BYTES (4096)] [--connections C[,C...] (1,4)]
                                    [--rounds R (3)] [--logins L (20)] [--sample S (100)] [--load-seconds T (20)] [--ours-only]
          (--ours-only: no Dovecot; the same phases R times against our server alone, medians and
           minimums per phase, for profiling, e.g. under perf with DOTNET_PerfMapEnabled=1)
        """;

    private const string Address = "reader@bench.test";

    public static async Task<int> RunAsync(string[] args)
    {
        Options options;
        try
        {
            options = Options.Parse(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        return await CompareAsync(options);
    }

    private sealed record Options(int Messages, int Size, IReadOnlyList<int> Connections, int Rounds, int Logins, int Sample, int LoadSeconds = 20, bool OursOnly = false)
    {
        public static Options Parse(string[] args)
        {
            if (!args.Contains("--compare"))
                throw new ArgumentException("imap: only --compare is implemented (ours against a private Dovecot)");
            int messages = 10_000, size = 4096, rounds = 3, logins = 20, sample = 100, loadSeconds = 20;
            bool oursOnly = false;
            IReadOnlyList<int> connections = [1, 4];
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                int Positive(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
                    ? n : throw new ArgumentException($"not a positive number: {text}");
                switch (args[i])
                {
                    case "--compare": break;
                    case "--ours-only": oursOnly = true; break;
                    case "--messages": messages = Positive(Value()); break;
                    case "--size": size = Positive(Value()); break;
                    case "--connections": connections = Value().Split(',').Select(Positive).ToList(); break;
                    case "--rounds": rounds = Positive(Value()); break;
                    case "--logins": logins = Positive(Value()); break;
                    case "--sample": sample = Positive(Value()); break;
                    case "--load-seconds": loadSeconds = Positive(Value()); break;
                    default: throw new ArgumentException($"unknown option {args[i]}");
                }
            }
            if (sample > messages)
                throw new ArgumentException("--sample cannot exceed --messages");
            // Both servers allow 20 sessions per user (ImapServerOptions.MaxConnectionsPerUser; the Dovecot config).
            if (connections.Any(c => c > 20))
                throw new ArgumentException("--connections: at most 20 sessions per user");
            return new Options(messages, size, connections, rounds, logins, sample, loadSeconds, oursOnly);
        }
    }

    /// <summary>A server under test: where it listens, how to log in, and how much CPU it has used so far.</summary>
    private sealed record Target(string Name, int Port, string User, string Password, Func<TimeSpan> ServerCpu);

    /// <summary>One measured pass of C sessions, each phase timed from the moment all sessions start it until the last finishes.</summary>
    /// <param name="Flags">UID FETCH 1:* (FLAGS).</param>
    /// <param name="Headers">FETCH of the sample's BODY.PEEK[HEADER].</param>
    /// <param name="Bodies">FETCH of the sample's BODY.PEEK[].</param>
    /// <param name="Cpu">Process CPU during the three phases: for ours, this process (server and client); for Dovecot, its processes.</param>
    /// <param name="ClientCpu">This process's CPU during the phases: the client's share when the target is Dovecot.</param>
    /// <param name="Envelopes">FETCH 1:* (ENVELOPE).</param>
    /// <param name="SearchSubject">UID SEARCH SUBJECT of a common word.</param>
    /// <param name="SearchBody">UID SEARCH BODY of a common word.</param>
    /// <param name="Store">STORE 1:1000 +FLAGS.SILENT (\Flagged), then -FLAGS.SILENT.</param>
    /// <param name="Hits">Results of the two searches, to check that both servers found the same.</param>
    private sealed record Pass(TimeSpan Flags, TimeSpan Headers, TimeSpan Bodies, long Octets, TimeSpan Cpu, TimeSpan ClientCpu,
        TimeSpan Envelopes, TimeSpan SearchSubject, TimeSpan SearchBody, TimeSpan Store, (int Subject, int Body) Hits);

    private static async Task<int> CompareAsync(Options options)
    {
        Console.WriteLine($"imap --compare: {options.Messages} messages of ~{options.Size} octets, sample {options.Sample}, connections {string.Join(",", options.Connections)}, {options.Rounds} round(s), {Environment.ProcessorCount} cores; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        var messages = BenchMessages.Create(options.Messages, options.Size, "sender@client.bench.test", Address);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mailbox: {messages.Messages.Count} messages, {messages.TotalOctets / 1e6:F1} MB"));

        var clock = Stopwatch.StartNew();
        await using var ours = await MailBenchHost.StartAsync(ListenerKind.Imaps, Address);
        await ours.FillAsync(messages.Messages);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours: 127.0.0.1:{ours.Port} (implicit TLS), INBOX filled through MailAccount.AppendAsync in {clock.Elapsed.TotalSeconds:F1} s"));
        if (options.OursOnly)
            return await OursOnlyAsync(options, ours, messages);
        clock.Restart();
        await using var dovecot = await DovecotBenchServer.StartAsync(DovecotProtocol.Imap, "reader", messages.Messages);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dovecot: 127.0.0.1:{dovecot.Port} (implicit TLS), Maildir written and instance started in {clock.Elapsed.TotalSeconds:F1} s"));

        using var self = Process.GetCurrentProcess();
        TimeSpan SelfCpu()
        {
            self.Refresh();
            return self.TotalProcessorTime;
        }
        var targets = new[]
        {
            new Target("ours", ours.Port, Address, ours.Password, SelfCpu),
            new Target("dovecot", dovecot.Port, dovecot.User, dovecot.Password, dovecot.CpuTime),
        };
        foreach (var target in targets)
        {
            await using var client = await ImapBenchClient.ConnectAsync(target.Port);
            Console.WriteLine($"{target.Name}: {client.Protocol}; {client.Greeting}");
        }

        // The first session on each: Dovecot indexes the Maildir at this SELECT. Every message is
        // fetched whole and compared octet for octet. Reported, not part of the measured passes.
        var first = new Dictionary<string, TimeSpan>();
        foreach (var target in targets)
        {
            clock.Restart();
            await using var client = await ImapBenchClient.ConnectAsync(target.Port);
            await client.LoginAsync(target.User, target.Password);
            int exists = await client.SelectAsync("INBOX");
            if (exists != options.Messages)
                throw new InvalidOperationException($"{target.Name}: SELECT says {exists} messages");
            var seen = new bool[messages.Messages.Count];
            await client.FetchAsync("FETCH 1:* (BODY.PEEK[])", (_, literals) => seen[Verify(target, messages, Whole(literals))] = true);
            await client.LogoutAsync();
            first[target.Name] = clock.Elapsed;
            if (seen.Any(s => !s))
                throw new InvalidOperationException($"{target.Name}: {seen.Count(s => !s)} stored messages were not fetched");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: first session (cold{(target.Name == "dovecot" ? ", indexes the Maildir" : "")}) {first[target.Name].TotalSeconds:F2} s, every message fetched and verified"));
        }

        // Login latency (connect, TLS handshake, greeting, LOGIN) and SELECT of the whole INBOX, sequential sessions.
        var logins = new Dictionary<string, List<double>>();
        var selects = new Dictionary<string, List<double>>();
        foreach (var target in targets)
        {
            logins[target.Name] = [];
            selects[target.Name] = [];
            for (int i = 0; i < options.Logins; i++)
            {
                var watch = Stopwatch.StartNew();
                await using var client = await ImapBenchClient.ConnectAsync(target.Port);
                await client.LoginAsync(target.User, target.Password);
                logins[target.Name].Add(watch.Elapsed.TotalMilliseconds);
                watch.Restart();
                int exists = await client.SelectAsync("INBOX");
                selects[target.Name].Add(watch.Elapsed.TotalMilliseconds);
                if (exists != options.Messages)
                    throw new InvalidOperationException($"{target.Name}: SELECT says {exists} messages");
                await client.LogoutAsync();
            }
        }

        // The sample: S messages spread over the mailbox, by sequence number.
        string sample = string.Join(',', Enumerable.Range(0, options.Sample).Select(i => (1 + (long)i * options.Messages / options.Sample).ToString(CultureInfo.InvariantCulture)));
        var passes = new Dictionary<(string, int), List<Pass>>();
        for (int round = 1; round <= options.Rounds; round++)
        {
            foreach (int connections in options.Connections)
            {
                foreach (var target in targets)
                {
                    var pass = await RunPassAsync(target, connections, options, sample, messages);
                    if (!passes.TryGetValue((target.Name, connections), out var list))
                        passes[(target.Name, connections)] = list = [];
                    list.Add(pass);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round}, {connections} conn, {target.Name}: FLAGS 1:* {pass.Flags.TotalMilliseconds:F1} ms, {options.Sample} headers {pass.Headers.TotalMilliseconds:F1} ms, {options.Sample} bodies {pass.Bodies.TotalMilliseconds:F1} ms, {(target.Name == "ours" ? $"CPU of this process (server and client) {pass.Cpu.TotalMilliseconds:F0} ms" : $"CPU of Dovecot {pass.Cpu.TotalMilliseconds:F0} ms, of this process (client) {pass.ClientCpu.TotalMilliseconds:F0} ms")}"));
                }
            }
        }

        var mixed = new Dictionary<string, double>();
        foreach (var target in targets)
        {
            mixed[target.Name] = await MixedLoadAsync(target, 20, options.LoadSeconds, options.Messages);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: 20 sessions, mixed operations for {options.LoadSeconds} s: {mixed[target.Name]:F0} ops/s"));
        }
        foreach (var ((name, c), list) in passes.Where(p => p.Key.Item1 == "ours"))
        {
            var theirs = passes[("dovecot", c)];
            if (list.Select(p => p.Hits).Distinct().Single() != theirs.Select(p => p.Hits).Distinct().Single())
                Console.WriteLine($"WARNING: search results differ: ours {list[0].Hits}, Dovecot {theirs[0].Hits}");
        }

        PrintTable(options, logins, selects, passes, first, mixed);
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>
    /// --ours-only: login latency, then the measured pass R times per connection count against our
    /// server alone, each phase's median and minimum printed (no ratios: there is nothing to compare).
    /// </summary>
    private static async Task<int> OursOnlyAsync(Options options, MailBenchHost ours, BenchMessages messages)
    {
        var target = new Target("ours", ours.Port, Address, ours.Password, () => Process.GetCurrentProcess().TotalProcessorTime);
        var logins = new List<double>();
        for (int i = 0; i < options.Logins; i++)
        {
            var watch = Stopwatch.StartNew();
            await using var client = await ImapBenchClient.ConnectAsync(target.Port);
            await client.LoginAsync(target.User, target.Password);
            logins.Add(watch.Elapsed.TotalMilliseconds);
            await client.LogoutAsync();
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"login p50 {Percentile(logins, 0.5):F1} ms, p90 {Percentile(logins, 0.9):F1} ms"));
        string sample = string.Join(',', Enumerable.Range(0, options.Sample).Select(i => (1 + (long)i * options.Messages / options.Sample).ToString(CultureInfo.InvariantCulture)));
        foreach (int connections in options.Connections)
        {
            var passes = new List<Pass>();
            for (int round = 0; round < options.Rounds; round++)
                passes.Add(await RunPassAsync(target, connections, options, sample, messages));
            void Line(string phase, Func<Pass, TimeSpan> of) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{connections} conn: {phase}: median {Median(passes.Select(p => of(p).TotalMilliseconds)):F1} ms, min {passes.Min(p => of(p).TotalMilliseconds):F1} ms"));
            Line("UID FETCH 1:* (FLAGS)", p => p.Flags);
            Line($"FETCH {options.Sample} x BODY.PEEK[HEADER]", p => p.Headers);
            Line($"FETCH {options.Sample} x BODY.PEEK[]", p => p.Bodies);
            Line("FETCH 1:* (ENVELOPE)", p => p.Envelopes);
            Line($"UID SEARCH SUBJECT ({passes[0].Hits.Subject} hits)", p => p.SearchSubject);
            Line($"UID SEARCH BODY ({passes[0].Hits.Body} hits)", p => p.SearchBody);
            Line("STORE on 1000 messages, set and clear", p => p.Store);
            // CPU time moves less than wall time when other work shares the cores.
            Line("CPU of this process (server and client) for FLAGS, headers and bodies", p => p.Cpu);
        }
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>C sessions log in and SELECT INBOX; then all run each phase at once, verified, and LOGOUT.</summary>
    private static async Task<Pass> RunPassAsync(Target target, int connections, Options options, string sample, BenchMessages messages)
    {
        var clients = new List<ImapBenchClient>();
        try
        {
            for (int i = 0; i < connections; i++)
            {
                var client = await ImapBenchClient.ConnectAsync(target.Port);
                clients.Add(client);
                await client.LoginAsync(target.User, target.Password);
                await client.SelectAsync("INBOX");
            }
            long octets = 0;

            async Task<TimeSpan> PhaseAsync(Func<ImapBenchClient, Task> phase)
            {
                var watch = Stopwatch.StartNew();
                await Task.WhenAll(clients.Select(c => Task.Run(() => phase(c))));
                return watch.Elapsed;
            }

            var clientCpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var cpuStart = target.ServerCpu();
            var flags = await PhaseAsync(async client =>
            {
                int count = await client.FetchAsync("UID FETCH 1:* (FLAGS)", null);
                if (count != options.Messages)
                    throw new InvalidOperationException($"{target.Name}: UID FETCH 1:* (FLAGS) gave {count} responses");
            });
            var headers = await PhaseAsync(async client =>
            {
                int count = await client.FetchAsync($"FETCH {sample} (BODY.PEEK[HEADER])", (_, literals) =>
                {
                    byte[] header = Whole(literals);
                    int index = messages.IndexOf(header);
                    byte[] message = index >= 0 ? messages.Messages[index] : [];
                    int end = message.AsSpan().IndexOf("\r\n\r\n"u8);
                    if (end < 0 || !header.AsSpan().SequenceEqual(message.AsSpan(0, end + 4)))
                        throw new InvalidOperationException($"{target.Name}: a BODY[HEADER] differs from every stored header");
                    Interlocked.Add(ref octets, header.Length);
                });
                if (count != options.Sample)
                    throw new InvalidOperationException($"{target.Name}: {count} header responses for {options.Sample} messages");
            });
            var bodies = await PhaseAsync(async client =>
            {
                int count = await client.FetchAsync($"FETCH {sample} (BODY.PEEK[])", (_, literals) =>
                {
                    byte[] body = Whole(literals);
                    Verify(target, messages, body);
                    Interlocked.Add(ref octets, body.Length);
                });
                if (count != options.Sample)
                    throw new InvalidOperationException($"{target.Name}: {count} body responses for {options.Sample} messages");
            });
            var cpu = target.ServerCpu() - cpuStart;
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuStart;

            var envelopes = await PhaseAsync(async client =>
            {
                int count = await client.FetchAsync("FETCH 1:* (ENVELOPE)", null);
                if (count != options.Messages)
                    throw new InvalidOperationException($"{target.Name}: FETCH 1:* (ENVELOPE) gave {count} responses");
            });
            int subjectHits = 0, bodyHits = 0;
            var searchSubject = await PhaseAsync(async client => subjectHits = SearchHits(await client.RunAsync("UID SEARCH SUBJECT quarterly")));
            var searchBody = await PhaseAsync(async client => bodyHits = SearchHits(await client.RunAsync("UID SEARCH BODY budget")));
            int storeCount = Math.Min(1000, options.Messages);
            var store = await PhaseAsync(async client =>
            {
                await client.RunAsync($"STORE 1:{storeCount} +FLAGS.SILENT (\\Flagged)");
                await client.RunAsync($"STORE 1:{storeCount} -FLAGS.SILENT (\\Flagged)");
            });

            await Task.WhenAll(clients.Select(c => c.LogoutAsync()));
            return new Pass(flags, headers, bodies, octets, cpu, clientCpu, envelopes, searchSubject, searchBody, store, (subjectHits, bodyHits));
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }

    /// <summary>The count of UIDs in "* SEARCH n n n" (or an ESEARCH ALL set).</summary>
    private static int SearchHits(List<string> lines)
    {
        var search = lines.SingleOrDefault(l => l.StartsWith("* SEARCH", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("no SEARCH response: " + string.Join(" | ", lines));
        return search.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length - 2;
    }

    /// <summary>
    /// S sessions each repeat a random operation for T seconds: 10 messages' flags and envelopes,
    /// one whole message, a subject search, one message flagged and unflagged, or NOOP. Returns the
    /// operations per second of all sessions together.
    /// </summary>
    private static async Task<double> MixedLoadAsync(Target target, int sessions, int seconds, int messageCount)
    {
        var clients = new List<ImapBenchClient>();
        try
        {
            for (int i = 0; i < sessions; i++)
            {
                var client = await ImapBenchClient.ConnectAsync(target.Port);
                clients.Add(client);
                await client.LoginAsync(target.User, target.Password);
                await client.SelectAsync("INBOX");
            }
            long operations = 0;
            var until = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(clients.Select((client, index) => Task.Run(async () =>
            {
                var random = new Random(index);
                while (until.Elapsed < limit)
                {
                    int n = random.Next(1, messageCount + 1);
                    switch (random.Next(5))
                    {
                        case 0: await client.FetchAsync($"FETCH {n}:{Math.Min(messageCount, n + 9)} (FLAGS ENVELOPE)", null); break;
                        case 1: await client.FetchAsync($"FETCH {n} (BODY.PEEK[])", null); break;
                        case 2: await client.RunAsync("UID SEARCH SUBJECT report"); break;
                        case 3:
                            await client.RunAsync($"STORE {n} +FLAGS.SILENT (\\Flagged)");
                            await client.RunAsync($"STORE {n} -FLAGS.SILENT (\\Flagged)");
                            break;
                        default: await client.RunAsync("NOOP"); break;
                    }
                    Interlocked.Increment(ref operations);
                }
            })));
            double rate = operations / until.Elapsed.TotalSeconds;
            await Task.WhenAll(clients.Select(c => c.LogoutAsync()));
            return rate;
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }

    /// <summary>The one literal of a FETCH response that asked for one section.</summary>
    private static byte[] Whole(IReadOnlyList<byte[]> literals) =>
        literals.Count == 1 ? literals[0] : throw new InvalidOperationException($"a FETCH response with {literals.Count} literals, 1 expected");

    /// <summary>The index of the stored message <paramref name="content"/> is, octet for octet; throws when none.</summary>
    private static int Verify(Target target, BenchMessages messages, byte[] content)
    {
        int index = messages.IndexOf(content);
        if (index < 0 || !content.AsSpan().SequenceEqual(messages.Messages[index]))
            throw new InvalidOperationException($"{target.Name}: a BODY[] differs from every stored message");
        return index;
    }

    private static void PrintTable(Options options, Dictionary<string, List<double>> logins, Dictionary<string, List<double>> selects,
        Dictionary<(string, int), List<Pass>> passes, Dictionary<string, TimeSpan> first, Dictionary<string, double> mixed)
    {
        Console.WriteLine();
        Console.WriteLine($"| {options.Messages} x ~{options.Size} octets, implicit TLS | ours | Dovecot | ratio (>1: ours better) |");
        Console.WriteLine("|---|---:|---:|---:|");
        void Row(string label, double ours, double dovecot, string format = "F1") =>
            Console.WriteLine($"| {label} | {ours.ToString(format, CultureInfo.InvariantCulture)} | {dovecot.ToString(format, CultureInfo.InvariantCulture)} | {(dovecot / ours).ToString("F2", CultureInfo.InvariantCulture)} |");
        Row($"login p50 ms (connect, TLS, LOGIN; {options.Logins} sessions)", Percentile(logins["ours"], 0.5), Percentile(logins["dovecot"], 0.5));
        Row("login p90 ms", Percentile(logins["ours"], 0.9), Percentile(logins["dovecot"], 0.9));
        Row($"SELECT INBOX p50 ms ({options.Messages} messages)", Percentile(selects["ours"], 0.5), Percentile(selects["dovecot"], 0.5));
        Row("SELECT INBOX p90 ms", Percentile(selects["ours"], 0.9), Percentile(selects["dovecot"], 0.9));
        Row("first session s (cold; Dovecot indexes the Maildir; every message fetched)", first["ours"].TotalSeconds, first["dovecot"].TotalSeconds, "F2");
        foreach (int c in options.Connections)
        {
            var o = passes[("ours", c)];
            var d = passes[("dovecot", c)];
            string label = $"{c} conn";
            Row($"{label}: UID FETCH 1:* (FLAGS) ms", Median(o.Select(p => p.Flags.TotalMilliseconds)), Median(d.Select(p => p.Flags.TotalMilliseconds)));
            Row($"{label}: FETCH {options.Sample} x BODY.PEEK[HEADER] ms", Median(o.Select(p => p.Headers.TotalMilliseconds)), Median(d.Select(p => p.Headers.TotalMilliseconds)));
            Row($"{label}: FETCH {options.Sample} x BODY.PEEK[] ms", Median(o.Select(p => p.Bodies.TotalMilliseconds)), Median(d.Select(p => p.Bodies.TotalMilliseconds)));
            Row($"{label}: FETCH 1:* (ENVELOPE) ms", Median(o.Select(p => p.Envelopes.TotalMilliseconds)), Median(d.Select(p => p.Envelopes.TotalMilliseconds)));
            Row($"{label}: UID SEARCH SUBJECT ms ({o[0].Hits.Subject} hits)", Median(o.Select(p => p.SearchSubject.TotalMilliseconds)), Median(d.Select(p => p.SearchSubject.TotalMilliseconds)));
            Row($"{label}: UID SEARCH BODY ms ({o[0].Hits.Body} hits)", Median(o.Select(p => p.SearchBody.TotalMilliseconds)), Median(d.Select(p => p.SearchBody.TotalMilliseconds)));
            Row($"{label}: STORE on 1000 messages, set and clear, ms", Median(o.Select(p => p.Store.TotalMilliseconds)), Median(d.Select(p => p.Store.TotalMilliseconds)));
            // Ours: this process's CPU during our pass less its CPU during Dovecot's pass of the same round (the client's share).
            var oursCpu = o.Zip(d, (ours, dove) => (ours.Cpu - dove.ClientCpu).TotalMilliseconds);
            Row($"{label}: server CPU ms for the three phases (ours ~)", Median(oursCpu), Median(d.Select(p => p.Cpu.TotalMilliseconds)));
        }
        // Operations per second: more is better, so the ratio is ours / Dovecot.
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| 20 sessions, mixed operations, ops/s ({options.LoadSeconds} s) | {mixed["ours"]:F0} | {mixed["dovecot"]:F0} | {mixed["ours"] / mixed["dovecot"]:F2} |"));
        Console.WriteLine($"Times are medians over {options.Rounds} round(s); with C connections every session runs each phase at once and the time is until the last one finishes. CPU: Dovecot's is its master and every child (imap-login, imap, auth...); ours (~) is this process's CPU less its CPU during Dovecot's pass (the client's share).");
    }

    private static double Median(IEnumerable<double> values) => Percentile(values.ToList(), 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }
}
