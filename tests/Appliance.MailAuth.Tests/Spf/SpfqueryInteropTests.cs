// RFC 7208 (SPF) check_host() results compared with an independent implementation: Debian's
// spfquery (libspf2), both sides asking a real DNS server (unbound) for the same test zone.
using System.Diagnostics;
using System.Net;
using System.Text;
using Appliance.Dns;
using Appliance.MailAuth.Spf;
using Appliance.Tests.Shared;

namespace Appliance.MailAuth.Tests.Spf;

/// <summary>
/// spfquery only uses the system resolver (/etc/resolv.conf, port 53), so it runs inside a private
/// network and mount namespace (unshare, needs root) where /etc/resolv.conf is bind-mounted to point
/// at an unbound on 127.0.0.1:53 serving the zone. Our SpfEvaluator asks a second unbound with the
/// same zone on a free high port of the host's loopback through DnsStubResolver.
/// </summary>
public sealed class SpfqueryInteropTests
{
    private const string Spfquery = "/usr/bin/spfquery";
    private const string Helo = "helo.example";

    private sealed record Case(string Ip, string Sender);

    private static readonly Case[] Cases =
    [
        new("192.0.2.10", "x@pass.spf.test"),        // ip4 -> pass
        new("198.51.100.1", "x@pass.spf.test"),      // -all -> fail
        new("198.51.100.1", "x@soft.spf.test"),      // ~all -> softfail
        new("198.51.100.1", "x@neutral.spf.test"),   // ?all -> neutral
        new("203.0.113.5", "x@inc.spf.test"),        // include matches -> pass
        new("198.51.100.1", "x@inc.spf.test"),       // include's fail is no match, then -all -> fail
        new("198.51.100.1", "x@inc2.spf.test"),      // include's fail is no match, then ?all -> neutral
        new("192.0.2.20", "x@amech.spf.test"),       // a -> pass
        new("192.0.2.21", "x@amech.spf.test"),       // a, no match -> fail
        new("192.0.2.30", "x@mxmech.spf.test"),      // mx -> pass
        new("192.0.2.31", "x@mxmech.spf.test"),      // mx, no match -> fail
        new("192.0.2.10", "x@redir.spf.test"),       // redirect -> pass
        new("198.51.100.1", "x@redir.spf.test"),     // redirect -> fail
        new("192.0.2.10", "alice@exists.spf.test"),  // exists:%{ir}.%{l}... -> pass
        new("192.0.2.10", "bob@exists.spf.test"),    // exists, NXDOMAIN -> fail
        new("2001:db8::1", "x@ip6.spf.test"),        // ip6 -> pass
        new("2001:db9::1", "x@ip6.spf.test"),        // ip6, no match -> fail
        new("192.0.2.10", "x@nospf.spf.test"),       // domain without a record -> none
        new("192.0.2.10", "x@missing.spf.test"),     // NXDOMAIN -> none
        new("192.0.2.10", "x@two.spf.test"),         // two v=spf1 records -> permerror (4.5)
        new("192.0.2.10", "x@incsyn.spf.test"),      // include of a record with a syntax error -> permerror (5.2)
        new("192.0.2.10", "x@ten.spf.test"),         // 10 lookups is allowed -> fail
        new("192.0.2.10", "x@eleven.spf.test"),      // 11 lookups -> permerror (4.6.4)
        // Left out: a record that itself has a syntax error ("v=spf1 ip4:192.0.2.1/33 -all" or
        // "v=spf1 foo:bar -all"). RFC 7208 4.6 says check_host() returns "permerror", but libspf2's
        // spfquery fails to compile the record and prints "(invalid)" (SPF_RESULT_INVALID) instead.
        // The same record reached through include gives libspf2's permerror, which incsyn checks.
    ];

