using System.Globalization;
using Appliance.Mime;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Appliance.Bench;

/// <summary>
/// MIME parse figures: structure and headers (MimeParser: the part tree with offsets, every header
/// block parsed) of the golden corpus and of generated 4 KB, 100 KB and 2 MB messages, on one core,
/// with MemoryDiagnoser for bytes allocated per message. Prints MB/s from the measured means.
/// `mime --cpu` runs the same cases timed by process CPU time instead (see <see cref="RunCpu"/>).
/// </summary>
internal static class MimeBench
{
    public static int Run(string[] args)
    {
        if (args.Contains("--cpu"))
        {
            return RunCpu();
        }
        Summary summary = BenchmarkRunner.Run<MimeParseBenchmarks>(DefaultConfig.Instance, args);
        var sizes = new MimeParseBenchmarks();
        sizes.Setup();
        Console.WriteLine();
        Console.WriteLine("benchmark                 bytes/op     mean        MB/s     alloc/op");
        foreach (BenchmarkReport report in summary.Reports)
        {
            string name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            if (report.ResultStatistics is null)
            {
                continue;
            }
            double nanoseconds = report.ResultStatistics.Mean;
            long bytes = sizes.BytesPerOperation(name);
            double megabytesPerSecond = bytes / nanoseconds * 1e9 / 1e6;
            long? allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-24} {bytes,9} {nanoseconds / 1000,10:F1} us {megabytesPerSecond,8:F0} {allocated,10} B"));
        }
        return 0;
    }

    /// <summary>
    /// `mime --cpu`: each benchmark for a fixed number of operations, timed by this process's CPU time
    /// rather than the wall clock, best of five rounds. On cores shared with other builds the wall
    /// clock mostly measures the others; CPU time (which includes our GC threads) much less so.
    /// </summary>
    private static int RunCpu()
    {
        var benchmarks = new MimeParseBenchmarks();
        benchmarks.Setup();
        (string Name, Func<int> Run, int PerCall, int Calls)[] cases =
        [
            (nameof(MimeParseBenchmarks.Corpus), benchmarks.Corpus, 27, 20_000),
            (nameof(MimeParseBenchmarks.Plain4K), benchmarks.Plain4K, 1, 200_000),
            (nameof(MimeParseBenchmarks.SummaryCorpus), benchmarks.SummaryCorpus, 27, 5_000),
            (nameof(MimeParseBenchmarks.SummaryPlain4K), benchmarks.SummaryPlain4K, 1, 100_000),
            (nameof(MimeParseBenchmarks.Attachment100K), benchmarks.Attachment100K, 1, 5_000),
        ];
        Console.WriteLine("benchmark                 bytes/op   cpu/op        MB/s     alloc/op   (best of 5 rounds, process CPU time)");
        foreach ((string name, Func<int> run, int perCall, int calls) in cases)
        {
            for (int i = 0; i < calls / 10; i++)
            {
                run(); // warm up: tiered compilation settles
            }
            double best = double.MaxValue;
            long allocated = 0;
            for (int round = 0; round < 5; round++)
            {
                long bytesBefore = GC.GetAllocatedBytesForCurrentThread();
                TimeSpan before = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                for (int i = 0; i < calls; i++)
                {
                    run();
                }
                double seconds = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
                best = Math.Min(best, seconds / ((double)calls * perCall));
                allocated = (GC.GetAllocatedBytesForCurrentThread() - bytesBefore) / ((long)calls * perCall);
            }
            long bytes = benchmarks.BytesPerOperation(name);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-24} {bytes,9} {best * 1e6,10:F2} us {bytes / best / 1e6,8:F0} {allocated,10} B"));
        }
        return 0;
    }
}

/// <summary>The parse benchmarks; per-message figures (corpus: OperationsPerInvoke = message count).</summary>
[MemoryDiagnoser]
public class MimeParseBenchmarks
{
    private byte[][] corpus = [];
    private byte[] plain4K = [];
    private byte[] attachment100K = [];
    private byte[] attachments2M = [];

