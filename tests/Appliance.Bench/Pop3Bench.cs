using System.Diagnostics;
using System.Globalization;

namespace Appliance.Bench;

/// <summary>
/// The `pop3 --compare` command (issue 6, "POP3 RETR of every message"): our server in this
/// process and a private Debian Dovecot, each serving the same N-message mailbox over implicit
/// TLS, read by the same client: login+STAT latency, UIDL, RETR of every message by 1 or more
/// concurrent sessions, QUIT without DELE (the mailbox stays for the next pass); one table with
/// the ratios.
/// </summary>
internal static class Pop3Bench
{
    private const string Usage = """
        usage: Appliance.Bench pop3 --compare [--messages N (10000)] [--size BYTES (4096)] [--connections C[,C...] (1)]
                                    [--rounds R (3)] [--logins L (20)] [--no-pipelining]
        """;

    private const string Address = "reader@bench.test";

    /// <summary>Every hundredth message of a measured pass is compared octet for octet (all of them in the first session).</summary>
    private const int SpotCheckEvery = 100;

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

    private sealed record Options(int Messages, int Size, IReadOnlyList<int> Connections, int Rounds, int Logins, bool NoPipelining)
    {
        public static Options Parse(string[] args)
        {
            int messages = 10_000, size = 4096, rounds = 3, logins = 20;
            List<int> connections = [1];
            bool compare = false, noPipelining = false;
            for (int i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
                switch (args[i])
                {
                    case "--compare": compare = true; break;
                    case "--no-pipelining": noPipelining = true; break;
                    case "--messages": messages = Positive("--messages", Value()); break;
                    case "--size": size = Positive("--size", Value()); break;
                    case "--rounds": rounds = Positive("--rounds", Value()); break;
                    case "--logins": logins = Positive("--logins", Value()); break;
                    case "--connections":
                        connections = Value().Split(',').Select(v => Positive("--connections", v)).ToList();
                        break;
                    default: throw new ArgumentException($"unknown argument {args[i]}");
                }
            }
            if (!compare)
                throw new ArgumentException("only --compare is implemented (our server against a private Dovecot)");
            if (size < 1024)
                throw new ArgumentException("--size is at least 1024 (the header alone is about 600 octets)");
            // Both servers allow 10 POP3 connections per address (ours: Pop3ConnectionsPerAddress; Dovecot: mail_max_userip_connections).
            if (connections.Any(c => c > 10))
                throw new ArgumentException("--connections is at most 10, both servers' per-address limit");
            return new Options(messages, size, connections, rounds, logins, noPipelining);
        }

        private static int Positive(string name, string value) =>
            int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{name} takes a positive whole number");
    }

    /// <summary>One server as the client sees it.</summary>
    private sealed record Target(string Name, int Port, string User, string Password, Func<TimeSpan> ServerCpu);

    /// <summary>One measured pass of C sessions.</summary>
    /// <param name="Uidl">UIDL of the whole mailbox, median over the sessions.</param>
    /// <param name="Retr">From the moment every session is logged in until the last one has its last message.</param>
    /// <param name="Cpu">Process CPU during the RETR phase: for ours, this process (server and client); for Dovecot, its processes.</param>
    /// <param name="ClientCpu">This process's CPU during Dovecot's RETR phase: the client's share.</param>
    private sealed record Pass(TimeSpan Uidl, TimeSpan Retr, long Octets, int Messages, TimeSpan Cpu, TimeSpan ClientCpu, TimeSpan Quit);