    private static IEnumerable<string> ZoneLines()
    {
        yield return "local-zone: \"spf.test.\" static";
        yield return "local-data: \"spf.test. 300 IN SOA ns.spf.test. hostmaster.spf.test. 1 3600 600 86400 60\"";
        yield return Txt("pass.spf.test", "v=spf1 ip4:192.0.2.0/24 -all");
        yield return Txt("soft.spf.test", "v=spf1 ip4:192.0.2.1 ~all");
        yield return Txt("neutral.spf.test", "v=spf1 ?all");
        yield return Txt("inc.spf.test", "v=spf1 include:incd.spf.test -all");
        yield return Txt("inc2.spf.test", "v=spf1 include:incd.spf.test ?all");
        yield return Txt("incd.spf.test", "v=spf1 ip4:203.0.113.0/24 -all");
        yield return Txt("amech.spf.test", "v=spf1 a -all");
        yield return "local-data: \"amech.spf.test. 300 IN A 192.0.2.20\"";
        yield return Txt("mxmech.spf.test", "v=spf1 mx -all");
        yield return "local-data: \"mxmech.spf.test. 300 IN MX 10 mail.mxmech.spf.test.\"";
        yield return "local-data: \"mail.mxmech.spf.test. 300 IN A 192.0.2.30\"";
        yield return Txt("redir.spf.test", "v=spf1 redirect=pass.spf.test");
        yield return Txt("exists.spf.test", "v=spf1 exists:%{ir}.%{l}._spf.spf.test -all");
        yield return "local-data: \"10.2.0.192.alice._spf.spf.test. 300 IN A 127.0.0.2\"";
        yield return Txt("ip6.spf.test", "v=spf1 ip6:2001:db8::/32 -all");
        yield return "local-data: \"nospf.spf.test. 300 IN A 192.0.2.40\"";
        yield return Txt("two.spf.test", "v=spf1 +all");
        yield return Txt("two.spf.test", "v=spf1 -all");
        yield return Txt("syntax.spf.test", "v=spf1 ip4:192.0.2.1/33 -all");
        yield return Txt("incsyn.spf.test", "v=spf1 include:syntax.spf.test -all");
        yield return Txt("ten.spf.test", "v=spf1" + string.Concat(Enumerable.Range(1, 10).Select(i => $" a:l{i}.spf.test")) + " -all");
        yield return Txt("eleven.spf.test", "v=spf1" + string.Concat(Enumerable.Range(1, 11).Select(i => $" a:l{i}.spf.test")) + " -all");
        for (int i = 1; i <= 11; i++)
            yield return $"local-data: \"l{i}.spf.test. 300 IN A 198.51.100.99\"";
    }

    private static string Txt(string name, string text) => $"local-data: '{name}. 300 IN TXT \"{text}\"'";

