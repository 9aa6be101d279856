// RFC 5321 (SMTP), RFC 2920 (PIPELINING: MAIL, RCPT and DATA in one group), RFC 1870 (SIZE),
// RFC 3207 (STARTTLS), RFC 4954 (AUTH PLAIN), RFC 5322 (the generated messages).
using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace Appliance.Bench;

/// <summary>
/// What one load run does; see <see cref="SmtpBench"/> for the command-line names. With
/// <see cref="RotateRecipients"/> each message goes to one address of <see cref="To"/> in turn
/// (spreading the load over mailboxes) instead of to all of them.
/// </summary>
internal sealed record SmtpLoadOptions(
    string Host,
    int Port,
    int Connections,
    int Messages,
    int Size,
    string From,
    IReadOnlyList<string> To,
    bool StartTls = false,
    string? AuthUser = null,
    string? AuthPassword = null,
    string HeloName = "bench-client.test",
    bool RotateRecipients = false);

/// <summary>
/// The outcome of a run. Rates are over the wall time from the first connect to the last reply.
/// Errors count refused messages and failed connections (each connection gives up after three
/// failures in a row). A message some of whose recipients were refused still counts as accepted
/// on its final 250 (as the server delivers it to the rest); <see cref="RecipientsRefused"/> counts
/// those refusals.
/// </summary>
internal sealed record SmtpLoadResult(
    int Accepted,
    int Errors,
    TimeSpan Elapsed,
    long AcceptedBytes,
    double P50Milliseconds,
    double P99Milliseconds,
    IReadOnlyList<string> ErrorSamples,
    int RecipientsRefused = 0)
{
    public double MessagesPerSecond => Accepted / Elapsed.TotalSeconds;

    public double MegabytesPerSecond => AcceptedBytes / 1e6 / Elapsed.TotalSeconds;
}

/// <summary>
/// Sends generated messages to any SMTP server over N concurrent connections. Each connection says
/// EHLO once, then per message writes MAIL, RCPT... and DATA as one pipelined group (RFC 2920
/// section 3.1 lets DATA end a group), waits for the 354, sends the content and waits for the
/// final reply. A message counts as accepted only on that final 250: the server's promise that it
/// is durable. Latency is from the write of MAIL to the final reply.
/// </summary>
internal static class SmtpLoadGenerator
{
    /// <summary>Consecutive connection failures after which one connection gives up (a dead server must not spin).</summary>
    private const int MaxConsecutiveFailures = 3;

    /// <summary>Error texts kept for the report: enough to see what went wrong without flooding it.</summary>
    private const int MaxErrorSamples = 5;

