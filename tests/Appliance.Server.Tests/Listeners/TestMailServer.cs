using System.Net;
using System.Net.Sockets;
using System.Text;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Appliance.Server.Listeners;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Tests.Listeners;

/// <summary>A real Kestrel on 127.0.0.1:0 with one mail (or HTTPS) endpoint wired exactly as the host wires it.</summary>
internal sealed class TestMailServer : IAsyncDisposable
{
    public const string Hostname = "mail.test";

    /// <summary>Failure guard only: every wait in these tests ends on an event long before this.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private TestMailServer(WebApplication app, string dataDirectory, IPEndPoint endPoint)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        EndPoint = endPoint;
    }

    public IPEndPoint EndPoint { get; }

    public IServiceProvider Services => _app.Services;

    public MailSessionTracker Tracker => Services.GetRequiredService<MailSessionTracker>();

    public static Task<TestMailServer> StartAsync<THandler>(
        ListenerKind kind, Action<ApplianceOptions>? configure = null, Action<IServiceCollection>? services = null,
        ILoggerProvider? logs = null)
        where THandler : ConnectionHandler =>
        StartAsync(listen => listen.UseMailEndpoint<THandler>(kind), configure, services, logs);

    /// <summary>An HTTPS endpoint wired as the host wires it (TLS only: no application behind it is needed to test certificates).</summary>
    public static Task<TestMailServer> StartHttpsAsync(Action<ApplianceOptions>? configure = null) =>
        StartAsync(listen => listen.UseServerCertificate(), configure, services: null, logs: null);

    private static async Task<TestMailServer> StartAsync(
        Action<ListenOptions> endpoint, Action<ApplianceOptions>? configure, Action<IServiceCollection>? services, ILoggerProvider? logs)
    {
        string dataDirectory = Path.Combine(Path.GetTempPath(), "appliance-listener-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        var options = new ApplianceOptions { Hostname = Hostname, DataDirectory = dataDirectory };
        configure?.Invoke(options);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = dataDirectory });
        builder.Logging.ClearProviders();
        if (logs is not null)
            builder.Logging.AddProvider(logs);
        builder.Services.AddApplianceServices(options);
        builder.Services.AddMailListeners();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.Listeners.Limits.ShutdownTimeout);
        services?.Invoke(builder.Services);
        ListenOptions? bound = null;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            bound = listen;
            endpoint(listen);
        }));

        var app = builder.Build();
        app.Services.GetRequiredService<ServerCertificateProvider>().LoadOrCreate();
        await app.StartAsync();
        return new TestMailServer(app, dataDirectory, bound!.IPEndPoint!);
    }

    public Task StopAsync() => _app.StopAsync();

    public async Task<TestClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(EndPoint).WaitAsync(Guard);
        return new TestClient(client);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}

/// <summary>A line-oriented client over a real socket; optionally switched to TLS.</summary>
internal sealed class TestClient : IDisposable
{
    private readonly TcpClient _tcp;

    public TestClient(TcpClient tcp)
    {
        _tcp = tcp;
        Stream = tcp.GetStream();
    }

    public Stream Stream { get; set; }

    /// <summary>The client's own address and port: what the server logs as the remote end point.</summary>
    public EndPoint LocalEndPoint
    {
        get
        {
            // TcpClient's socket is dual-mode, so it reports itself as ::ffff:127.0.0.1.
            var local = (IPEndPoint)_tcp.Client.LocalEndPoint!;
            return local.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(local.Address.MapToIPv4(), local.Port) : local;
        }
    }

    public Task SendAsync(string text) => Stream.WriteAsync(Encoding.ASCII.GetBytes(text)).AsTask().WaitAsync(TestMailServer.Guard);

    /// <summary>
    /// One line without its CRLF, or null at end of stream. Reads a byte at a time so that nothing
    /// after the line is consumed (the bytes after "ready to start TLS" belong to the handshake).
    /// </summary>
    public async Task<string?> ReadLineAsync()
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            int read = await Stream.ReadAsync(one).AsTask().WaitAsync(TestMailServer.Guard);
            if (read == 0)
                return line.Count == 0 ? null : Encoding.ASCII.GetString([.. line]);
            if (one[0] == '\n')
                return Encoding.ASCII.GetString([.. line]).TrimEnd('\r');
            line.Add(one[0]);
        }
    }

    /// <summary>True when the server closed the connection (end of stream, or reset after its last words).</summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        try
        {
            return await ReadLineAsync() is null;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public void Dispose() => _tcp.Dispose();
}
