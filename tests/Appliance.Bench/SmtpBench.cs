using System.Diagnostics;
using System.Globalization;
using Appliance.Dns;

namespace Appliance.Bench;

/// <summary>
/// The `smtp` command. Without --compare: a load generator against any SMTP server (see
/// <see cref="SmtpLoadGenerator"/>). With --compare: our server (in this process) and a private
/// Debian Postfix side by side, the same load against each, for 1 and 20 connections and 4 KB and
/// 100 KB messages, in one table (the issue's "at least Postfix's rate" target).
/// </summary>
internal static class SmtpBench
{
    private const string Usage = """
        usage: Appliance.Bench smtp --host H --port P [--connections N] [--messages M] [--size BYTES]
                                    [--from ADDR] --to ADDR [ADDR...] [--rotate-to] [--starttls] [--auth USER:PASSWORD]
                 (--rotate-to: each message to one --to address in turn, not to all)
               Appliance.Bench smtp --compare [--small-messages N] [--large-messages N] [--rounds R] [--system-dns] [--ours-only] [--cases I,J...]
                 (--ours-only: no Postfix, for profiling our server under the same load; --cases: only these rows, 1-based)
        """;

    /// <summary>The domain both servers accept mail for in --compare (.test: RFC 2606, never real).</summary>
    private const string CompareDomain = "bench.test";

    /// <summary>The sender in --compare. Its domain has no DNS records, so our SPF check ends at a quick NXDOMAIN, as for most spam-free test senders.</summary>
    private const string CompareSender = "sender@client.bench.test";

    /// <summary>Mailboxes of the spread case (one per connection of the 20-connection cases).</summary>
    private const int SpreadMailboxes = 20;