    private static async Task<int> CompareAsync(Options options)
    {
        Console.WriteLine($"pop3 --compare: {options.Messages} messages of ~{options.Size} octets, connections {string.Join(",", options.Connections)}, {options.Rounds} round(s), {Environment.ProcessorCount} cores; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        var messages = BenchMessages.Create(options.Messages, options.Size, "sender@client.bench.test", Address);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"mailbox: {messages.Messages.Count} messages, {messages.TotalOctets / 1e6:F1} MB"));

        var clock = Stopwatch.StartNew();
        await using var ours = await MailBenchHost.StartAsync(Appliance.Server.Listeners.ListenerKind.Pop3s, Address);
        await ours.FillAsync(messages.Messages);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ours: 127.0.0.1:{ours.Port} (implicit TLS), INBOX filled through MailAccount.AppendAsync in {clock.Elapsed.TotalSeconds:F1} s"));
        clock.Restart();
        await using var dovecot = await DovecotBenchServer.StartAsync(DovecotProtocol.Pop3, "reader", messages.Messages);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dovecot: 127.0.0.1:{dovecot.Port} (implicit TLS, {DovecotVersion()}), Maildir written and instance started in {clock.Elapsed.TotalSeconds:F1} s"));

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

        // PIPELINING only when both offer it, so both are read the same way.
        bool pipelined = !options.NoPipelining;
        foreach (var target in targets)
        {
            await using var client = await Pop3BenchClient.ConnectAsync(target.Port);
            var capabilities = await client.CapaAsync();
            Console.WriteLine($"{target.Name}: {client.Protocol}; CAPA {string.Join(" ", capabilities)}");
            pipelined &= capabilities.Contains("PIPELINING");
        }
        Console.WriteLine(pipelined ? "RETR mode: pipelined (both advertise PIPELINING)" : "RETR mode: one command at a time");

        // The first session on each: Dovecot builds dovecot-uidlist and its index here, and both
        // mark every message \Seen at QUIT (RFC 1939 leaves that to the server; both do it). Every
        // message is compared octet for octet. Reported, not part of the measured passes.
        var uidls = new Dictionary<string, IReadOnlyList<string>>();
        var first = new Dictionary<string, TimeSpan>();
        foreach (var target in targets)
        {
            clock.Restart();
            var seen = new bool[messages.Messages.Count];
            var (pass, uidl) = await RunPassAsync(target, 1, pipelined, messages, _ => true, seen);
            first[target.Name] = clock.Elapsed;
            if (seen.Any(s => !s))
                throw new InvalidOperationException($"{target.Name}: {seen.Count(s => !s)} stored messages were not retrieved");
            uidls[target.Name] = uidl;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: first session (cold{(target.Name == "dovecot" ? ", indexes the Maildir" : "")}) {first[target.Name].TotalSeconds:F2} s, every message verified; RETR {pass.Retr.TotalSeconds:F2} s, QUIT {pass.Quit.TotalMilliseconds:F0} ms"));
        }

        // Login latency: connect, TLS handshake, greeting, USER, PASS, STAT; sequential sessions.
        var logins = new Dictionary<string, List<double>>();
        foreach (var target in targets)
        {
            var samples = new List<double>();
            for (int i = 0; i < options.Logins; i++)
            {
                var watch = Stopwatch.StartNew();
                await using var client = await Pop3BenchClient.ConnectAsync(target.Port);
                await client.LoginAsync(target.User, target.Password);
                var (count, _) = await client.StatAsync();
                samples.Add(watch.Elapsed.TotalMilliseconds);
                if (count != options.Messages)
                    throw new InvalidOperationException($"{target.Name}: STAT says {count} messages");
                await client.QuitAsync();
            }
            logins[target.Name] = samples;
        }
        // The password check inside our login: Identity v3's PBKDF2-HMAC-SHA512, 100,000 iterations
        // (ApplianceServices); Dovecot's passwd-file entry is SHA512-CRYPT with 5,000 rounds.
        var hashClock = Stopwatch.StartNew();
        System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2("bench password"u8, new byte[16], 100_000, System.Security.Cryptography.HashAlgorithmName.SHA512, 32);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"one PBKDF2-HMAC-SHA512 x 100,000 (our password check) takes {hashClock.Elapsed.TotalMilliseconds:F1} ms here; Dovecot's entry is SHA512-CRYPT, 5,000 rounds"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"listing our INBOX from the index with every column (what each POP3 login reads before +OK) takes {ours.TimeInboxListing().TotalMilliseconds:F1} ms here"));

