using System.Diagnostics;
using System.Globalization;
using System.Text;
using Appliance.Storage.Mail;

namespace Appliance.Bench;

/// <summary>
/// Message store figures: durable appends per second (each one fsyncs the file, the directory and
/// the index commit) for 4 KB and 100 KB messages, with one writer, 8 writers on one account and
/// 8 accounts in parallel; and the time to list the newest 50 messages of a large mailbox.
/// </summary>
internal static class StoreBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var dir = Option(args, "--dir") ?? Path.Combine(Path.GetTempPath(), "appliance-bench-" + Guid.NewGuid().ToString("N"));
        var listSize = int.Parse(Option(args, "--list-size") ?? "100000", CultureInfo.InvariantCulture);
        Directory.CreateDirectory(dir);
        Console.WriteLine($"store benchmark in {dir} ({Environment.ProcessorCount} cores)");
        try
        {
            // Warm-up (JIT, SQLite, file system caches); not reported.
            await AppendAsync(dir, "warm-up", 4096, accounts: 1, writersPerAccount: 1, perWriter: 100, report: false);
            foreach (var (size, perWriter) in new[] { (4 * 1024, 800), (100 * 1024, 400) })
            {
                var label = size / 1024 + " KB";
                await AppendAsync(dir, label, size, accounts: 1, writersPerAccount: 1, perWriter);
                await AppendAsync(dir, label, size, accounts: 1, writersPerAccount: 8, perWriter / 4);
                await AppendAsync(dir, label, size, accounts: 8, writersPerAccount: 1, perWriter / 4);
            }

            await ListNewestAsync(dir, listSize);
            return 0;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task AppendAsync(string dir, string label, int size, int accounts, int writersPerAccount, int perWriter, bool report = true)
    {
        using var store = new MessageStore(Path.Combine(dir, Guid.NewGuid().ToString("N")));
        var targets = Enumerable.Range(0, accounts).Select(_ => store.CreateAccount(Guid.NewGuid())).ToList();
        var message = Message(size, 0);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(targets.SelectMany(account => Enumerable.Range(0, writersPerAccount).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < perWriter; i++)
            {
                using var stream = new MemoryStream(message, writable: false);
                await account.AppendAsync("INBOX", stream);
            }
        }))));
        clock.Stop();
        var total = accounts * writersPerAccount * perWriter;
        if (!report)
        {
            return;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"append {label,6}: {accounts} account(s) x {writersPerAccount} writer(s): {total,5} msgs in {clock.Elapsed.TotalSeconds,6:F2} s = {total / clock.Elapsed.TotalSeconds,7:F0} appends/s, {total * (double)size / clock.Elapsed.TotalSeconds / 1e6,6:F1} MB/s"));
    }

    private static Task ListNewestAsync(string dir, int count)
    {
        using var store = new MessageStore(Path.Combine(dir, Guid.NewGuid().ToString("N")));
        var account = store.CreateAccount(Guid.NewGuid());
        var start = DateTimeOffset.UtcNow.AddDays(-365);
        var clock = Stopwatch.StartNew();
        account.ImportWithoutSync("INBOX", Enumerable.Range(0, count).Select(i => (Message(1024, i), start.AddSeconds(i * 17 % count * 300.0))));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"import {count} x 1 KB messages (no fsync, one transaction): {clock.Elapsed.TotalSeconds:F1} s"));

        clock.Restart();
        var first = account.ListNewest("INBOX", 0, 50);
        var cold = clock.Elapsed;
        if (first.Total != count || first.Messages.Count != 50)
        {
            throw new InvalidOperationException("listing returned the wrong page");
        }

        const int runs = 200;
        clock.Restart();
        for (var i = 0; i < runs; i++)
        {
            account.ListNewest("INBOX", 0, 50);
        }

        var warm = clock.Elapsed / runs;
        clock.Restart();
        account.ListNewest("INBOX", count / 2, 50);
        var deep = clock.Elapsed;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"list newest 50 of {count}: first {cold.TotalMilliseconds:F2} ms, then {warm.TotalMilliseconds:F3} ms average over {runs}; page at offset {count / 2}: {deep.TotalMilliseconds:F2} ms"));

        clock.Restart();
        var usage = account.GetQuotaUsage();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"quota usage over {count} messages: {usage} bytes in {clock.Elapsed.TotalMilliseconds:F2} ms"));
        return Task.CompletedTask;
    }

    private static byte[] Message(int size, int n)
    {
        var header = $"From: bench@example.test\r\nTo: box@example.test\r\nSubject: bench {n}\r\nMessage-ID: <{n}@bench.test>\r\n\r\n";
        var sb = new StringBuilder(header, size + 80);
        while (sb.Length < size)
        {
            sb.Append("The quick brown fox jumps over the lazy dog. 0123456789 abcdefghijklmnopqrstuvwxyz\r\n");
        }

        sb.Length = size;
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
