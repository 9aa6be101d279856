using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using Appliance.Server.Certificates;
using Appliance.Server.Configuration;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Server.Listeners;

internal enum StartTlsStatus
{
    Succeeded,
    /// <summary>The client failed or refused the handshake (or sent non-TLS bytes): close the connection.</summary>
    HandshakeFailed,
    /// <summary>The handshake took longer than <see cref="ListenerLimitsOptions.TlsHandshakeTimeout"/>: close the connection.</summary>
    TimedOut,
    /// <summary>The server began to stop during the handshake: close the connection.</summary>
    ShuttingDown,
}

/// <param name="DiscardedBytes">
/// Cleartext bytes that followed the STARTTLS command and were thrown away before the handshake.
/// Non-zero means a pipelining client or an injection attempt; the engine may log or penalise it.
/// </param>
/// <param name="Tls">What was negotiated; null unless <see cref="Status"/> is Succeeded.</param>
internal sealed record StartTlsResult(StartTlsStatus Status, int DiscardedBytes, TlsInfo? Tls)
{
    public bool Succeeded => Status == StartTlsStatus.Succeeded;
}

/// <summary>
/// STARTTLS for SMTP (RFC 3207), IMAP (RFC 9051 6.2.1) and POP3 STLS (RFC 2595 4), and implicit
/// TLS on the submission and mail-access ports (RFC 8314), done once here.
/// </summary>
internal sealed class StartTlsUpgrader
{
    private readonly ServerCertificateProvider _certificates;
    private readonly TimeSpan _handshakeTimeout;

    public StartTlsUpgrader(ServerCertificateProvider certificates, ApplianceOptions options)
    {
        _certificates = certificates;
        _handshakeTimeout = options.Listeners.Limits.TlsHandshakeTimeout;
    }