    public static async Task<SmtpLoadResult> RunAsync(SmtpLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Connections, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.To.Count, 1);
        var body = SmtpMessageFactory.Body(options.Size);
        var run = new RunState(options.Messages, Guid.NewGuid().ToString("N")[..12]);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, options.Connections)
            .Select(_ => Task.Run(() => WorkAsync(options, body, run, cancellationToken), cancellationToken))
            .ToArray();
        await Task.WhenAll(workers);
        clock.Stop();

        var latencies = workers.SelectMany(w => w.Result).Order().ToArray();
        return new SmtpLoadResult(
            latencies.Length, run.Errors, clock.Elapsed, run.AcceptedBytes,
            Percentile(latencies, 0.50), Percentile(latencies, 0.99), run.ErrorSamples(), run.RecipientsRefused);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>One connection: sends messages until the shared count is used up; reconnects after a dropped connection.</summary>
    private static async Task<List<double>> WorkAsync(SmtpLoadOptions options, byte[] body, RunState run, CancellationToken cancellationToken)
    {
        var latencies = new List<double>();
        int failures = 0;
        int? pending = null;
        while (failures < MaxConsecutiveFailures)
        {
            SmtpWire? wire = null;
            try
            {
                wire = await OpenSessionAsync(options, cancellationToken);
                while ((pending ?? run.TakeNext()) is { } index)
                {
                    pending = index;
                    long started = Stopwatch.GetTimestamp();
                    var outcome = await SendOneAsync(wire, options, body, run, index, cancellationToken);
                    pending = null;
                    if (outcome.Accepted)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        run.AddAccepted(outcome.Bytes);
                        failures = 0;
                    }
                    else
                    {
                        run.AddError(outcome.Error!);
                        if (outcome.Closed)
                            break;
                    }
                }
                if (pending is null && run.IsExhausted)
                {
                    await wire.QuitAsync(cancellationToken);
                    return latencies;
                }
            }
            catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException or AuthenticationException or TimeoutException)
            {
                failures++;
                // A failed connection is an error of its own; the message in flight, if any, got no
                // final reply and is not retried (the server may have stored it, and a retry would
                // skew the count).
                run.AddError(pending is null ? $"connection failed: {e.Message}" : $"connection failed during message {pending}: {e.Message}");
                pending = null;
            }
            finally
            {
                if (wire is not null)
                    await wire.DisposeAsync();
            }
        }
        return latencies;
    }

    private static async Task<SmtpWire> OpenSessionAsync(SmtpLoadOptions options, CancellationToken cancellationToken)
    {
        var wire = await SmtpWire.ConnectAsync(options.Host, options.Port, cancellationToken);
        try
        {
            (await wire.ReadReplyAsync(cancellationToken)).Expect(220, "greeting");
            var ehlo = await wire.CommandAsync($"EHLO {options.HeloName}", cancellationToken);
            ehlo.Expect(250, "EHLO");
            if (options.StartTls)
            {
                (await wire.CommandAsync("STARTTLS", cancellationToken)).Expect(220, "STARTTLS");
                await wire.StartTlsAsync(options.Host, cancellationToken);
                ehlo = await wire.CommandAsync($"EHLO {options.HeloName}", cancellationToken);
                ehlo.Expect(250, "EHLO after STARTTLS");
            }
            if (options.AuthUser is not null)
            {
                // RFC 4616: authorization identity empty, then user and password, NUL-separated.
                string plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{options.AuthUser}\0{options.AuthPassword}"));
                (await wire.CommandAsync($"AUTH PLAIN {plain}", cancellationToken)).Expect(235, "AUTH");
            }
            wire.Pipelining = ehlo.HasKeyword("PIPELINING");
            wire.Size = ehlo.HasKeyword("SIZE");
            return wire;
        }
        catch
        {
            await wire.DisposeAsync();
            throw;
        }
    }

    private readonly record struct Outcome(bool Accepted, long Bytes, string? Error, bool Closed);

    private static async Task<Outcome> SendOneAsync(SmtpWire wire, SmtpLoadOptions options, byte[] body, RunState run, int index, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> to = options.RotateRecipients ? [options.To[index % options.To.Count]] : options.To;
        byte[] header = SmtpMessageFactory.Header(options.From, to, run.RunId, index, DateTimeOffset.UtcNow);
        long size = header.Length + body.Length;
        var commands = new List<string>(to.Count + 2)
        {
            wire.Size ? $"MAIL FROM:<{options.From}> SIZE={size.ToString(CultureInfo.InvariantCulture)}" : $"MAIL FROM:<{options.From}>",
        };
        commands.AddRange(to.Select(address => $"RCPT TO:<{address}>"));
        commands.Add("DATA");

        var replies = new List<SmtpReplyText>(commands.Count);
        if (wire.Pipelining)
        {
            await wire.WriteAsync(Encoding.ASCII.GetBytes(string.Concat(commands.Select(c => c + "\r\n"))), cancellationToken);
            foreach (var _ in commands)
                replies.Add(await wire.ReadReplyAsync(cancellationToken));
        }
        else
        {
            foreach (string command in commands)
            {
                var reply = await wire.CommandAsync(command, cancellationToken);
                replies.Add(reply);
                if (!reply.IsPositive)
                    break;
            }
        }

        var closing = replies.FirstOrDefault(r => r.Code == 421);
        if (closing is not null)
            return new Outcome(false, 0, closing.ToString(), Closed: true);
        // Replies 1 .. n-2 answer the RCPTs (with pipelining all of them are here).
        int refusedRecipients = replies.Skip(1).Take(to.Count).Count(r => !r.IsPositive);
        if (refusedRecipients > 0)
            run.AddRecipientsRefused(refusedRecipients);
        var data = replies[^1];
        if (replies.Count != commands.Count || data.Code != 354)
        {
            var refused = replies.FirstOrDefault(r => !r.IsPositive) ?? data;
            if (data.Code == 354)
            {
                // Cannot happen with a correct server (no recipient, yet 354); end the data cleanly.
                await wire.WriteAsync(".\r\n"u8.ToArray(), cancellationToken);
                await wire.ReadReplyAsync(cancellationToken);
            }
            else if (!wire.Pipelining && replies.Count < commands.Count)
            {
                (await wire.CommandAsync("RSET", cancellationToken)).Expect(250, "RSET");
            }
            return new Outcome(false, 0, refused.ToString(), Closed: false);
        }

        // Content after the 354, in one write: header, body (no line starts with a dot, so no
        // stuffing is needed), and the terminating dot.
        int length = header.Length + body.Length + 3;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            header.CopyTo(buffer, 0);
            body.CopyTo(buffer, header.Length);
            ".\r\n"u8.CopyTo(buffer.AsSpan(header.Length + body.Length));
            await wire.WriteAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        var final = await wire.ReadReplyAsync(cancellationToken);
        return final.Code == 250
            ? new Outcome(true, size, null, false)
            : new Outcome(false, 0, final.ToString(), Closed: final.Code == 421);
    }

    /// <summary>The shared message counter and tallies of one run.</summary>
    private sealed class RunState(int messages, string runId)
    {
        private readonly Lock _lock = new();
        private readonly List<string> _samples = [];
        private int _next = -1;
        private int _errors;
        private long _bytes;
        private int _recipientsRefused;

        public string RunId { get; } = runId;

        public int Errors => Volatile.Read(ref _errors);

        public long AcceptedBytes => Interlocked.Read(ref _bytes);

        public bool IsExhausted => Volatile.Read(ref _next) >= messages - 1;

        public int? TakeNext()
        {
            int index = Interlocked.Increment(ref _next);
            return index < messages ? index : null;
        }

        public void AddAccepted(long bytes) => Interlocked.Add(ref _bytes, bytes);

        public int RecipientsRefused => Volatile.Read(ref _recipientsRefused);

        public void AddRecipientsRefused(int count) => Interlocked.Add(ref _recipientsRefused, count);

        public void AddError(string text)
        {
            Interlocked.Increment(ref _errors);
            lock (_lock)
            {
                if (_samples.Count < MaxErrorSamples)
                    _samples.Add(text);
            }
        }

        public IReadOnlyList<string> ErrorSamples()
        {
            lock (_lock)
                return _samples.ToList();
        }
    }
}

