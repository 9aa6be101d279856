// RFC 9051 (IMAP4rev2) / RFC 3501: the few commands the IMAP bench sends, over implicit TLS (RFC 8314).
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Bench;

/// <summary>
/// An IMAP client for the bench: LOGIN, SELECT, FETCH/UID FETCH, LOGOUT, one command at a time.
/// Reads into one buffer and scans lines in place, taking literals ({n} CRLF and n octets) out
/// whole, so the client's own cost stays small next to the server's (it shares a process with our
/// server). Trusts any certificate: both servers use a self-signed one made for the run.
/// </summary>
internal sealed class ImapBenchClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SslStream _tls;
    private readonly byte[] _buffer = new byte[256 * 1024];
    private int _start;
    private int _end;
    private int _tags;

    private ImapBenchClient(Socket socket, SslStream tls)
    {
        _socket = socket;
        _tls = tls;
    }

    public string Protocol => $"{_tls.SslProtocol} {_tls.NegotiatedCipherSuite}";

    /// <summary>The capabilities of the greeting (RFC 9051 7.1.1), or empty when it had none.</summary>
    public string Greeting { get; private set; } = "";

    public static async Task<ImapBenchClient> ConnectAsync(int port)
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
            var client = new ImapBenchClient(socket, tls);
            string greeting = await client.ReadLineAsync();
            if (!greeting.StartsWith("* OK", StringComparison.Ordinal))
                throw new InvalidOperationException("IMAP greeting: " + greeting);
            client.Greeting = greeting;
            return client;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public Task LoginAsync(string user, string password) =>
        CommandAsync($"LOGIN \"{user}\" \"{password}\"", null);

    /// <summary>SELECT: the EXISTS count (RFC 9051 7.4.1).</summary>
    public async Task<int> SelectAsync(string mailbox)
    {
        int exists = -1;
        await CommandAsync($"SELECT \"{mailbox}\"", (line, _) =>
        {
            if (line.EndsWith(" EXISTS", StringComparison.Ordinal))
                exists = int.Parse(line.AsSpan(2, line.Length - 2 - " EXISTS".Length), CultureInfo.InvariantCulture);
        });
        return exists;
    }

    /// <summary>
    /// A FETCH or UID FETCH: calls <paramref name="onFetch"/> with each FETCH response's text
    /// (literals replaced by "{n}") and its literals. Returns the number of FETCH responses.
    /// </summary>
    public async Task<int> FetchAsync(string command, Action<string, IReadOnlyList<byte[]>>? onFetch)
    {
        int count = 0;
        await CommandAsync(command, (line, literals) =>
        {
            if (!line.Contains(" FETCH ", StringComparison.Ordinal))
                return;
            count++;
            onFetch?.Invoke(line, literals);
        });
        return count;
    }

    /// <summary>Any command that must end OK; returns its untagged responses' text (SEARCH results, ...).</summary>
    public async Task<List<string>> RunAsync(string command)
    {
        var lines = new List<string>();
        await CommandAsync(command, (text, _) => lines.Add(text));
        return lines;
    }

    public async Task LogoutAsync()
    {
        await CommandAsync("LOGOUT", null);
    }

    /// <summary>
    /// Sends "tag command" and reads to its tagged completion, which must be OK; each untagged
    /// response goes to <paramref name="onUntagged"/> with its literals.
    /// </summary>
    private async Task CommandAsync(string command, Action<string, IReadOnlyList<byte[]>>? onUntagged)
    {
        string tag = "b" + (++_tags).ToString(CultureInfo.InvariantCulture);
        await _tls.WriteAsync(Encoding.ASCII.GetBytes($"{tag} {command}\r\n"));
        var literals = new List<byte[]>();
        var text = new StringBuilder();
        while (true)
        {
            string line = await ReadLineAsync();
            if (line.StartsWith(tag + " ", StringComparison.Ordinal))
            {
                if (!line.AsSpan(tag.Length + 1).StartsWith("OK", StringComparison.Ordinal))
                    throw new InvalidOperationException($"{command.Split(' ')[0]}: {line}");
                return;
            }
            if (!line.StartsWith("* ", StringComparison.Ordinal))
                throw new InvalidOperationException($"{command.Split(' ')[0]}: unexpected {line}");
            // A response may hold literals: each line ending in {n} is followed by n octets and the
            // rest of the response (RFC 9051 section 4.3).
            text.Clear();
            literals.Clear();
            while (LiteralSize(line) is { } size)
            {
                text.Append(line);
                literals.Add(await ReadOctetsAsync(size));
                line = await ReadLineAsync();
            }
            text.Append(line);
            onUntagged?.Invoke(text.ToString(), literals.Count == 0 ? [] : [.. literals]);
        }
    }

    private static int? LiteralSize(string line)
    {
        if (!line.EndsWith('}'))
            return null;
        int open = line.LastIndexOf('{');
        return open >= 0 && int.TryParse(line.AsSpan(open + 1, line.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out int size)
            ? size : null;
    }

    private async Task<string> ReadLineAsync()
    {
        while (true)
        {
            int lf = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (lf >= 0)
            {
                int length = lf - _start;
                if (length > 0 && _buffer[lf - 1] == '\r')
                    length--;
                string line = Encoding.Latin1.GetString(_buffer, _start, length);
                _start = lf + 1;
                return line;
            }
            await FillAsync();
        }
    }

    private async Task<byte[]> ReadOctetsAsync(int size)
    {
        var octets = new byte[size];
        int copied = 0;
        while (copied < size)
        {
            if (_start == _end)
                await FillAsync();
            int take = Math.Min(size - copied, _end - _start);
            Buffer.BlockCopy(_buffer, _start, octets, copied, take);
            _start += take;
            copied += take;
        }
        return octets;
    }

    private async Task FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
            throw new InvalidOperationException("IMAP line longer than the client's buffer");
        int read = await _tls.ReadAsync(_buffer.AsMemory(_end));
        if (read == 0)
            throw new IOException("the server closed the connection");
        _end += read;
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _socket.Dispose();
    }
}
