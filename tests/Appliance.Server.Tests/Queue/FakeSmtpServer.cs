using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Appliance.Server.Tests.Queue;

/// <summary>
/// A scripted SMTP server on 127.0.0.1:0 for the client and worker tests: it offers the
/// extensions it is told to, answers every command 250 unless <see cref="Reply"/> says otherwise,
/// records every command line and every message's data as it came over the wire.
/// </summary>
internal sealed class FakeSmtpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly ConcurrentQueue<string> _commands = new();
    private readonly ConcurrentQueue<byte[]> _messages = new();
    private readonly SemaphoreSlim _sessionEnded = new(0);
    private int _connections;
    private int _activeSessions;
    private int _maxConcurrentSessions;

    /// <summary>Extensions in the EHLO reply (before TLS, STARTTLS is added when <see cref="OfferStartTls"/>).</summary>
    public List<string> Extensions { get; } = [];

    public bool OfferStartTls { get; set; }

    /// <summary>TLS from the first byte (a port 465 smarthost).</summary>
    public bool ImplicitTls { get; set; }

    /// <summary>Octets sent right after the 220 to STARTTLS, in the same write, before the handshake (an injection attempt).</summary>
    public string? InjectAfterStartTls { get; set; }

    /// <summary>Answer STARTTLS with 220 and then plaintext garbage instead of a TLS handshake.</summary>
    public bool BreakTls { get; set; }

    public string Greeting { get; set; } = "220 fake.test ESMTP";

    /// <summary>
    /// Overrides the reply to a command (the whole line as received): return null for the default
    /// 250 (354 for DATA), a reply line, or "DROP" to close the connection without a reply.
    /// </summary>
    public Func<string, string?> Reply { get; set; } = _ => null;

    /// <summary>Reply after the end of data; "DROP" closes the connection.</summary>
    public Func<byte[], string> DataReply { get; set; } = _ => "250 2.0.0 Ok: queued as FAKE";

    /// <summary>With PIPELINING: before answering MAIL, wait (up to a guard time) for this many RCPT lines; proves they came in one batch.</summary>
    public int HoldMailReplyForRcpts { get; set; }

    /// <summary>How many RCPT lines had arrived before the reply to MAIL went out (see <see cref="HoldMailReplyForRcpts"/>).</summary>
    public int RcptsBeforeMailReply { get; private set; }

    public X509Certificate2 Certificate { get; } = CreateCertificate();

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public IReadOnlyList<string> Commands => [.. _commands];

    /// <summary>Each message's data exactly as received between 354 and the final dot line (dot-stuffed, terminator excluded).</summary>
    public IReadOnlyList<byte[]> Messages => [.. _messages];

    public int Connections => Volatile.Read(ref _connections);

    /// <summary>The most sessions that were open at the same time.</summary>
    public int MaxConcurrentSessions => Volatile.Read(ref _maxConcurrentSessions);

    /// <summary>Commands received after a TLS handshake.</summary>
    public List<string> CommandsUnderTls { get; } = [];

    /// <summary>The decoded AUTH PLAIN initial response ("\0user\0password"), when one came.</summary>
    public string? AuthPlainCredentials { get; private set; }

    public FakeSmtpServer()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Waits until a session has ended (the client quit or dropped), with a guard timeout.</summary>
    public async Task WaitForSessionEndAsync()
    {
        if (!await _sessionEnded.WaitAsync(TimeSpan.FromSeconds(20)))
            throw new TimeoutException("No SMTP session ended within 20 s.");
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _connections);
            _ = Task.Run(async () =>
            {
                int active = Interlocked.Increment(ref _activeSessions);
                int max;
                while (active > (max = Volatile.Read(ref _maxConcurrentSessions)))
                    Interlocked.CompareExchange(ref _maxConcurrentSessions, active, max);
                try
                {
                    using (client)
                        await SessionAsync(client.GetStream());
                }
                catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
                {
                }
                finally
                {
                    Interlocked.Decrement(ref _activeSessions);
                    _sessionEnded.Release();
                }
            });
        }
    }

    private async Task SessionAsync(Stream network)
    {
        var ct = _stop.Token;
        Stream stream = network;
        bool tls = false;
        if (ImplicitTls)
        {
            var ssl = new SslStream(network);
            await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate }, ct);
            stream = ssl;
            tls = true;
        }
        var reader = new LineReader(stream);
        await WriteAsync(stream, Greeting + "\r\n", ct);
        if (!Greeting.StartsWith("220", StringComparison.Ordinal))
        {
            // A refusing server still answers QUIT (RFC 5321 3.1).
            string? quit = await reader.ReadLineAsync(ct);
            if (quit is not null)
            {
                _commands.Enqueue(quit);
                await WriteAsync(stream, "221 bye\r\n", ct);
            }
            return;
        }
        while (true)
        {
            string? line = await reader.ReadLineAsync(ct);
            if (line is null)
                return;
            _commands.Enqueue(line);
            if (tls)
            {
                lock (CommandsUnderTls)
                    CommandsUnderTls.Add(line);
            }
            string verb = line.Split(' ', 2)[0].ToUpperInvariant();
            string? custom = Reply(line);
            if (custom == "DROP")
                return;

            if (verb == "MAIL" && HoldMailReplyForRcpts > 0 && custom is null)
            {
                int seen = await reader.CountBufferedLinesStartingWithAsync("RCPT", HoldMailReplyForRcpts, TimeSpan.FromSeconds(2), ct);
                RcptsBeforeMailReply = seen;
            }

            switch (verb)
            {
                case "EHLO":
                    if (custom is not null)
                    {
                        await WriteAsync(stream, custom + "\r\n", ct);
                        break;
                    }
                    var lines = new List<string> { "fake.test greets you" };
                    lines.AddRange(Extensions);
                    if (OfferStartTls && !tls)
                        lines.Add("STARTTLS");
                    var sb = new StringBuilder();
                    for (int i = 0; i < lines.Count; i++)
                        sb.Append("250").Append(i == lines.Count - 1 ? ' ' : '-').Append(lines[i]).Append("\r\n");
                    await WriteAsync(stream, sb.ToString(), ct);
                    break;
                case "STARTTLS" when custom is null && !tls && BreakTls:
                    await WriteAsync(stream, "220 2.0.0 Ready to start TLS\r\n", ct);
                    await WriteAsync(stream, "this is not a TLS server hello\r\n", ct);
                    return;
                case "STARTTLS" when custom is null && !tls:
                    await WriteAsync(stream, "220 2.0.0 Ready to start TLS\r\n" + (InjectAfterStartTls ?? ""), ct);
                    var ssl = new SslStream(network);
                    await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = Certificate }, ct);
                    stream = ssl;
                    tls = true;
                    // RFC 3207 4.2: anything the client sent before the handshake is dropped with the old reader.
                    reader = new LineReader(stream);
                    break;
                case "AUTH":
                    string[] parts = line.Split(' ');
                    if (parts.Length == 3 && parts[1].Equals("PLAIN", StringComparison.OrdinalIgnoreCase))
                        AuthPlainCredentials = Encoding.UTF8.GetString(Convert.FromBase64String(parts[2]));
                    await WriteAsync(stream, (custom ?? "235 2.7.0 Authentication successful") + "\r\n", ct);
                    break;
                case "DATA":
                    await WriteAsync(stream, (custom ?? "354 End data with <CR><LF>.<CR><LF>") + "\r\n", ct);
                    if (custom is not null && !custom.StartsWith("354", StringComparison.Ordinal))
                        break;
                    byte[]? data = await reader.ReadDataAsync(ct);
                    if (data is null)
                        return;
                    _messages.Enqueue(data);
                    string final = DataReply(data);
                    if (final == "DROP")
                        return;
                    await WriteAsync(stream, final + "\r\n", ct);
                    break;
                case "QUIT":
                    await WriteAsync(stream, "221 2.0.0 Bye\r\n", ct);
                    return;
                default:
                    await WriteAsync(stream, (custom ?? "250 2.0.0 Ok") + "\r\n", ct);
                    break;
            }
        }
    }

    private static async Task WriteAsync(Stream stream, string text, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
        await stream.FlushAsync(ct);
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=fake.test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        Certificate.Dispose();
    }

    /// <summary>Reads CRLF lines (and DATA up to CRLF.CRLF) with its own buffer.</summary>
    private sealed class LineReader(Stream stream)
    {
        private readonly MemoryStream _pending = new();

        private async Task<bool> FillAsync(CancellationToken ct)
        {
            byte[] chunk = new byte[8192];
            int read = await stream.ReadAsync(chunk, ct);
            if (read == 0)
                return false;
            long position = _pending.Position;
            _pending.Seek(0, SeekOrigin.End);
            _pending.Write(chunk, 0, read);
            _pending.Position = position;
            return true;
        }

        private byte[] Remaining()
        {
            var all = _pending.ToArray();
            return all[(int)_pending.Position..];
        }

        private void Consume(int count)
        {
            var rest = Remaining()[count..];
            _pending.SetLength(0);
            _pending.Write(rest);
            _pending.Position = 0;
        }

        public async Task<string?> ReadLineAsync(CancellationToken ct)
        {
            while (true)
            {
                var buffer = Remaining();
                int lf = Array.IndexOf(buffer, (byte)'\n');
                if (lf >= 0)
                {
                    Consume(lf + 1);
                    return Encoding.UTF8.GetString(buffer, 0, lf).TrimEnd('\r');
                }
                if (!await FillAsync(ct))
                    return null;
            }
        }

        public async Task<byte[]?> ReadDataAsync(CancellationToken ct)
        {
            while (true)
            {
                var buffer = Remaining();
                int end = IndexOf(buffer, "\r\n.\r\n"u8);
                if (buffer.AsSpan().StartsWith(".\r\n"u8))
                {
                    Consume(3);
                    return [];
                }
                if (end >= 0)
                {
                    Consume(end + 5);
                    return buffer[..(end + 2)];
                }
                if (!await FillAsync(ct))
                    return null;
            }
        }

        /// <summary>Waits until <paramref name="expected"/> lines starting with <paramref name="prefix"/> are buffered, or the guard time passes; returns how many are.</summary>
        public async Task<int> CountBufferedLinesStartingWithAsync(string prefix, int expected, TimeSpan guard, CancellationToken ct)
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(guard);
            while (true)
            {
                string text = Encoding.UTF8.GetString(Remaining());
                int count = text.Split("\r\n").Count(l => l.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
                if (count >= expected)
                    return count;
                try
                {
                    if (!await FillAsync(cts.Token))
                        return count;
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    return count;
                }
            }
        }

        private static int IndexOf(byte[] haystack, ReadOnlySpan<byte> needle) => haystack.AsSpan().IndexOf(needle);
    }
}
