// RFC 5321 section 4.2 (replies: three digits, "-" on every line but the last), 4.5.3.1.5 (reply
// line length), RFC 3207 (STARTTLS).
using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Bench;

/// <summary>A malformed reply or an unexpected reply code during session set-up.</summary>
internal sealed class SmtpProtocolException(string message) : Exception(message);

/// <summary>One complete (possibly multi-line) reply.</summary>
internal sealed record SmtpReplyText(int Code, IReadOnlyList<string> Lines)
{
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>An EHLO keyword (RFC 5321 4.1.1.1): the first word of a line after the greeting line.</summary>
    public bool HasKeyword(string keyword) => Lines.Skip(1).Any(l =>
        l.Equals(keyword, StringComparison.OrdinalIgnoreCase) || l.StartsWith(keyword + " ", StringComparison.OrdinalIgnoreCase));

    public void Expect(int code, string step)
    {
        if (Code != code)
            throw new SmtpProtocolException($"{step}: expected {code}, got {this}");
    }

    public override string ToString() => $"{Code.ToString(CultureInfo.InvariantCulture)} {string.Join(" / ", Lines)}";
}

/// <summary>
/// The client side of one SMTP connection: buffered reply reading over a socket stream (plain or
/// TLS) and whole-buffer writes. Nagle is off so a pipelined group leaves in one segment at once.
/// </summary>
internal sealed class SmtpWire : IAsyncDisposable
{
    /// <summary>
    /// Longest wait for any reply: RFC 5321 4.5.3.2's client timeouts are 5 minutes for most
    /// commands and 10 for the end of data; a bench that waits that long has measured nothing, so
    /// a silent server (or a wrong port: HTTP waits for us to speak) fails the connection sooner.
    /// </summary>
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Longest reply line we accept: RFC 5321 4.5.3.1.5 says 512; real servers' EHLO lines stay well inside 4 KB.</summary>
    private const int MaxLineLength = 4096;

    private readonly Socket _socket;
    private Stream _stream;
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private SmtpWire(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
    }

    /// <summary>The server announced PIPELINING (RFC 2920): MAIL, RCPT and DATA go in one write.</summary>
    public bool Pipelining { get; set; }

    /// <summary>The server announced SIZE (RFC 1870): MAIL carries SIZE=.</summary>
    public bool Size { get; set; }

    public static async Task<SmtpWire> ConnectAsync(string host, int port, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            return new SmtpWire(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// RFC 3207 4: TLS starts right after the 220. A load generator must work against any server,
    /// test certificates included, so the certificate is not verified: this measures throughput,
    /// not trust.
    /// </summary>
    public async Task StartTlsAsync(string host, CancellationToken cancellationToken)
    {
        if (_start != _end)
            throw new SmtpProtocolException("the server sent data after its STARTTLS reply (RFC 3207 4 forbids it)");
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = host,
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
        }, cancellationToken);
        _stream = tls;
    }

    public async Task<SmtpReplyText> CommandAsync(string command, CancellationToken cancellationToken)
    {
        await WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(data, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    public async Task<SmtpReplyText> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        int code = 0;
        while (true)
        {
            string line = await ReadLineAsync(cancellationToken);
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int lineCode)
                || (line.Length > 3 && line[3] is not (' ' or '-')))
                throw new SmtpProtocolException($"malformed reply line: {line}");
            if (lines.Count > 0 && lineCode != code)
                throw new SmtpProtocolException($"reply code changed inside a multi-line reply: {line}");
            code = lineCode;
            lines.Add(line.Length > 4 ? line[4..] : "");
            if (line.Length == 3 || line[3] == ' ')
                return new SmtpReplyText(code, lines);
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                int length = newline - _start;
                if (length > 0 && _buffer[newline - 1] == '\r')
                    length--;
                string line = Encoding.UTF8.GetString(_buffer, _start, length);
                _start = newline + 1;
                return line;
            }
            if (_end - _start >= MaxLineLength)
                throw new SmtpProtocolException("reply line too long");
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).AsTask().WaitAsync(ReplyTimeout, cancellationToken);
            if (read == 0)
                throw new IOException("the server closed the connection");
            _end += read;
        }
    }

    /// <summary>QUIT politely; a server that already closed is fine.</summary>
    public async Task QuitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await CommandAsync("QUIT", cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException or SmtpProtocolException)
        {
            // Nothing depends on the goodbye.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