    [GlobalSetup]
    public void Setup()
    {
        corpus = [.. Directory.EnumerateFiles(CorpusDirectory(), "*.eml", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        if (corpus.Length != CorpusMessages)
        {
            throw new InvalidOperationException($"The corpus has {corpus.Length} messages; set CorpusMessages to match.");
        }
        var random = new Random(42);
        plain4K = Generate(random, textBytes: 4 * 1024 - 400, attachmentSizes: []);
        attachment100K = Generate(random, textBytes: 2000, attachmentSizes: [72 * 1024]);
        attachments2M = Generate(random, textBytes: 8000, attachmentSizes: [600 * 1024, 500 * 1024, 300 * 1024, 80 * 1024]);
    }

    /// <summary>Bytes parsed by one operation, for MB/s.</summary>
    public long BytesPerOperation(string benchmark) => benchmark switch
    {
        nameof(Corpus) or nameof(SummaryCorpus) => corpus.Sum(m => (long)m.Length) / corpus.Length,
        nameof(Plain4K) or nameof(SummaryPlain4K) => plain4K.Length,
        nameof(Attachment100K) => attachment100K.Length,
        _ => attachments2M.Length,
    };

    // OperationsPerInvoke needs a constant: the golden corpus's message count, checked in Setup.
    private const int CorpusMessages = 27;

    [Benchmark(OperationsPerInvoke = CorpusMessages)]
    public int Corpus()
    {
        int parts = 0;
        foreach (byte[] message in corpus)
        {
            parts += Count(MimeParser.Parse(message));
        }
        return parts;
    }

    [Benchmark]
    public int Plain4K() => Count(MimeParser.Parse(plain4K));

    /// <summary>The store's append path: the list-view summary (header fields, attachment flag, preview) of each corpus message.</summary>
    [Benchmark(OperationsPerInvoke = CorpusMessages)]
    public int SummaryCorpus()
    {
        int length = 0;
        foreach (byte[] message in corpus)
        {
            length += MessageSummary.Read(new MemoryStream(message, writable: false)).Preview.Length;
        }
        return length;
    }

    [Benchmark]
    public int SummaryPlain4K() => MessageSummary.Read(new MemoryStream(plain4K, writable: false)).Preview.Length;

    [Benchmark]
    public int Attachment100K() => Count(MimeParser.Parse(attachment100K));

    [Benchmark]
    public int Attachments2M() => Count(MimeParser.Parse(attachments2M));

    /// <summary>The real path: parsing from a stream in 64 KB reads.</summary>
    [Benchmark]
    public int Attachments2MStream() => Count(MimeParser.Parse(new MemoryStream(attachments2M, writable: false)));

    private static int Count(MimeEntity entity)
    {
        int count = 1;
        foreach (MimeEntity child in entity.Children)
        {
            count += Count(child);
        }
        return count;
    }

    private static byte[] Generate(Random random, int textBytes, int[] attachmentSizes)
    {
        var builder = new MessageBuilder
        {
            From = new MailboxAddress("Alice Example", "alice", "example.org"),
            Subject = "Quarterly figures and the plan for next week",
            Date = new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero),
        };
        builder.To.Add(new MailboxAddress("Bob", "bob", "example.net"));
        builder.Cc.Add(new MailboxAddress(null, "carol", "example.com"));
        const string Words = "the quick brown fox jumps over the lazy dog and then some more words follow ";
        var text = new System.Text.StringBuilder();
        while (text.Length < textBytes)
        {
            text.Append(Words.AsSpan(0, 40 + random.Next(Words.Length - 40))).Append('\n');
        }
        builder.TextBody = text.ToString();
        for (int i = 0; i < attachmentSizes.Length; i++)
        {
            byte[] content = new byte[attachmentSizes[i]];
            random.NextBytes(content);
            builder.AddAttachment($"file{i}.bin", content);
        }
        return builder.ToArray();
    }

    private static string CorpusDirectory([System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
        Path.Combine(Path.GetDirectoryName(source)!, "..", "Appliance.Mime.Tests", "Corpus");
}