    [Fact]
    public async Task Spfquery_and_SpfEvaluator_agree_on_every_case()
    {
        Assert.True(Environment.IsPrivilegedProcess,
            "This test must run as root: it runs spfquery in a private network and mount namespace (unshare) so that 127.0.0.1:53 and /etc/resolv.conf are the test's.");
        Assert.True(File.Exists(UnboundServer.Binary), $"{UnboundServer.Binary} is missing: tests/run.sh installs the Debian package unbound.");
        Assert.True(File.Exists(Spfquery), $"{Spfquery} is missing: tests/run.sh installs the Debian package spfquery.");

        string directory = Path.Combine(Path.GetTempPath(), $"spfquery-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var theirs = await RunSpfqueryAsync(directory);
            var ours = await RunOursAsync();

            var report = new StringBuilder();
            for (int i = 0; i < Cases.Length; i++)
            {
                string word = theirs.GetValueOrDefault(i, "(no output)");
                SpfVerdict? mapped = Map(word);
                if (mapped != ours[i])
                    report.AppendLine($"{Cases[i].Ip} {Cases[i].Sender}: spfquery '{word}', SpfEvaluator {ours[i]}");
            }
            Assert.True(report.Length == 0, "SpfEvaluator and spfquery disagree:\n" + report);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>libspf2's result words (SPF_strresult); "(invalid)" and anything else maps to no verdict.</summary>
    private static SpfVerdict? Map(string word) => word switch
    {
        "pass" => SpfVerdict.Pass,
        "fail" => SpfVerdict.Fail,
        "softfail" => SpfVerdict.SoftFail,
        "neutral" => SpfVerdict.Neutral,
        "none" => SpfVerdict.None,
        "temperror" or "error" => SpfVerdict.TempError,
        "permerror" or "unknown" => SpfVerdict.PermError,
        _ => null,
    };

    /// <summary>Runs spfquery for every case in the namespace; returns case index -> spfquery's result word.</summary>
    private static async Task<Dictionary<int, string>> RunSpfqueryAsync(string directory)
    {
        string nsDirectory = Path.Combine(directory, "ns");
        Directory.CreateDirectory(nsDirectory);
        await File.WriteAllTextAsync(Path.Combine(nsDirectory, "unbound.conf"), UnboundServer.Config(nsDirectory, 53, ZoneLines()));
        await File.WriteAllTextAsync(Path.Combine(nsDirectory, "resolv.conf"), "nameserver 127.0.0.1\n");
        await File.WriteAllTextAsync(Path.Combine(nsDirectory, "cases"),
            string.Concat(Cases.Select((c, i) => $"{i} {c.Ip} {c.Sender}\n")));
        // spfquery prints an optional StartError..EndError block, then the result word on a line
        // of its own (then a blank line, the SMTP comment and a Received-SPF field). Its exit code
        // follows the result, so readiness is probed by the printed word, not the exit code.
        string script = $$"""
            set -u
            d='{{nsDirectory}}'
            ip link set lo up || exit 10
            mount --bind "$d/resolv.conf" /etc/resolv.conf || exit 11
            {{UnboundServer.Binary}} -d -c "$d/unbound.conf" >"$d/unbound.log" 2>&1 &
            u=$!
            trap 'kill $u 2>/dev/null; wait $u 2>/dev/null' EXIT
            word() { {{Spfquery}} -ip="$1" -sender="$2" -helo={{Helo}} </dev/null 2>&1 | awk '/^StartError$/{e=1;next} /^EndError$/{e=0;next} !e{print;exit}'; }
            ready=no
            for i in $(seq 100); do
              if [ "$(word 192.0.2.10 x@pass.spf.test)" = pass ]; then ready=yes; break; fi
              kill -0 $u 2>/dev/null || break
              sleep 0.1
            done
            if [ $ready != yes ]; then echo "unbound in the namespace did not answer"; cat "$d/unbound.log"; exit 12; fi
            while read -r n ip sender; do
              echo "CASE $n $(word "$ip" "$sender")"
            done <"$d/cases"
            echo DONE
            """;
        string scriptPath = Path.Combine(nsDirectory, "run.sh");
        await File.WriteAllTextAsync(scriptPath, script.Replace("\r\n", "\n"));

        var start = new ProcessStartInfo("unshare", ["--net", "--mount", "--fork", "sh", scriptPath])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"spfquery in the namespace did not finish in 30 s:\n{await stdout}\n{await stderr}");
        }
        string output = await stdout;
        string errors = await stderr;
        Assert.True(process.ExitCode == 0 && output.Contains("DONE\n", StringComparison.Ordinal),
            $"the spfquery namespace script failed (exit {process.ExitCode}):\n{output}\n{errors}");

        var words = new Dictionary<int, string>();
        foreach (string line in output.Split('\n'))
        {
            string[] parts = line.Split(' ', 3);
            if (parts.Length >= 2 && parts[0] == "CASE")
                words[int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)] = parts.Length == 3 ? parts[2] : "";
        }
        Assert.Equal(Cases.Length, words.Count);
        return words;
    }

    /// <summary>Runs SpfEvaluator over DnsStubResolver against an unbound with the same zone on the host's loopback.</summary>
    private static async Task<SpfVerdict[]> RunOursAsync()
    {
        await using var unbound = await UnboundServer.StartAsync(ZoneLines(), "spf.test");
        var evaluator = new SpfEvaluator(unbound.Resolver(attempts: 2));
        var verdicts = new SpfVerdict[Cases.Length];
        for (int i = 0; i < Cases.Length; i++)
        {
            string domain = Cases[i].Sender[(Cases[i].Sender.IndexOf('@') + 1)..];
            var result = await evaluator.CheckHostAsync(IPAddress.Parse(Cases[i].Ip), domain, Cases[i].Sender, Helo);
            verdicts[i] = result.Verdict;
        }
        return verdicts;
    }
}