    /// <summary>Time allowed for Postfix's queue manager to put every accepted message in the Maildir.</summary>
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var parsed = Arguments.Parse(args);
            return parsed.Has("--compare") ? await CompareAsync(parsed) : await LoadAsync(parsed);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
    }

    private static async Task<int> LoadAsync(Arguments parsed)
    {
        string? auth = parsed.Single("--auth");
        string? user = null, password = null;
        if (auth is not null)
        {
            int colon = auth.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw new ArgumentException("--auth takes USER:PASSWORD");
            (user, password) = (auth[..colon], auth[(colon + 1)..]);
        }
        var to = parsed.All("--to");
        if (to.Count == 0)
            throw new ArgumentException("--to is required");
        var options = new SmtpLoadOptions(
            parsed.Single("--host") ?? "127.0.0.1",
            parsed.Int("--port") ?? throw new ArgumentException("--port is required"),
            parsed.Int("--connections") ?? 1,
            parsed.Int("--messages") ?? 1000,
            parsed.Int("--size") ?? 4096,
            parsed.Single("--from") ?? "bench@bench-client.test",
            to,
            parsed.Has("--starttls"),
            user,
            password,
            RotateRecipients: parsed.Has("--rotate-to"));
        Console.WriteLine($"smtp load: {options.Host}:{options.Port}, {options.Connections} connection(s), {options.Messages} message(s) of {options.Size} octets, {to.Count} recipient(s){(options.StartTls ? ", STARTTLS" : "")}{(user is null ? "" : ", AUTH PLAIN")}");
        var result = await SmtpLoadGenerator.RunAsync(options);
        Print(result);
        return result.Errors == 0 ? 0 : 1;
    }

    private static void Print(SmtpLoadResult result)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"accepted {result.Accepted} in {result.Elapsed.TotalSeconds:F2} s: {result.MessagesPerSecond:F1} msg/s, {result.MegabytesPerSecond:F2} MB/s, latency p50 {result.P50Milliseconds:F1} ms, p99 {result.P99Milliseconds:F1} ms, errors {result.Errors}, recipients refused {result.RecipientsRefused}"));
        foreach (string sample in result.ErrorSamples)
            Console.WriteLine("  error: " + sample);
    }

    /// <summary>One load; with several mailboxes each message goes to one of them in turn.</summary>
    private sealed record Case(int Connections, int Size, int Messages, int Mailboxes = 1)
    {
        public string Label => $"{Connections} conn x {Size / 1024} KB" + (Mailboxes > 1 ? $", {Mailboxes} mailboxes" : "");
    }

    /// <param name="OursCpu">Our server's CPU for the case: this process's CPU during our run less its CPU during Postfix's run (the load generator's share, the same load).</param>
    /// <param name="PostfixCpu">All of Postfix's processes, from the first message until the last is in the Maildir.</param>
    /// <param name="OursIndexed">From our first message until the last has its full-text row (the store indexes after the 250, once deliveries pause).</param>
    private sealed record CaseResult(Case Case, SmtpLoadResult Ours, SmtpLoadResult Postfix, TimeSpan PostfixMaildirComplete, int OursStored, TimeSpan OursCpu, TimeSpan PostfixCpu, TimeSpan OursIndexed);

    private static async Task<int> CompareAsync(Arguments parsed)
    {
        int small = parsed.Int("--small-messages") ?? 2000;
        int large = parsed.Int("--large-messages") ?? 500;
        int rounds = parsed.Int("--rounds") ?? 1;
        Case[] cases =
        [
            new(1, 4 * 1024, small),
            new(20, 4 * 1024, small),
            new(1, 100 * 1024, large),
            new(20, 100 * 1024, large),
            // Not in the issue's matrix: the same 20 connections spread over 20 mailboxes. Our
            // appends to one account are serialised (UID order, one index transaction at a time);
            // Postfix's single Maildir has no such lock, so this row shows what that costs.
            new(20, 4 * 1024, small, SpreadMailboxes),
        ];
        if (parsed.Single("--cases") is string only)
        {
            var wanted = only.Split(',').Select(i => int.TryParse(i, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1 && n <= cases.Length
                ? n - 1 : throw new ArgumentException($"--cases takes numbers from 1 to {cases.Length}")).ToHashSet();
            cases = cases.Where((_, i) => wanted.Contains(i)).ToArray();
        }
        Console.WriteLine($"smtp --compare: {Environment.ProcessorCount} cores, {rounds} round(s); each case {small} x 4 KB or {large} x 100 KB messages;");
        Console.WriteLine("our server in this process (the load generator shares its CPU), Postfix in its own processes; both on 127.0.0.1, both fsync before 250.");

        // Our port 25 checks SPF and DMARC for every message (Postfix does neither by default). The
        // resolver of these machines answers NXDOMAIN without an SOA (so nothing may be cached,
        // RFC 2308 5) and drops a share of UDP queries that grows with concurrency (about 1 in 60
        // one at a time, 1 in 4 at 20 at once), each drop costing a 5 s resolv.conf timeout: that
        // would measure the resolver. So by default DNS answers in process (every name NXDOMAIN,
        // as a local caching resolver would from its cache); --system-dns keeps the real one.
        bool systemDns = parsed.Has("--system-dns");
        Console.WriteLine(systemDns ? "DNS for our SPF/DMARC checks: the system resolver (--system-dns)" : "DNS for our SPF/DMARC checks: answered in process, every name NXDOMAIN (--system-dns to use the system resolver)");
        await using var ours = await SmtpBenchHost.StartAsync(CompareDomain, Recipients(SpreadMailboxes), systemDns ? null : new FakeDnsResolver());
        if (parsed.Has("--ours-only"))
            return await OursOnlyAsync(ours, cases, rounds);
        await using var postfix = await PostfixBenchServer.StartAsync(CompareDomain);
        Console.WriteLine($"ours on 127.0.0.1:{ours.Port}, postfix on 127.0.0.1:{postfix.Port}");

        // Warm-up, not reported: SQLite and the page cache warm, Postfix's process pool up, and our
        // JIT done (see WarmUpOursAsync).
        await WarmUpOursAsync(ours);
        int warmDelivered = 0;
        foreach (var c in WarmUpCases)
            warmDelivered += (await RunCaseAsync(postfix.Port, c)).Accepted;
        if (!await postfix.WaitForDeliveredAsync(warmDelivered, DeliveryTimeout))
            throw new InvalidOperationException("Postfix did not deliver the warm-up messages:\n" + postfix.ReadLog());

        using var self = Process.GetCurrentProcess();
        var results = new List<CaseResult>();
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var c in cases)
            {
                int oursBefore = ours.StoredCount();
                var processCpu = self.TotalProcessorTime;
                var oursClock = Stopwatch.StartNew();
                var oursResult = await RunCaseAsync(ours.Port, c);
                // Our CPU includes the text indexing, and Postfix is not measured while it runs.
                await ours.FlushBackgroundWorkAsync();
                oursClock.Stop();
                self.Refresh();
                var oursAndGenerator = self.TotalProcessorTime - processCpu;
                int oursStored = ours.StoredCount() - oursBefore;

                int postfixBefore = postfix.DeliveredCount();
                var postfixCpu = postfix.CpuTime();
                processCpu = self.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                var postfixResult = await RunCaseAsync(postfix.Port, c);
                self.Refresh();
                var generator = self.TotalProcessorTime - processCpu;
                bool delivered = await postfix.WaitForDeliveredAsync(postfixBefore + postfixResult.Accepted, DeliveryTimeout);
                clock.Stop();
                postfixCpu = postfix.CpuTime() - postfixCpu;
                if (!delivered)
                    throw new InvalidOperationException($"Postfix delivered only {postfix.DeliveredCount() - postfixBefore} of {postfixResult.Accepted} in {DeliveryTimeout}:\n{postfix.ReadLog()}");

                var result = new CaseResult(c, oursResult, postfixResult, clock.Elapsed, oursStored, oursAndGenerator - generator, postfixCpu, oursClock.Elapsed);
                results.Add(result);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}, {c.Label}: ours {oursResult.MessagesPerSecond:F1} msg/s ({oursResult.Errors} errors, {oursStored} stored, text index complete after {oursClock.Elapsed.TotalSeconds:F2} s), postfix {postfixResult.MessagesPerSecond:F1} msg/s ({postfixResult.Errors} errors), postfix Maildir complete after {clock.Elapsed.TotalSeconds:F2} s; CPU ms/msg ours ~{PerMessage(result.OursCpu, oursResult):F2}, postfix {PerMessage(result.PostfixCpu, postfixResult):F2}"));
                foreach (string sample in oursResult.ErrorSamples.Concat(postfixResult.ErrorSamples))
                    Console.WriteLine("  error: " + sample);
            }
        }

        PrintTable(cases, results);
        Console.WriteLine("CPU ms/msg: Postfix's is every process of the instance until the message is in the Maildir; ours (~) is this process's CPU during our run and its text indexing, less its CPU during Postfix's run, i.e. without the load generator.");
        Console.WriteLine("msg/s is accepted and durable (250 after fsync). Ours indexes each message's text for IMAP SEARCH after the 250 (Postfix indexes nothing); the index column says when that was done.");
        bool clean = results.All(r => r.Ours.Errors == 0 && r.Postfix.Errors == 0 && r.OursStored == r.Ours.Accepted);
        return clean ? 0 : 1;
    }

    /// <summary>One warm-up round: both sizes, one and several connections.</summary>
    private static readonly Case[] WarmUpCases = [new(1, 4 * 1024, 300), new(4, 4 * 1024, 1200), new(1, 100 * 1024, 50), new(4, 100 * 1024, 150)];

    /// <summary>A warm-up round that compiles fewer methods than this leaves the JIT quiet enough to measure.</summary>
    private const long QuietJitMethods = 25;

    /// <summary>Warm-up rounds at most (a server whose JIT never settles is measured anyway, and says so).</summary>
    private const int MaxWarmUpRounds = 8;

    /// <summary>
    /// Runs warm-up rounds until a round makes the JIT compile almost nothing: tiered compilation
    /// recompiles hot methods (with their profile) well after their first calls, and a fixed few
    /// hundred messages still showed the JIT at a sixth to a quarter of our CPU in the measured
    /// cases; Postfix, in C, has nothing to warm.
    /// </summary>
    private static async Task WarmUpOursAsync(SmtpBenchHost ours)
    {
        long compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        for (int round = 1; ; round++)
        {
            foreach (var c in WarmUpCases)
                await RunCaseAsync(ours.Port, c);
            await ours.FlushBackgroundWorkAsync();
            long now = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (now - compiled < QuietJitMethods || round == MaxWarmUpRounds)
            {
                Console.WriteLine($"our warm-up: {round} round(s); the last compiled {now - compiled} method(s); JIT time so far {System.Runtime.JitInfo.GetCompilationTime().TotalSeconds:F1} s");
                return;
            }
            compiled = now;
        }
    }

    /// <summary>The same warm-up and cases against our server alone (to profile it without Postfix's processes on the machine).</summary>
    private static async Task<int> OursOnlyAsync(SmtpBenchHost ours, Case[] cases, int rounds)
    {
        Console.WriteLine($"ours on 127.0.0.1:{ours.Port}; CPU ms/msg includes the load generator");
        await WarmUpOursAsync(ours);
        using var self = Process.GetCurrentProcess();
        bool clean = true;
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var c in cases)
            {
                int before = ours.StoredCount();
                self.Refresh();
                var cpu = self.TotalProcessorTime;
                long jit = System.Runtime.JitInfo.GetCompiledMethodCount();
                var clock = Stopwatch.StartNew();
                var result = await RunCaseAsync(ours.Port, c);
                await ours.FlushBackgroundWorkAsync();
                clock.Stop();
                self.Refresh();
                int stored = ours.StoredCount() - before;
                clean &= result.Errors == 0 && stored == result.Accepted;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {round}, {c.Label}: {result.MessagesPerSecond:F1} msg/s, p50 {result.P50Milliseconds:F1} ms, p99 {result.P99Milliseconds:F1} ms, {result.Errors} errors, {stored} stored, text index complete after {clock.Elapsed.TotalSeconds:F2} s, CPU ms/msg (with indexing) {PerMessage(self.TotalProcessorTime - cpu, result):F2}, methods compiled meanwhile {System.Runtime.JitInfo.GetCompiledMethodCount() - jit}"));
            }
        }
        return clean ? 0 : 1;
    }

    private static Task<SmtpLoadResult> RunCaseAsync(int port, Case c) =>
        SmtpLoadGenerator.RunAsync(new SmtpLoadOptions("127.0.0.1", port, c.Connections, c.Messages, c.Size, CompareSender,
            Recipients(c.Mailboxes), RotateRecipients: true));

    /// <summary>rcpt1@, rcpt2@ ...: Postfix's static map sends them all to its one Maildir.</summary>
    private static string[] Recipients(int count) =>
        Enumerable.Range(1, count).Select(i => $"rcpt{i.ToString(CultureInfo.InvariantCulture)}@{CompareDomain}").ToArray();

    private static double PerMessage(TimeSpan cpu, SmtpLoadResult result) => cpu.TotalMilliseconds / Math.Max(result.Accepted, 1);

    /// <summary>One row per case; with several rounds, each figure is the median over the rounds.</summary>
    private static void PrintTable(Case[] cases, List<CaseResult> results)
    {
        Console.WriteLine();
        Console.WriteLine("| case | ours msg/s | postfix msg/s | ratio ours/postfix | ours MB/s | postfix MB/s | ours p50 / p99 ms | postfix p50 / p99 ms | ours text index complete s (msg/s end to end) | postfix Maildir complete s (msg/s end to end) | CPU ms/msg ours~ / postfix | errors ours/postfix |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            var rows = results.Where(r => r.Case == c).ToList();
            double ours = Median(rows.Select(r => r.Ours.MessagesPerSecond));
            double postfix = Median(rows.Select(r => r.Postfix.MessagesPerSecond));
            double complete = Median(rows.Select(r => r.PostfixMaildirComplete.TotalSeconds));
            double indexed = Median(rows.Select(r => r.OursIndexed.TotalSeconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c.Label} ({c.Messages} msgs) | {ours:F1} | {postfix:F1} | {ours / postfix:F2} | {Median(rows.Select(r => r.Ours.MegabytesPerSecond)):F2} | {Median(rows.Select(r => r.Postfix.MegabytesPerSecond)):F2} | {Median(rows.Select(r => r.Ours.P50Milliseconds)):F1} / {Median(rows.Select(r => r.Ours.P99Milliseconds)):F1} | {Median(rows.Select(r => r.Postfix.P50Milliseconds)):F1} / {Median(rows.Select(r => r.Postfix.P99Milliseconds)):F1} | {indexed:F2} ({c.Messages / indexed:F1}) | {complete:F2} ({c.Messages / complete:F1}) | {Median(rows.Select(r => PerMessage(r.OursCpu, r.Ours))):F2} / {Median(rows.Select(r => PerMessage(r.PostfixCpu, r.Postfix))):F2} | {rows.Sum(r => r.Ours.Errors)}/{rows.Sum(r => r.Postfix.Errors)} |"));
        }
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>"--name value" options; --to takes every value up to the next option; flags have no value.</summary>
    private sealed class Arguments
    {
        private static readonly HashSet<string> Flags = ["--compare", "--starttls", "--system-dns", "--rotate-to", "--ours-only"];
        private static readonly HashSet<string> Known = ["--host", "--port", "--connections", "--messages", "--size", "--from", "--to", "--auth", "--small-messages", "--large-messages", "--rounds", "--cases"];
        private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

        public static Arguments Parse(string[] args)
        {
            var parsed = new Arguments();
            string? current = null;
            foreach (string arg in args)
            {
                if (arg.StartsWith("--", StringComparison.Ordinal))
                {
                    if (!Flags.Contains(arg) && !Known.Contains(arg))
                        throw new ArgumentException($"unknown option {arg}");
                    if (!parsed._values.ContainsKey(arg))
                        parsed._values[arg] = [];
                    current = Flags.Contains(arg) ? null : arg;
                    continue;
                }
                if (current is null)
                    throw new ArgumentException($"unexpected argument {arg}");
                parsed._values[current].Add(arg);
                if (current != "--to")
                    current = null;
            }
            foreach (var (name, values) in parsed._values)
            {
                if (Known.Contains(name) && values.Count == 0)
                    throw new ArgumentException($"{name} needs a value");
            }
            return parsed;
        }

        public bool Has(string name) => _values.ContainsKey(name);

        public string? Single(string name) => _values.TryGetValue(name, out var values) ? values[^1] : null;

        public IReadOnlyList<string> All(string name) =>
            _values.TryGetValue(name, out var values) ? values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList() : [];

        public int? Int(string name)
        {
            string? value = Single(name);
            if (value is null)
                return null;
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0
                ? n
                : throw new ArgumentException($"{name} takes a positive whole number");
        }
    }
}
