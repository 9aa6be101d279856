using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Tests.Shared;

/// <summary>
/// A tiny HTTP/1.1 server on 127.0.0.1 (a free port) answering the http-01 validation requests of
/// <see cref="PebbleServer"/>: GET /.well-known/acme-challenge/{token} gets what
/// <paramref name="answer"/> returns for the token (200), or 404 when it returns null. Every
/// request path is recorded, so a test can show the CA really came.
/// </summary>
internal sealed class HttpChallengeResponder : IAsyncDisposable
{
    private const string Prefix = "/.well-known/acme-challenge/";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, string?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<string> _requests = [];

    public HttpChallengeResponder(Func<string, string?> answer)
    {
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>The request targets seen so far, in order.</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return _requests.ToList(); }
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
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                string? requestLine = await reader.ReadLineAsync(_stop.Token);
                // The headers are read and ignored up to the blank line; the validator sends no body.
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync(_stop.Token)))
                {
                }
                string target = requestLine?.Split(' ') is [_, var path, ..] ? path : "";
                lock (_requests)
                    _requests.Add(target);
                string? body = target.StartsWith(Prefix, StringComparison.Ordinal) ? _answer(target[Prefix.Length..]) : null;
                byte[] content = Encoding.ASCII.GetBytes(body ?? "not found");
                string head = $"HTTP/1.1 {(body is null ? "404 Not Found" : "200 OK")}\r\nContent-Type: application/octet-stream\r\n" +
                              $"Content-Length: {content.Length}\r\nConnection: close\r\n\r\n";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                await stream.WriteAsync(content, _stop.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
                // The validator hung up or the responder is stopping: nothing to answer.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _listener.Dispose();
        _stop.Dispose();
    }
}
