using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Appliance.Dns.Wire;

namespace Appliance.Dns.Tests;

/// <summary>
/// A scripted DNS server on 127.0.0.1 (UDP and TCP on the same free port). For each query the
/// handler returns the messages to send back, in order: none to stay silent, several to send
/// forged datagrams before the real one.
/// </summary>
internal sealed class FakeDnsServer : IAsyncDisposable
{
    public enum Transport { Udp, Tcp }

    public sealed record Query(byte[] Bytes, Transport Transport, IPEndPoint From, DnsQuestion Question);

    private readonly Func<Query, IReadOnlyList<byte[]>> _handler;
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private readonly ConcurrentQueue<Query> _queries = new();

    public FakeDnsServer(Func<Query, IReadOnlyList<byte[]>> handler)
    {
        _handler = handler;
        // Bind UDP to a free port, then TCP to the same port; retry in the rare case TCP's is taken.
        while (true)
        {
            _udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            EndPoint = (IPEndPoint)_udp.LocalEndPoint!;
            try
            {
                _tcp = new TcpListener(EndPoint);
                _tcp.Start();
                break;
            }
            catch (SocketException)
            {
                _udp.Dispose();
            }
        }
        _udpLoop = Task.Run(UdpLoopAsync);
        _tcpLoop = Task.Run(TcpLoopAsync);
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Exceptions thrown by the handler; <see cref="DisposeAsync"/> rethrows the first.</summary>
    public ConcurrentQueue<Exception> HandlerErrors { get; } = new();

    public IReadOnlyList<Query> Queries => [.. _queries];

    public int UdpCount => _queries.Count(q => q.Transport == Transport.Udp);

    public int TcpCount => _queries.Count(q => q.Transport == Transport.Tcp);

    private async Task UdpLoopAsync()
    {
        byte[] buffer = new byte[65535];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                if (_stop.IsCancellationRequested)
                    return;
                continue;
            }
            byte[] bytes = buffer[..received.ReceivedBytes];
            var from = (IPEndPoint)received.RemoteEndPoint;
            IReadOnlyList<byte[]> replies;
            try
            {
                replies = Handle(bytes, Transport.Udp, from);
            }
            catch (Exception e)
            {
                // A broken script must fail its test, not silently turn into a timeout.
                HandlerErrors.Enqueue(e);
                continue;
            }
            foreach (byte[] reply in replies)
                await _udp.SendToAsync(reply, SocketFlags.None, from);
        }
    }

    private async Task TcpLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _tcp.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    try
                    {
                        var stream = client.GetStream();
                        byte[] prefix = new byte[2];
                        await stream.ReadExactlyAsync(prefix, _stop.Token);
                        byte[] bytes = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                        await stream.ReadExactlyAsync(bytes, _stop.Token);
                        foreach (byte[] reply in Handle(bytes, Transport.Tcp, (IPEndPoint)client.Client.RemoteEndPoint!))
                        {
                            byte[] framed = new byte[reply.Length + 2];
                            BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)reply.Length);
                            reply.CopyTo(framed, 2);
                            await stream.WriteAsync(framed, _stop.Token);
                        }
                    }
                    catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or SocketException)
                    {
                        // The client went away or the server is stopping.
                    }
                }
            });
        }
    }

    private IReadOnlyList<byte[]> Handle(byte[] bytes, Transport transport, IPEndPoint from)
    {
        Assert.True(DnsMessageParser.TryParseQuestion(bytes, out _, out _, out var question));
        var query = new Query(bytes, transport, from, question);
        _queries.Enqueue(query);
        return _handler(query);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop);
        _stop.Dispose();
        if (HandlerErrors.TryPeek(out var error))
            throw new InvalidOperationException("The fake server's handler failed.", error);
    }
}

/// <summary>A clock the test moves by hand; its timers stay the system's.</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private DateTimeOffset _now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
