using System.Diagnostics;
using System.Net;
using System.Text;
using Appliance.Dns;
using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Spf;

namespace Appliance.Bench;

/// <summary>
/// DKIM sign and verify per second for 10 KB messages (rsa-sha256 2048 and ed25519-sha256), and SPF
/// evaluations per second with every DNS answer served from memory (FakeDnsResolver): the cost of
/// an evaluation once the resolver's cache is warm, without the cache lookup itself. One core.
/// </summary>
internal static class MailAuthBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        TimeSpan duration = TimeSpan.FromSeconds(args.Length > 0 && double.TryParse(args[0], out double s) ? s : 3);
        Console.WriteLine($"mailauth benchmark, {duration.TotalSeconds:0} s per case, {Environment.ProcessorCount} cores (one used)");
        byte[] message = TenKilobyteMessage();

        foreach (var (name, key) in new[] { ("rsa-sha256 2048", DkimSigningKey.GenerateRsa(2048)), ("ed25519-sha256", DkimSigningKey.GenerateEd25519()) })
        {
            var signer = new DkimSigner(key, "example.com", "bench");
            Report($"DKIM sign   {name}", duration, () => signer.Sign(message));

            byte[] signed = Encoding.ASCII.GetBytes(signer.Sign(message)).Concat(message).ToArray();
            var dns = new FakeDnsResolver().AddTxt("bench._domainkey.example.com", key.DnsRecordValue);
            var verifier = new DkimVerifier(dns);
            var check = await verifier.VerifyAsync(signed);
            if (check.Single().Verdict != DkimVerdict.Pass)
                throw new InvalidOperationException("benchmark message does not verify: " + check.Single().Reason);
            await ReportAsync($"DKIM verify {name}", duration, async () => await verifier.VerifyAsync(signed));
        }

        var zone = new FakeDnsResolver()
            .AddTxt("example.com", "v=spf1 include:_spf.example.com mx a:relay.example.com -all")
            .AddTxt("_spf.example.com", "v=spf1 ip4:198.51.100.0/24 ip6:2001:db8::/32 ~all")
            .AddMx("example.com", 10, "mx1.example.com").AddMx("example.com", 20, "mx2.example.com")
            .AddAddress("mx1.example.com", "192.0.2.1").AddAddress("mx2.example.com", "192.0.2.2")
            .AddAddress("relay.example.com", "192.0.2.25");
        var spf = new SpfEvaluator(zone);
        var client = IPAddress.Parse("192.0.2.25"); // matches the last mechanism: the whole record is walked
        var result = await spf.CheckHostAsync(client, "example.com", "user@example.com", "relay.example.com");
        if (result.Verdict != SpfVerdict.Pass)
            throw new InvalidOperationException("benchmark SPF case does not pass: " + result.Reason);
        await ReportAsync("SPF check_host (6 DNS answers, match at the end)", duration,
            async () => await spf.CheckHostAsync(client, "example.com", "user@example.com", "relay.example.com"));
        return 0;
    }

    private static byte[] TenKilobyteMessage()
    {
        var text = new StringBuilder();
        text.Append("From: Bench <bench@example.com>\r\nTo: someone@example.org\r\nSubject: benchmark message\r\n");
        text.Append("Date: Sat, 21 Nov 2026 12:00:00 +0000\r\nMessage-ID: <bench@example.com>\r\nMIME-Version: 1.0\r\n");
        text.Append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        var random = new Random(1);
        while (text.Length < 10 * 1024)
        {
            for (int i = 0; i < 72; i++)
                text.Append((char)('a' + random.Next(26)));
            text.Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void Report(string name, TimeSpan duration, Action action)
    {
        action(); // warm up
        long count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            action();
            count++;
        }
        Print(name, count, clock.Elapsed);
    }

    private static async Task ReportAsync(string name, TimeSpan duration, Func<Task> action)
    {
        await action();
        long count = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await action();
            count++;
        }
        Print(name, count, clock.Elapsed);
    }

    private static void Print(string name, long count, TimeSpan elapsed) =>
        Console.WriteLine($"{name,-52} {count / elapsed.TotalSeconds,10:0} /s   ({elapsed.TotalMilliseconds * 1000 / count:0.0} µs each)");
}
