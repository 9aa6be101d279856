using System.Net;
using System.Net.Sockets;

namespace Appliance.Tests.Shared;

/// <summary>
/// Free loopback ports for private daemons (unbound, pebble, postfix, dovecot, PostgreSQL) that are
/// given a port number rather than binding port 0 themselves. The port is free when asked; a daemon
/// that loses a race for it fails to start, which its harness reports.
/// </summary>
internal static class LoopbackPorts
{
    public static int FreeTcp()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)tcp.LocalEndPoint!).Port;
    }

    /// <summary>A port free for both UDP and TCP (a DNS server binds both).</summary>
    public static int FreeUdpAndTcp()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)udp.LocalEndPoint!).Port;
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
        return port;
    }
}