        var passes = new Dictionary<(string, int), List<Pass>>();
        for (int round = 1; round <= options.Rounds; round++)
        {
            foreach (int connections in options.Connections)
            {
                foreach (var target in targets)
                {
                    var (pass, uidl) = await RunPassAsync(target, connections, pipelined, messages, n => n % SpotCheckEvery == 1, null);
                    if (!uidl.SequenceEqual(uidls[target.Name]))
                        throw new InvalidOperationException($"{target.Name}: UIDL changed between sessions");
                    if (!passes.TryGetValue((target.Name, connections), out var list))
                        passes[(target.Name, connections)] = list = [];
                    list.Add(pass);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"round {round}, {connections} conn, {target.Name}: UIDL {pass.Uidl.TotalMilliseconds:F1} ms, RETR {pass.Retr.TotalSeconds:F2} s = {pass.Messages / pass.Retr.TotalSeconds:F0} msg/s, {pass.Octets / 1e6 / pass.Retr.TotalSeconds:F1} MB/s, {(target.Name == "ours" ? $"CPU of this process (server and client) {pass.Cpu.TotalMilliseconds:F0} ms" : $"CPU of Dovecot {pass.Cpu.TotalMilliseconds:F0} ms, of this process (client) {pass.ClientCpu.TotalMilliseconds:F0} ms")}, QUIT {pass.Quit.TotalMilliseconds:F0} ms"));
                }
            }
        }

        PrintTable(options, logins, passes, first);
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>
    /// C sessions: each logs in, STATs and UIDLs and LISTs; when all are ready they RETR every
    /// message at once (timed together), then QUIT without DELE.
    /// </summary>
    private static async Task<(Pass Pass, IReadOnlyList<string> Uidl)> RunPassAsync(
        Target target, int connections, bool pipelined, BenchMessages messages, Func<int, bool> wantsContent, bool[]? seen)
    {
        var clients = new List<Pop3BenchClient>();
        try
        {
            var uidlTimes = new List<double>();
            IReadOnlyList<string>? uidl = null;
            IReadOnlyList<long>? listed = null;
            for (int i = 0; i < connections; i++)
            {
                var client = await Pop3BenchClient.ConnectAsync(target.Port);
                clients.Add(client);
                await client.LoginAsync(target.User, target.Password);
                var (count, octets) = await client.StatAsync();
                if (count != messages.Messages.Count || octets != messages.TotalOctets)
                    throw new InvalidOperationException($"{target.Name}: STAT {count} {octets}, stored {messages.Messages.Count} {messages.TotalOctets}");
                var watch = Stopwatch.StartNew();
                var ids = await client.ListingAsync("UIDL", count);
                uidlTimes.Add(watch.Elapsed.TotalMilliseconds);
                if (ids.Distinct(StringComparer.Ordinal).Count() != count)
                    throw new InvalidOperationException($"{target.Name}: UIDL has duplicates");
                uidl ??= ids;
                listed ??= (await client.ListingAsync("LIST", count)).Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToList();
            }

            void Check(int number, ReadOnlyMemory<byte> content)
            {
                int index = messages.IndexOf(content.Span);
                if (index < 0 || !content.Span.SequenceEqual(messages.Messages[index]))
                    throw new InvalidOperationException($"{target.Name}: RETR {number} differs from every stored message");
                if (seen is not null)
                    lock (seen)
                        seen[index] = true;
            }

            var clientCpuStart = Process.GetCurrentProcess().TotalProcessorTime;
            var cpuStart = target.ServerCpu();
            var clock = Stopwatch.StartNew();
            var counts = await Task.WhenAll(clients.Select(c => Task.Run(() => c.RetrAllAsync(messages.Messages.Count, pipelined, listed!, wantsContent, Check))));
            var retr = clock.Elapsed;
            var cpu = target.ServerCpu() - cpuStart;
            var clientCpu = Process.GetCurrentProcess().TotalProcessorTime - clientCpuStart;

            clock.Restart();
            await Task.WhenAll(clients.Select(c => c.QuitAsync()));
            var quit = clock.Elapsed;
            uidlTimes.Sort();
            var pass = new Pass(TimeSpan.FromMilliseconds(uidlTimes[uidlTimes.Count / 2]), retr, counts.Sum(), connections * messages.Messages.Count, cpu, clientCpu, quit);
            return (pass, uidl!);
        }
        finally
        {
            foreach (var client in clients)
                await client.DisposeAsync();
        }
    }

    private static void PrintTable(Options options, Dictionary<string, List<double>> logins, Dictionary<(string, int), List<Pass>> passes, Dictionary<string, TimeSpan> first)
    {
        Console.WriteLine();
        Console.WriteLine($"| {options.Messages} x ~{options.Size} octets, implicit TLS | ours | Dovecot | ratio (>1: ours better) |");
        Console.WriteLine("|---|---:|---:|---:|");
        void Row(string label, double ours, double dovecot, bool higherIsBetter, string format = "F1") =>
            Console.WriteLine($"| {label} | {ours.ToString(format, CultureInfo.InvariantCulture)} | {dovecot.ToString(format, CultureInfo.InvariantCulture)} | {(higherIsBetter ? ours / dovecot : dovecot / ours).ToString("F2", CultureInfo.InvariantCulture)} |");
        Row($"login+STAT p50 ms (connect, TLS, USER/PASS, STAT; {options.Logins} sessions)", Percentile(logins["ours"], 0.5), Percentile(logins["dovecot"], 0.5), false);
        Row("login+STAT p90 ms", Percentile(logins["ours"], 0.9), Percentile(logins["dovecot"], 0.9), false);
        Row("first session s (cold; Dovecot indexes the Maildir; all verified)", first["ours"].TotalSeconds, first["dovecot"].TotalSeconds, false, "F2");
        foreach (int c in options.Connections)
        {
            var o = passes[("ours", c)];
            var d = passes[("dovecot", c)];
            string label = $"{c} conn";
            Row($"{label}: UIDL ms (median)", Median(o.Select(p => p.Uidl.TotalMilliseconds)), Median(d.Select(p => p.Uidl.TotalMilliseconds)), false);
            Row($"{label}: RETR all s ({c} x {options.Messages} messages)", Median(o.Select(p => p.Retr.TotalSeconds)), Median(d.Select(p => p.Retr.TotalSeconds)), false, "F2");
            Row($"{label}: messages/s", Median(o.Select(p => p.Messages / p.Retr.TotalSeconds)), Median(d.Select(p => p.Messages / p.Retr.TotalSeconds)), true, "F0");
            Row($"{label}: MB/s", Median(o.Select(p => p.Octets / 1e6 / p.Retr.TotalSeconds)), Median(d.Select(p => p.Octets / 1e6 / p.Retr.TotalSeconds)), true);
            // Ours: this process's CPU during our pass less its CPU during Dovecot's pass of the same round (the client's share).
            var oursCpu = o.Zip(d, (ours, dove) => (ours.Cpu - dove.ClientCpu).TotalMilliseconds / ours.Messages);
            Row($"{label}: server CPU ms/message (ours ~)", Median(oursCpu), Median(d.Select(p => p.Cpu.TotalMilliseconds / p.Messages)), false, "F3");
            Row($"{label}: QUIT ms (all sessions)", Median(o.Select(p => p.Quit.TotalMilliseconds)), Median(d.Select(p => p.Quit.TotalMilliseconds)), false);
        }
        foreach (int c in options.Connections)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"client CPU ms/message, {c} conn (this process during Dovecot's RETR phase, subtracted from ours): {Median(passes[("dovecot", c)].Select(p => p.ClientCpu.TotalMilliseconds / p.Messages)):F3}"));
        Console.WriteLine($"Rates and times are medians over {options.Rounds} round(s). CPU: Dovecot's is its master and every child (pop3-login, pop3, auth...) during the RETR phase; ours (~) is this process's CPU during our RETR phase less its CPU during Dovecot's (the client's share).");
    }

    private static double Median(IEnumerable<double> values) => Percentile(values.ToList(), 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    private static string DovecotVersion()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(DovecotBenchServer.Binary, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
            string version = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return "Dovecot " + version;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "Dovecot";
        }
    }
}
