// RFC 7208 conformance cases kept as data: every Spf/*.json file holds zone data and cases; this
// theory serves the zone from FakeDnsResolver and checks each case's result.
using System.Net;
using System.Text.Json;
using Appliance.Dns;
using Appliance.MailAuth.Spf;

namespace Appliance.MailAuth.Tests.Spf;

public sealed class SpfConformanceTests
{
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "Spf");

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string file in Directory.GetFiles(DataDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file), JsonOptions);
            foreach (JsonElement c in doc.RootElement.GetProperty("cases").EnumerateArray())
            {
                data.Add(Path.GetFileName(file), c.GetProperty("name").GetString()!);
            }
        }
        return data;
    }

    [Fact]
    public void Every_file_has_cases_and_names_are_unique()
    {
        var all = Cases().Select(row => ((string)row[0], (string)row[1])).ToList();
        Assert.True(all.Count > 100, $"only {all.Count} cases");
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Case(string file, string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(DataDirectory, file)), JsonOptions);
        JsonElement root = doc.RootElement;
        JsonElement c = root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

        FakeDnsResolver dns = BuildZone(root);
        var options = new SpfOptions
        {
            ReceivingDomain = root.TryGetProperty("receiver", out var r) ? r.GetString() : null,
            TimeProvider = new FixedTime(root.TryGetProperty("now", out var now) ? now.GetInt64() : 0),
        };
        var evaluator = new SpfEvaluator(dns, options);
        string? helo = c.TryGetProperty("helo", out var h) ? h.GetString() : null;
        SpfResult result = await evaluator.CheckHostAsync(
            IPAddress.Parse(c.GetProperty("ip").GetString()!), c.GetProperty("domain").GetString()!,
            c.TryGetProperty("sender", out var s) ? s.GetString()! : "", helo);

        string expected = c.GetProperty("result").GetString()!;
        WriteActualOnMismatch(file, name, c, result);
        Assert.True(expected == ReceivedSpfHeader.VerdictName(result.Verdict), $"{name}: expected {expected}, got {result.Verdict} ({result.Reason})");
        if (c.TryGetProperty("explanation", out var exp))
        {
            Assert.Equal(exp.GetString(), result.Explanation);
        }
        if (c.TryGetProperty("mechanism", out var mech))
        {
            Assert.Equal(mech.GetString(), result.Mechanism);
        }
        if (c.TryGetProperty("client_ip", out var reported))
        {
            Assert.Equal(reported.GetString(), result.ClientIp.ToString());
        }
        if (c.TryGetProperty("queried", out var queried))
        {
            foreach (JsonElement q in queried.EnumerateArray())
            {
                Assert.Contains(dns.Queries, x => x.Name == q.GetString());
            }
        }
        if (c.TryGetProperty("not_queried", out var notQueried))
        {
            foreach (JsonElement q in notQueried.EnumerateArray())
            {
                Assert.DoesNotContain(dns.Queries, x => x.Name == q.GetString());
            }
        }
    }

    /// <summary>
    /// Beside a failing case, under the output's Spf/actual/, the actual result in the data file's
    /// case format, so that a reviewed change of behaviour can be pasted back into the data.
    /// </summary>
    private static void WriteActualOnMismatch(string file, string name, JsonElement c, SpfResult result)
    {
        bool matches = c.GetProperty("result").GetString() == ReceivedSpfHeader.VerdictName(result.Verdict)
            && (!c.TryGetProperty("explanation", out var e) || e.GetString() == result.Explanation)
            && (!c.TryGetProperty("mechanism", out var m) || m.GetString() == result.Mechanism);
        if (matches)
        {
            return;
        }
        string directory = Path.Combine(DataDirectory, "actual", Path.GetFileNameWithoutExtension(file));
        Directory.CreateDirectory(directory);
        string slug = string.Concat(name.Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-'));
        var actual = new Dictionary<string, string?>
        {
            ["name"] = name,
            ["result"] = ReceivedSpfHeader.VerdictName(result.Verdict),
            ["mechanism"] = result.Mechanism,
            ["explanation"] = result.Explanation,
            ["reason"] = result.Reason,
        };
        File.WriteAllText(Path.Combine(directory, slug + ".json"), JsonSerializer.Serialize(actual, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    /// <summary>
    /// "zone": { name: { "TXT": [...], "A": [...], "AAAA": [...], "MX": ["10 host"], "CNAME": "target", "FAIL": "Timeout" or "Timeout:TXT" } },
    /// "reverse": { ip: [ptr names] } builds the in-addr.arpa / ip6.arpa names.
    /// </summary>
    private static FakeDnsResolver BuildZone(JsonElement root)
    {
        var dns = new FakeDnsResolver();
        if (root.TryGetProperty("zone", out var zone))
        {
            foreach (JsonProperty name in zone.EnumerateObject())
            {
                foreach (JsonProperty rr in name.Value.EnumerateObject())
                {
                    switch (rr.Name)
                    {
                        case "TXT":
                            foreach (JsonElement t in rr.Value.EnumerateArray())
                            {
                                dns.AddTxt(name.Name, t.GetString()!);
                            }
                            break;
                        case "A" or "AAAA":
                            dns.AddAddress(name.Name, rr.Value.EnumerateArray().Select(a => a.GetString()!).ToArray());
                            break;
                        case "MX":
                            foreach (JsonElement m in rr.Value.EnumerateArray())
                            {
                                string[] parts = m.GetString()!.Split(' ');
                                dns.AddMx(name.Name, ushort.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
                            }
                            break;
                        case "CNAME":
                            dns.AddCname(name.Name, rr.Value.GetString()!);
                            break;
                        case "FAIL":
                            string[] f = rr.Value.GetString()!.Split(':');
                            dns.Fail(name.Name, Enum.Parse<DnsResponseStatus>(f[0]), f.Length > 1 ? Enum.Parse<DnsRecordType>(f[1]) : null);
                            break;
                        default:
                            throw new InvalidDataException($"unknown zone entry {rr.Name} at {name.Name}");
                    }
                }
            }
        }
        if (root.TryGetProperty("reverse", out var reverse))
        {
            foreach (JsonProperty ip in reverse.EnumerateObject())
            {
                string reverseName = SpfEvaluator.ReverseName(IPAddress.Parse(ip.Name));
                foreach (JsonElement target in ip.Value.EnumerateArray())
                {
                    if (target.GetString()!.StartsWith("FAIL:", StringComparison.Ordinal))
                    {
                        dns.Fail(reverseName, Enum.Parse<DnsResponseStatus>(target.GetString()!["FAIL:".Length..]));
                    }
                    else
                    {
                        dns.AddPtr(reverseName, target.GetString()!);
                    }
                }
            }
        }
        return dns;
    }
}

internal sealed class FixedTime(long unixSeconds) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeSeconds(unixSeconds);
}