    /// <summary>
    /// Call after the engine accepted the command and advanced the input past its line, instead of
    /// sending the ready reply itself. In this order:
    /// 1. every byte already received after the command is discarded: RFC 3207 section 4 (and RFC
    ///    2595 3.1) say cleartext before TLS must not be acted on after it; pipelined commands after
    ///    STARTTLS are how CVE-2011-0411 injected commands into the TLS session;
    /// 2. <paramref name="readyReply"/> ("220 2.0.0 Ready to start TLS", "A1 OK Begin TLS", "+OK")
    ///    is sent; only after it may the client start the handshake, so nothing it sends from now on
    ///    is discarded (injected bytes still in flight reach the handshake and make it fail instead);
    /// 3. the TLS handshake runs with the provider's certificate for the client's SNI name, TLS 1.2 or later;
    /// 4. the connection's transport becomes a pipe over the TLS stream, so the engine keeps reading
    ///    <see cref="MailConnection.Input"/> and now gets cleartext from inside TLS.
    /// When the result is not Succeeded the connection is unusable and the engine must end it.
    /// </summary>
    public async Task<StartTlsResult> UpgradeAsync(MailConnection connection, ReadOnlyMemory<byte> readyReply, CancellationToken cancellationToken = default)
    {
        if (connection.Tls is not null)
            throw new InvalidOperationException("TLS is already active on this connection; the engine must refuse a second STARTTLS.");

        ConnectionContext context = connection.Context;
        var raw = context.Transport;
        int discarded = DiscardBuffered(raw.Input);
        if (discarded > 0)
            connection.Logger.StartTlsDiscarded(discarded);

        await raw.Output.WriteAsync(readyReply, cancellationToken).ConfigureAwait(false);
        return await HandshakeAsync(connection, discarded, implicitTls: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// TLS from the first byte, on 465/993/995 (RFC 8314 3.3). Done here rather than by Kestrel's
    /// HTTPS adapter so both kinds of TLS share one path, and so that the session ends with a TLS
    /// close_notify: OpenSSL-based clients (mutt, fetchmail, openssl s_client) report a bare TCP
    /// close as a truncation attack.
    /// </summary>
    public Task<StartTlsResult> AcceptImplicitAsync(MailConnection connection, CancellationToken cancellationToken = default)
    {
        if (connection.Tls is not null)
            throw new InvalidOperationException("TLS is already active on this connection.");
        return HandshakeAsync(connection, discarded: 0, implicitTls: true, cancellationToken);
    }

    private async Task<StartTlsResult> HandshakeAsync(MailConnection connection, int discarded, bool implicitTls, CancellationToken cancellationToken)
    {
        ConnectionContext context = connection.Context;
        var raw = context.Transport;
        var ssl = new SslStream(new DuplexPipeStream(raw.Input, raw.Output), leaveInnerStreamOpen: false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connection.Stopping);
        deadline.CancelAfter(_handshakeTimeout);
        try
        {
            // The certificate is chosen from the ClientHello's server name (RFC 6066 3), so a client
            // asking for autoconfig.<domain> gets the certificate that names it.
            await ssl.AuthenticateAsServerAsync(SelectForClientHello, _certificates, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            var status = e is not OperationCanceledException ? StartTlsStatus.HandshakeFailed
                : connection.Stopping.IsCancellationRequested ? StartTlsStatus.ShuttingDown
                : StartTlsStatus.TimedOut;
            connection.Logger.TlsHandshakeFailed(status, e);
            return new StartTlsResult(status, discarded, null);
        }

        var secured = new SecuredTransport(ssl);
        connection.RegisterForDispose(secured);
        context.Transport = secured;
        connection.Tls = TlsInfo.FromStream(ssl, implicitTls);
        connection.Logger.TlsEstablished(connection.Tls);
        return new StartTlsResult(StartTlsStatus.Succeeded, discarded, connection.Tls);
    }

    private static ValueTask<SslServerAuthenticationOptions> SelectForClientHello(
        SslStream stream, SslClientHelloInfo clientHello, object? state, CancellationToken cancellationToken) =>
        ValueTask.FromResult(((ServerCertificateProvider)state!).CreateServerAuthenticationOptions(clientHello.ServerName));

    /// <summary>Consumes whatever the input already holds, without waiting for more; returns its length.</summary>
    internal static int DiscardBuffered(PipeReader input)
    {
        long total = 0;
        while (input.TryRead(out var result))
        {
            long length = result.Buffer.Length;
            input.AdvanceTo(result.Buffer.End);
            total += length;
            if (length == 0 || result.IsCompleted || result.IsCanceled)
                break;
        }
        return (int)Math.Min(total, int.MaxValue);
    }

    /// <summary>The cleartext side of the TLS session as the connection's new transport.</summary>
    private sealed class SecuredTransport : IDuplexPipe, IAsyncDisposable
    {
        /// <summary>
        /// The writer's buffer size: the largest plaintext of one TLS record (RFC 8446 5.1, RFC 5246
        /// 6.2.1: 2^14 octets). A flush hands each buffer to SslStream as one write, which becomes one
        /// record and one send on the raw connection, so buffers this large carry many small responses
        /// (a FETCH of 100 headers) in a few records rather than one record each; the default (4 KB)
        /// would take four records where one does.
        /// </summary>
        private const int TlsRecordPayload = 16 * 1024;

        private readonly SslStream _ssl;

        public SecuredTransport(SslStream ssl)
        {
            _ssl = ssl;
            Input = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
            Output = PipeWriter.Create(ssl, new StreamPipeWriterOptions(minimumBufferSize: TlsRecordPayload, leaveOpen: true));
        }

        public PipeReader Input { get; }

        public PipeWriter Output { get; }

        public async ValueTask DisposeAsync()
        {
            try
            {
                // Completing the writer flushes what the engine wrote last (its goodbye), then TLS
                // close_notify lets the client tell a clean end from a truncation.
                await Output.CompleteAsync().ConfigureAwait(false);
                await Input.CompleteAsync().ConfigureAwait(false);
                await _ssl.ShutdownAsync().ConfigureAwait(false);
            }
            finally
            {
                await _ssl.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
