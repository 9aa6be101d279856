using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Bench;

/// <summary>
/// A POP3 client for the bench (RFC 1939, RFC 2449 CAPA and PIPELINING) over implicit TLS (RFC
/// 8314). Reads into one buffer and scans lines in place, so the client's own cost stays small next
/// to the server's (it shares a process with our server). Trusts any certificate: both servers use
/// a self-signed one made for the run.
/// </summary>
internal sealed class Pop3BenchClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream _tls;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;

    private Pop3BenchClient(Socket socket, SslStream tls)
    {
        _socket = socket;
        _tls = tls;
    }

    public string Protocol => $"{_tls.SslProtocol} {_tls.NegotiatedCipherSuite}";

    public static async Task<Pop3BenchClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            var tls = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            });
            var client = new Pop3BenchClient(socket, tls);
            await client.ExpectOkAsync("greeting");
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async Task<IReadOnlyList<string>> CapaAsync() => await MultiLineAsync("CAPA");

    public async Task LoginAsync(string user, string password)
    {
        await SendAsync("USER " + user);
        await ExpectOkAsync("USER");
        await SendAsync("PASS " + password);
        await ExpectOkAsync("PASS");
    }

    public async Task<(int Count, long Octets)> StatAsync()
    {
        await SendAsync("STAT");
        string[] parts = (await ExpectOkAsync("STAT")).Split(' ');
        return (int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>LIST or UIDL: the second field of each line, in message-number order.</summary>
    public async Task<IReadOnlyList<string>> ListingAsync(string command, int count)
    {
        var lines = await MultiLineAsync(command);
        if (lines.Count != count)
            throw new InvalidOperationException($"{command} listed {lines.Count} messages, STAT said {count}");
        var values = new string[count];
        for (int i = 0; i < count; i++)
        {
            string[] parts = lines[i].Split(' ');
            if (parts.Length != 2 || parts[0] != (i + 1).ToString(CultureInfo.InvariantCulture))
                throw new InvalidOperationException($"{command} line {i + 1} is \"{lines[i]}\"");
            values[i] = parts[1];
        }
        return values;
    }

    /// <summary>
    /// RETR of messages 1..count, pipelined (RFC 2449 6.6: the commands go out from a second task
    /// while the replies come in, so neither side can block the other) or one at a time. Checks
    /// for every message that the unstuffed content has the octet count of its "+OK n octets" and
    /// of LIST; <paramref name="check"/> gets the unstuffed content of the messages it asks for.
    /// </summary>
    public async Task<long> RetrAllAsync(int count, bool pipelined, IReadOnlyList<long> listed, Func<int, bool> wantsContent, Action<int, ReadOnlyMemory<byte>> check)
    {
        Task sender = Task.CompletedTask;
        if (pipelined)
            sender = Task.Run(async () =>
            {
                var commands = new StringBuilder();
                for (int first = 1; first <= count; first += 256)
                {
                    commands.Clear();
                    for (int n = first; n < first + 256 && n <= count; n++)
                        commands.Append(CultureInfo.InvariantCulture, $"RETR {n}\r\n");
                    await _tls.WriteAsync(Encoding.ASCII.GetBytes(commands.ToString()));
                }
                await _tls.FlushAsync();
            });
        long total = 0;
        var content = new MemoryStream();
        for (int n = 1; n <= count; n++)
        {
            if (!pipelined)
                await SendAsync(string.Create(CultureInfo.InvariantCulture, $"RETR {n}"));
            string status = await ExpectOkAsync("RETR");
            string[] parts = status.Split(' ');
            if (parts.Length < 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long octets))
                throw new InvalidOperationException($"RETR {n}: no octet count in \"{status}\"");
            bool keep = wantsContent(n);
            content.SetLength(0);
            long length = 0;
            while (true)
            {
                var (start, lineLength) = await LineAsync();
                var line = _buffer.AsSpan(start, lineLength);
                if (line.Length == 1 && line[0] == (byte)'.')
                    break;
                // RFC 1939 3: a line that began with "." was sent with one more.
                int skip = line.Length > 0 && line[0] == (byte)'.' ? 1 : 0;
                length += line.Length - skip + 2;
                if (keep)
                {
                    content.Write(line[skip..]);
                    content.Write("\r\n"u8);
                }
            }
            if (length != octets || length != listed[n - 1])
                throw new InvalidOperationException($"RETR {n}: {length} octets received, \"+OK {octets}\", LIST {listed[n - 1]}");
            if (keep)
                check(n, content.GetBuffer().AsMemory(0, (int)content.Length));
            total += length;
        }
        await sender;
        return total;
    }

    public async Task QuitAsync()
    {
        await SendAsync("QUIT");
        await ExpectOkAsync("QUIT");
    }

    private async Task<List<string>> MultiLineAsync(string command)
    {
        await SendAsync(command);
        await ExpectOkAsync(command);
        var lines = new List<string>();
        while (true)
        {
            var (start, length) = await LineAsync();
            if (length == 1 && _buffer[start] == (byte)'.')
                return lines;
            int skip = length > 0 && _buffer[start] == (byte)'.' ? 1 : 0;
            lines.Add(Encoding.ASCII.GetString(_buffer, start + skip, length - skip));
        }
    }

    private async Task SendAsync(string line)
    {
        await _tls.WriteAsync(Encoding.ASCII.GetBytes(line + "\r\n"));
        await _tls.FlushAsync();
    }

    private async Task<string> ExpectOkAsync(string what)
    {
        var (start, length) = await LineAsync();
        string line = Encoding.ASCII.GetString(_buffer, start, length);
        return line.StartsWith("+OK", StringComparison.Ordinal) ? line : throw new InvalidOperationException($"{what}: {line}");
    }

    /// <summary>The next line (without CRLF) as a range of the buffer, valid until the next call.</summary>
    private async ValueTask<(int Start, int Length)> LineAsync()
    {
        while (true)
        {
            int lf = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (lf >= 0)
            {
                int start = _start;
                _start += lf + 1;
                if (lf == 0 || _buffer[start + lf - 1] != (byte)'\r')
                    throw new InvalidOperationException("a line ended in a bare LF");
                return (start, lf - 1);
            }
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
                throw new InvalidOperationException("a line longer than the client's buffer");
            int read = await _tls.ReadAsync(_buffer.AsMemory(_end));
            if (read == 0)
                throw new IOException("the server closed the connection");
            _end += read;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _socket.Dispose();
    }
}
