using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Server.Accounts;
using Appliance.Server.Listeners;
using Appliance.Server.Webmail;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Bench;

/// <summary>
/// Issue 8's benchmark: the server's time to render the first page of a 10,000-message folder (the
/// prerendered GET /mail, which lists the newest page) and to open a 1 MB HTML message (GET of the
/// sanitized body the reading frame loads), p50 and p95 over loopback HTTPS with a signed-in cookie.
/// </summary>
internal static partial class WebmailBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        int messages = Option(args, "--messages", 10_000);
        int rounds = Option(args, "--rounds", 200);
        const string address = "reader@bench.test";
        await using var host = await MailBenchHost.StartAsync(ListenerKind.Https, address);
        Console.WriteLine($"Filling INBOX with {messages} messages…");
        await host.FillAsync(BenchMessages.Create(messages, 4096, "sender@client.bench.test", address).Messages);
        // Each open is timed on its own copy: the reading pane and the frame share a cache of
        // sanitized bodies, so a second open of one message would measure the cache, not the work.
        var bigUids = new List<uint>();
        for (int i = 0; i < BigCopies; i++)
        {
            using var big = new MemoryStream(BigHtmlMessage(address, i));
            bigUids.Add((await host.Account.AppendAsync("INBOX", big)).Uid);
        }
        long inbox = host.Account.GetMailbox("INBOX").Id;

        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler
        {
            CookieContainer = cookies,
            AllowAutoRedirect = false,
            // The bootstrap certificate is self-signed; this client talks to our own loopback listener only.
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        }) { BaseAddress = new Uri($"https://127.0.0.1:{host.Port}/") };
        string page = await client.GetStringAsync("/signin");
        var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = Token().Match(page).Groups[1].Value,
            ["Input.Address"] = address,
            ["Input.Password"] = host.Password,
        });
        if ((await client.PostAsync("/signin", form)).StatusCode != HttpStatusCode.Redirect)
            throw new InvalidOperationException("sign-in failed");

        string total = (messages + BigCopies).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var list = await TimeAsync(client, ["/mail"], rounds, body => body.Contains("of " + total, StringComparison.Ordinal));
        var open = await TimeAsync(client, bigUids.Skip(Warmup).Select(uid => $"/mail/body/{inbox}/{uid}").ToList(), 1, body => body.Length > 500_000,
            bigUids.Take(Warmup).Select(uid => $"/mail/body/{inbox}/{uid}").ToList());
        var again = await TimeAsync(client, [$"/mail/body/{inbox}/{bigUids[^1]}"], rounds / 4, body => body.Length > 500_000);
        Console.WriteLine($"first page of {total} messages (GET /mail, prerendered): p50 {list.P50:F1} ms, p95 {list.P95:F1} ms");
        Console.WriteLine($"open a 1 MB HTML message, first time (GET /mail/body: read, parsed, sanitized), {BigCopies - Warmup} messages: p50 {open.P50:F1} ms, p95 {open.P95:F1} ms");
        Console.WriteLine($"the same message again (sanitized-body cache): p50 {again.P50:F1} ms, p95 {again.P95:F1} ms");

        // Where the first open's time goes: reading and parsing the message, then sanitizing its HTML.
        var session = (await host.Services.GetRequiredService<WebmailSessions>().OpenAsync(
            (await host.Services.GetRequiredService<PasswordAuthenticator>().AuthenticateAsync(address, host.Password))!.MailboxId))!;
        var reads = new List<double>();
        var sanitizes = new List<double>();
        foreach (uint uid in bigUids)
        {
            var clock = Stopwatch.StartNew();
            var message = session.Read("INBOX", uid, markSeen: false);
            reads.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            _ = Appliance.Web.Webmail.HtmlSanitizer.Sanitize(message.HtmlBody!);
            sanitizes.Add(clock.Elapsed.TotalMilliseconds);
        }
        reads.Sort();
        sanitizes.Sort();
        Console.WriteLine($"  of which read and parse: p50 {reads[reads.Count / 2]:F1} ms; sanitize: p50 {sanitizes[sanitizes.Count / 2]:F1} ms");
        return 0;
    }

    /// <summary>Copies of the 1 MB message: the first <see cref="Warmup"/> warm the JIT, each of the rest is opened once.</summary>
    private const int BigCopies = 45;
    private const int Warmup = 5;

    /// <summary>Times GETs of each path <paramref name="rounds"/> times, after GETs of <paramref name="warmup"/> (default: the paths themselves, 5 times).</summary>
    private static async Task<(double P50, double P95)> TimeAsync(HttpClient client, IReadOnlyList<string> paths, int rounds, Func<string, bool> check, IReadOnlyList<string>? warmup = null)
    {
        foreach (string path in warmup ?? [.. Enumerable.Repeat(paths, 5).SelectMany(p => p)])
            await client.GetStringAsync(path); // JIT, connection, caches
        var samples = new List<double>(rounds * paths.Count);
        for (int i = 0; i < rounds; i++)
        {
            foreach (string path in paths)
            {
                var clock = Stopwatch.StartNew();
                string body = await client.GetStringAsync(path);
                samples.Add(clock.Elapsed.TotalMilliseconds);
                if (!check(body))
                    throw new InvalidOperationException($"{path} did not return what was expected");
            }
        }
        samples.Sort();
        return (samples[samples.Count / 2], samples[(int)(samples.Count * 0.95)]);
    }

    /// <summary>A newsletter-like HTML message of about 1 MB: tables, inline styles, links and remote images.</summary>
    private static byte[] BigHtmlMessage(string to, int copy)
    {
        var html = new StringBuilder("<html><body><table width=\"600\" style=\"border-collapse:collapse\">");
        int i = 0;
        while (html.Length < 1_000_000)
        {
            html.Append("<tr><td style=\"padding:8px;color:#333;font-family:Arial\"><h2>Story ").Append(i)
                .Append("</h2><p>Lorem ipsum dolor sit amet, <b>consectetur</b> adipiscing elit. <a href=\"https://news.example/s/").Append(i)
                .Append("\">Read more</a></p><img src=\"https://cdn.example/img/").Append(i).Append(".png\" width=\"100\" alt=\"\"></td></tr>\r\n");
            i++;
        }
        html.Append("</table></body></html>");
        string message = $"From: News <news@example.net>\r\nTo: {to}\r\nSubject: The big newsletter\r\nMessage-ID: <big-{copy}@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n";
        return Encoding.UTF8.GetBytes(message);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out int value) ? value : fallback;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
