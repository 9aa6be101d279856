using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using Appliance.Server.Certificates;
using Appliance.Server.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;

namespace Appliance.Server.Tests.Listeners;

public sealed class StartTlsTests
{
    /// <summary>What the test protocol's server side saw.</summary>
    internal sealed class Recorder
    {
        public TaskCompletionSource<StartTlsResult> Upgrade { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Channel<string> LinesAfterTls { get; } = Channel.CreateUnbounded<string>();
        public TaskCompletionSource<TlsInfo?> ImplicitTls { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// A tiny line protocol on the real plumbing: "READY" greeting; STARTTLS answered "GO" through the
    /// helper; afterwards every line is recorded and echoed; QUIT ends it.
    /// </summary>
    internal sealed class LineProtocolHandler(Recorder recorder) : ConnectionHandler
    {
        public override async Task OnConnectedAsync(ConnectionContext context)
        {
            var connection = MailConnection.From(context);
            recorder.ImplicitTls.TrySetResult(connection.Tls);
            await connection.WriteAsync(MailReplies.Encode(connection.Tls is null ? "READY\r\n" : $"READY {connection.Tls}\r\n"));
            while (true)
            {
                var line = await PlaceholderLines.ReadLineAsync(connection, 512);
                if (line.Interruption != ReadInterruption.None)
                {
                    await connection.SayGoodbyeAsync(line.Interruption);
                    return;
                }
                if (line.Text is null)
                    return;
                if (line.Text == "STARTTLS" && connection.Tls is null)
                {
                    var result = await connection.StartTlsAsync(MailReplies.Encode("GO\r\n"));
                    recorder.Upgrade.TrySetResult(result);
                    if (!result.Succeeded)
                        return;
                    continue;
                }
                if (line.Text == "QUIT")
                {
                    await connection.WriteAsync(MailReplies.Encode("BYE\r\n"));
                    return;
                }
                if (connection.Tls is not null)
                    await recorder.LinesAfterTls.Writer.WriteAsync(line.Text);
                await connection.WriteAsync(MailReplies.Encode($"ECHO {line.Text}\r\n"));
            }
        }
    }

    private static Task<TestMailServer> StartAsync(Recorder recorder, ListenerKind kind = ListenerKind.Smtp, TimeSpan? idleTimeout = null) =>
        TestMailServer.StartAsync<LineProtocolHandler>(
            kind,
            options => options.Listeners.Limits.SmtpIdleTimeout = idleTimeout ?? options.Listeners.Limits.SmtpIdleTimeout,
            services => services.AddSingleton(recorder));

    private static async Task<SslStream> HandshakeAsync(TestMailServer server, Stream stream)
    {
        var expected = server.Services.GetRequiredService<ServerCertificateProvider>().Current;
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false,
            (_, certificate, _, _) => certificate is not null && certificate.GetRawCertData().AsSpan().SequenceEqual(expected.RawData));
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = TestMailServer.Hostname,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }).WaitAsync(TestMailServer.Guard);
        return ssl;
    }

    [Fact]
    public async Task Bytes_pipelined_after_STARTTLS_are_discarded_and_counted_not_read_inside_TLS()
    {
        var recorder = new Recorder();
        await using var server = await StartAsync(recorder);
        using var client = await server.ConnectAsync();
        Assert.Equal("READY", await client.ReadLineAsync());

        // One write: the injected line arrives in the same segment as STARTTLS (CVE-2011-0411).
        await client.SendAsync("STARTTLS\r\nINJECTED\r\n");
        Assert.Equal("GO", await client.ReadLineAsync());
        client.Stream = await HandshakeAsync(server, client.Stream);

        var upgrade = await recorder.Upgrade.Task.WaitAsync(TestMailServer.Guard);
        Assert.Equal(StartTlsStatus.Succeeded, upgrade.Status);
        Assert.Equal("INJECTED\r\n".Length, upgrade.DiscardedBytes);
        Assert.NotNull(upgrade.Tls);
        Assert.False(upgrade.Tls.Implicit);
        Assert.True(upgrade.Tls.Protocol is SslProtocols.Tls12 or SslProtocols.Tls13);
        Assert.Equal(((SslStream)client.Stream).SslProtocol, upgrade.Tls.Protocol);
        Assert.Equal(((SslStream)client.Stream).NegotiatedCipherSuite, upgrade.Tls.CipherSuite);
        Assert.StartsWith("TLSv1.", upgrade.Tls.ToString());
        Assert.Contains(" with cipher TLS_", upgrade.Tls.ToString());

        await client.SendAsync("HELLO\r\n");
        Assert.Equal("ECHO HELLO", await client.ReadLineAsync());
        await client.SendAsync("QUIT\r\n");
        Assert.Equal("BYE", await client.ReadLineAsync());

        // The first (and only) line the server read inside TLS is ours; INJECTED never reached it.
        recorder.LinesAfterTls.Writer.Complete();
        var seen = new List<string>();
        await foreach (string line in recorder.LinesAfterTls.Reader.ReadAllAsync())
            seen.Add(line);
        Assert.Equal(["HELLO"], seen);
    }

