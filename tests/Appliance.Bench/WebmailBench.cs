using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Appliance.Server.Listeners;

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
        using (var big = new MemoryStream(BigHtmlMessage(address)))
            await host.Account.AppendAsync("INBOX", big);
        long inbox = host.Account.GetMailbox("INBOX").Id;
        uint bigUid = host.Account.GetMailbox("INBOX").UidNext - 1;

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

        var list = await TimeAsync(client, "/mail", rounds, body => body.Contains("of " + (messages + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        var open = await TimeAsync(client, $"/mail/body/{inbox}/{bigUid}", Math.Max(20, rounds / 4), body => body.Length > 500_000);
        Console.WriteLine($"first page of {messages + 1} messages (GET /mail, prerendered): p50 {list.P50:F1} ms, p95 {list.P95:F1} ms");
        Console.WriteLine($"open a 1 MB HTML message (GET /mail/body, parsed and sanitized): p50 {open.P50:F1} ms, p95 {open.P95:F1} ms");
        return 0;
    }

    private static async Task<(double P50, double P95)> TimeAsync(HttpClient client, string path, int rounds, Func<string, bool> check)
    {
        for (int i = 0; i < 5; i++)
            await client.GetStringAsync(path); // warm-up: JIT, caches
        var samples = new List<double>(rounds);
        for (int i = 0; i < rounds; i++)
        {
            var clock = Stopwatch.StartNew();
            string body = await client.GetStringAsync(path);
            samples.Add(clock.Elapsed.TotalMilliseconds);
            if (!check(body))
                throw new InvalidOperationException($"{path} did not return what was expected");
        }
        samples.Sort();
        return (samples[samples.Count / 2], samples[(int)(samples.Count * 0.95)]);
    }

    /// <summary>A newsletter-like HTML message of about 1 MB: tables, inline styles, links and remote images.</summary>
    private static byte[] BigHtmlMessage(string to)
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
        string message = $"From: News <news@example.net>\r\nTo: {to}\r\nSubject: The big newsletter\r\nMessage-ID: <big@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n";
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