/// <summary>Builds the generated RFC 5322 messages: a small per-message header and a shared body.</summary>
internal static class SmtpMessageFactory
{
    /// <summary>Octets of a full body line, CRLF included: 78, inside RFC 5322 2.1.1's "SHOULD be no more than 78 characters" (excluding CRLF).</summary>
    private const int LineOctets = 78;

    /// <summary>Our estimate of the header's size, taken off the target so the whole message is about --size octets.</summary>
    private const int HeaderEstimate = 300;

    private static readonly string[] Words =
    [
        "mail", "server", "queue", "delivery", "durable", "message", "header", "body", "octet", "line",
        "relay", "domain", "mailbox", "transfer", "reply", "session", "latency", "throughput", "bench",
    ];

    /// <summary>ASCII lines of at most <see cref="LineOctets"/> octets (words, deterministic), never starting with a dot.</summary>
    public static byte[] Body(int size)
    {
        int target = Math.Max(size - HeaderEstimate, 2);
        var random = new Random(5321);
        var text = new StringBuilder(target + LineOctets);
        var line = new StringBuilder(LineOctets);
        while (text.Length < target)
        {
            line.Clear();
            while (true)
            {
                string word = Words[random.Next(Words.Length)];
                if (line.Length + word.Length + 1 > LineOctets - 2)
                    break;
                if (line.Length > 0)
                    line.Append(' ');
                line.Append(word);
            }
            int room = target - text.Length - 2;
            if (room < line.Length)
                line.Length = Math.Max(room, 1);
            text.Append(line).Append("\r\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The header block and the empty line after it; Message-ID is unique per run and index.</summary>
    public static byte[] Header(string from, IReadOnlyList<string> to, string runId, int index, DateTimeOffset date)
    {
        var header = new StringBuilder(HeaderEstimate);
        header.Append("From: <").Append(from).Append(">\r\n");
        header.Append("To: ").Append(string.Join(", ", to.Select(t => $"<{t}>"))).Append("\r\n");
        header.Append("Subject: bench message ").Append(index.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        header.Append("Date: ").Append(date.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)).Append("\r\n");
        header.Append("Message-ID: <").Append(MessageId(runId, index)).Append(">\r\n");
        header.Append("MIME-Version: 1.0\r\n");
        header.Append("Content-Type: text/plain; charset=us-ascii\r\n");
        header.Append("\r\n");
        return Encoding.ASCII.GetBytes(header.ToString());
    }

    public static string MessageId(string runId, int index) => $"bench.{runId}.{index.ToString(CultureInfo.InvariantCulture)}@bench-client.test";
}