    [Fact]
    public async Task Clean_STARTTLS_discards_nothing()
    {
        var recorder = new Recorder();
        await using var server = await StartAsync(recorder);
        using var client = await server.ConnectAsync();
        Assert.Equal("READY", await client.ReadLineAsync());

        await client.SendAsync("STARTTLS\r\n");
        Assert.Equal("GO", await client.ReadLineAsync());
        client.Stream = await HandshakeAsync(server, client.Stream);
        var upgrade = await recorder.Upgrade.Task.WaitAsync(TestMailServer.Guard);
        Assert.Equal(0, upgrade.DiscardedBytes);
        await client.SendAsync("PING\r\n");
        Assert.Equal("ECHO PING", await client.ReadLineAsync());
    }

    [Fact]
    public async Task After_STARTTLS_the_idle_timeout_goodbye_arrives_inside_TLS_followed_by_a_clean_TLS_close()
    {
        var recorder = new Recorder();
        await using var server = await StartAsync(recorder, idleTimeout: TimeSpan.FromMilliseconds(500));
        using var client = await server.ConnectAsync();
        Assert.Equal("READY", await client.ReadLineAsync());
        await client.SendAsync("STARTTLS\r\n");
        Assert.Equal("GO", await client.ReadLineAsync());
        client.Stream = await HandshakeAsync(server, client.Stream);

        Assert.Equal("421 4.4.2 mail.test Idle timeout, closing connection", await client.ReadLineAsync());
        // close_notify: the TLS stream ends cleanly (0 bytes) rather than with a truncation error.
        Assert.Null(await client.ReadLineAsync());
    }

    [Fact]
    public async Task Cleartext_instead_of_a_handshake_fails_the_upgrade_and_ends_the_connection()
    {
        var recorder = new Recorder();
        await using var server = await StartAsync(recorder);
        using var client = await server.ConnectAsync();
        Assert.Equal("READY", await client.ReadLineAsync());

        await client.SendAsync("STARTTLS\r\n");
        Assert.Equal("GO", await client.ReadLineAsync());
        await client.SendAsync("THIS IS NOT A CLIENT HELLO\r\n");

        var upgrade = await recorder.Upgrade.Task.WaitAsync(TestMailServer.Guard);
        Assert.Equal(StartTlsStatus.HandshakeFailed, upgrade.Status);
        Assert.Null(upgrade.Tls);
        Assert.True(await client.IsClosedByServerAsync());
    }

    [Theory]
    [InlineData(ListenerKind.Imaps)]
    [InlineData(ListenerKind.Smtp)]
    public async Task A_replaced_certificate_is_presented_to_the_next_connection_without_a_restart(ListenerKind kind)
    {
        var recorder = new Recorder();
        await using var server = await StartAsync(recorder, kind);
        var provider = server.Services.GetRequiredService<ServerCertificateProvider>();
        var original = provider.Current;

        async Task<string> PresentedThumbprintAsync()
        {
            using var client = await server.ConnectAsync();
            if (!kind.IsImplicitTls())
            {
                Assert.Equal("READY", await client.ReadLineAsync());
                await client.SendAsync("STARTTLS\r\n");
                Assert.Equal("GO", await client.ReadLineAsync());
            }
            await using var ssl = await HandshakeAsync(server, client.Stream);
            return ssl.RemoteCertificate!.GetCertHashString();
        }

        Assert.Equal(original.Thumbprint, await PresentedThumbprintAsync());
        using var renewed = SelfSignedCertificate.Create(TestMailServer.Hostname, DateTimeOffset.UtcNow);
        provider.Install(new IssuedCertificate(renewed, []));
        Assert.Equal(renewed.Thumbprint, await PresentedThumbprintAsync());
    }

    [Fact]
    public async Task Implicit_TLS_connection_reports_its_negotiated_protocol_and_cipher_through_the_same_abstraction()
    {
        var recorder = new Recorder();
        await using var server = await StartAsync(recorder, ListenerKind.Imaps);
        using var client = await server.ConnectAsync();
        var ssl = await HandshakeAsync(server, client.Stream);
        client.Stream = ssl;

        string? greeting = await client.ReadLineAsync();
        var tls = await recorder.ImplicitTls.Task.WaitAsync(TestMailServer.Guard);
        Assert.NotNull(tls);
        Assert.True(tls.Implicit);
        Assert.Equal(ssl.SslProtocol, tls.Protocol);
        Assert.Equal(ssl.NegotiatedCipherSuite, tls.CipherSuite);
        Assert.Equal(TestMailServer.Hostname, tls.ServerName);
        Assert.Equal($"READY {tls}", greeting);
    }
}
