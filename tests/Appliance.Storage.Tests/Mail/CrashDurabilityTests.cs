using System.Diagnostics;
using System.Text;
using Appliance.Storage.CrashWriter;
using Appliance.Storage.Mail;
using Xunit.Abstractions;

namespace Appliance.Storage.Tests.Mail;

/// <summary>
/// Kills a real appending process with SIGKILL at random moments and checks that every append
/// it acknowledged (printed) survived, byte for byte, that the index and the Maildir agree after
/// reopening, and that a reindex from the Maildir alone recovers every message under its UID.
/// </summary>
public sealed class CrashDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const int Rounds = 20;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "appliance-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Acknowledged_appends_survive_sigkill_and_a_lost_index()
    {
        var writer = CrashWriterBuild.DllPath;
        var storeId = Guid.NewGuid();
        using (var store = new MessageStore(_root))
        {
            store.CreateAccount(storeId);
        }

        var seed = Environment.TickCount;
        output.WriteLine($"random seed {seed}");
        var random = new Random(seed);
        var acknowledged = new Dictionary<uint, long>();
        uint lastPrinted = 0;
        for (var round = 0; round < Rounds; round++)
        {
            var killAfter = random.Next(1, 12);
            var printed = await RunAndKillAsync(writer, storeId, firstSeq: round * 1_000_000L, killAfter);
            Assert.True(printed.Count >= killAfter, $"round {round}: the writer printed {printed.Count} of {killAfter} lines");
            foreach (var (uid, seq) in printed)
            {
                Assert.True(uid > lastPrinted, $"UID {uid} printed after {lastPrinted}: UIDs must strictly increase");
                lastPrinted = uid;
                acknowledged.Add(uid, seq);
            }

            VerifyAfterReopen(storeId, acknowledged);
        }

        // Lose the index entirely; the Maildir alone must give every message back under its UID.
        uint uidValidity;
        List<uint> uidsBefore;
        using (var store = new MessageStore(_root))
        {
            var account = store.OpenAccount(storeId);
            uidValidity = account.GetMailbox("INBOX").UidValidity;
            uidsBefore = account.ListMessagesByUid("INBOX").Select(m => m.Uid).ToList();
        }

        foreach (var file in Directory.GetFiles(Path.Combine(_root, storeId.ToString("N")), "index.sqlite*"))
        {
            File.Delete(file);
        }

        using (var store = new MessageStore(_root))
        {
            var result = store.Reindex(storeId);
            Assert.Equal(0, result.NewUids);
            var account = store.OpenAccount(storeId);
            Assert.Equal(uidValidity, account.GetMailbox("INBOX").UidValidity);
            Assert.Equal(uidsBefore, account.ListMessagesByUid("INBOX").Select(m => m.Uid));
        }

        VerifyAfterReopen(storeId, acknowledged);
        output.WriteLine($"{acknowledged.Count} acknowledged, {uidsBefore.Count} stored after {Rounds} kills");
    }

    private void VerifyAfterReopen(Guid storeId, Dictionary<uint, long> acknowledged)
    {
        using var store = new MessageStore(_root);
        var account = store.OpenAccount(storeId);
        var rows = account.ListMessagesByUid("INBOX");
        var rowUids = rows.Select(r => r.Uid).ToHashSet();

        foreach (var (uid, seq) in acknowledged)
        {
            Assert.True(rowUids.Contains(uid), $"acknowledged UID {uid} is missing");
        }

        // Every indexed message (acknowledged or adopted) is complete and byte-identical.
        foreach (var row in rows)
        {
            using var stream = account.OpenMessage("INBOX", row.Uid);
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var seq = SeqOf(bytes);
            if (acknowledged.TryGetValue(row.Uid, out var expectedSeq))
            {
                Assert.Equal(expectedSeq, seq);
            }

            Assert.Equal(CrashMessage.Create(seq), bytes);
            Assert.Equal(bytes.Length, row.Size);
        }

        // The index and the Maildir agree: no unindexed file, no row without a file.
        var folder = Path.Combine(_root, storeId.ToString("N"), "f" + account.GetMailbox("INBOX").Id);
        var fileUids = Directory.GetFiles(Path.Combine(folder, "cur"))
            .Select(f => MaildirName.Parse(Path.GetFileName(f)).Uid ?? 0)
            .ToList();
        Assert.Equal(rowUids.Order(), fileUids.Order());
        Assert.Empty(Directory.GetFiles(Path.Combine(folder, "new")));
        Assert.True(account.GetMailbox("INBOX").UidNext > (rowUids.Count == 0 ? 0 : rowUids.Max()));
    }

    private async Task<List<(uint Uid, long Seq)>> RunAndKillAsync(string writer, Guid storeId, long firstSeq, int killAfter)
    {
        var start = new ProcessStartInfo(CrashWriterBuild.DotnetHost)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(writer);
        start.ArgumentList.Add(_root);
        start.ArgumentList.Add(storeId.ToString());
        start.ArgumentList.Add(firstSeq.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var lines = new List<string>();
        try
        {
            while (lines.Count < killAfter)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
                if (line is null)
                {
                    Assert.Fail($"the writer exited early: {await stderr}");
                }

                lines.Add(line);
            }
        }
        finally
        {
            // SIGKILL on Unix: no finalizers, no flushing, exactly a crash.
            process.Kill();
            await process.WaitForExitAsync();
        }

        // Lines already written to the pipe before the kill count as acknowledged; a torn last line does not.
        var rest = await process.StandardOutput.ReadToEndAsync();
        var complete = rest.LastIndexOf('\n');
        if (complete >= 0)
        {
            lines.AddRange(rest[..complete].Split('\n'));
        }

        return lines.Select(l => l.Split(' ')).Select(p => (uint.Parse(p[0]), long.Parse(p[1]))).ToList();
    }

    private static long SeqOf(byte[] message)
    {
        var text = Encoding.ASCII.GetString(message, 0, Math.Min(message.Length, 200));
        var start = text.IndexOf("Subject: crash ", StringComparison.Ordinal) + "Subject: crash ".Length;
        return long.Parse(text[start..text.IndexOf('\r', start)]);
    }
}

/// <summary>
/// Finds the crash writer's dll. The test project references the CrashWriter project for build
/// order only (ReferenceOutputAssembly=false), so building the tests builds it, in the same
/// configuration, in its own output folder.
/// </summary>
internal static class CrashWriterBuild
{
    public static string DllPath { get; } = Locate();

    public static string DotnetHost { get; } =
        Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";

    private static string Locate()
    {
        var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
        var framework = output.Name;
        var configuration = output.Parent!.Name;
        var repository = output;
        while (!File.Exists(Path.Combine(repository.FullName, "Appliance.sln")))
        {
            repository = repository.Parent ?? throw new InvalidOperationException("Appliance.sln not found above " + AppContext.BaseDirectory);
        }

        var dll = Path.Combine(repository.FullName, "tests", "Appliance.Storage.CrashWriter", "bin", configuration, framework, "Appliance.Storage.CrashWriter.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("The crash writer was not built with the tests", dll);
    }
}
