using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Appliance.Server.Configuration;
using Appliance.Server.Queue;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Delivery.Outbound;

// RFC 5321 (SMTP client side: 3.1-3.3 session and transaction, 4.1.1 commands, 4.2 replies,
// 4.5.2 transparency, 4.5.3.2 timeouts), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING), RFC 1870
// (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 3461 (DSN parameters), RFC 4954 (AUTH),
// RFC 4616 (PLAIN), RFC 8314 (implicit TLS).

internal sealed record SmtpCredentials(string Username, string Password);

/// <summary>One address to deliver to.</summary>
/// <param name="HostName">The MX or smarthost name: TLS SNI and certificate name, logs.</param>
/// <param name="ImplicitTls">TLS from the first byte (port 465, RFC 8314 3.3).</param>
/// <param name="RequireTls">Defer rather than send without TLS or with a certificate that does not verify.</param>
internal sealed record SmtpTarget(
    string HostName, IPAddress Address, int Port, bool ImplicitTls = false, SmtpCredentials? Credentials = null, bool RequireTls = false);

/// <summary>What to send in one transaction.</summary>
internal sealed record SmtpMessage(
    string ReversePath,
    IReadOnlyList<OutboundRecipient> Recipients,
    string? EnvelopeId,
    DsnReturn Return,
    bool RequiresSmtpUtf8,
    bool EightBitMime,
    long Size,
    Func<Stream> OpenContent);

internal enum SmtpRecipientStatus
{
    Delivered,
    /// <summary>4xx or a failure of the connection: try again later.</summary>
    Deferred,
    /// <summary>5xx: do not try again.</summary>
    Failed,
}

internal sealed record SmtpRecipientResult(OutboundRecipient Recipient, SmtpRecipientStatus Status, SmtpReply Reply);

/// <param name="TryNextHost">
/// The session failed before any recipient's fate was decided (connection refused, bad greeting,
/// TLS required but missing, timeout before MAIL): RFC 5321 5.1 says to try the next MX. Every
/// recipient is then Deferred with the reason.
/// </param>
/// <param name="Tls">"TLSv1.3 with cipher ... (verified)" or "(unverified)", null for cleartext.</param>
internal sealed record SmtpDeliveryResult(bool TryNextHost, IReadOnlyList<SmtpRecipientResult> Recipients, string? Tls);

/// <summary>
/// Our SMTP client: one connection, one transaction, every recipient of one message for one
/// destination. It never throws for what the peer or the network does; the result says what
/// happened to each recipient.
/// </summary>
internal sealed class SmtpDeliveryClient
{
    private readonly ApplianceOptions _options;
    private readonly SmtpClientOptions _limits;
    private readonly ILogger<SmtpDeliveryClient> _logger;

    public SmtpDeliveryClient(ApplianceOptions options, ILogger<SmtpDeliveryClient> logger)
    {
        _options = options;
        _limits = options.Queue.Client;
        _logger = logger;
    }

    public async Task<SmtpDeliveryResult> SendAsync(SmtpTarget target, SmtpMessage message, CancellationToken ct)
    {
        var session = new Session(this, target, message, allowStartTls: true);
        var result = await session.RunAsync(ct);
        if (session.TlsHandshakeFailed && !target.RequireTls && !target.ImplicitTls)
        {
            // Opportunistic TLS (RFC 3207 4.1 leaves the choice to the client): a peer whose TLS
            // is broken still gets its mail in cleartext on a new connection, as Postfix does.
            _logger.RetryingWithoutTls(target.HostName, target.Address.ToString());
            result = await new Session(this, target, message, allowStartTls: false).RunAsync(ct);
        }
        return result;
    }

    /// <summary>RFC 3461 4: xtext, "+" and "=" and everything outside "!".."~" as "+HH" of the UTF-8 octets.</summary>
    internal static string XText(string value)
    {
        var sb = new StringBuilder();
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= 33 and <= 126 && b is not ((byte)'+' or (byte)'='))
                sb.Append((char)b);
            else
                sb.Append('+').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>A path we would put in a command line: no controls (CR/LF would inject commands), no angle brackets, no spaces.</summary>
    internal static bool IsSafePath(string path) => path.All(c => c > ' ' && c != '<' && c != '>' && c != 0x7F);

    private sealed class Session(SmtpDeliveryClient client, SmtpTarget target, SmtpMessage message, bool allowStartTls)
    {
        private readonly SmtpClientOptions _limits = client._limits;
        private readonly ILogger _logger = client._logger;
        private Stream _stream = Stream.Null;
        private SmtpReplyReader _reader = null!;
        private string? _tls;
        private bool _tlsVerified;
        private Dictionary<string, string> _extensions = new(StringComparer.OrdinalIgnoreCase);

        public bool TlsHandshakeFailed { get; private set; }

        /// <summary>The stage we are in, named in the reason of a failure ("timeout waiting for the reply to MAIL").</summary>
        private string _stage = "connect";

        public async Task<SmtpDeliveryResult> RunAsync(CancellationToken ct)
        {
            Socket? socket = null;
            var decided = new Dictionary<OutboundRecipient, SmtpRecipientResult>();
            var accepted = new List<OutboundRecipient>();
            try
            {
                socket = new Socket(target.Address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using (var connect = Timeout(_limits.ConnectTimeout, ct))
                    await socket.ConnectAsync(new IPEndPoint(target.Address, target.Port), connect.Token);
                _stream = new NetworkStream(socket, ownsSocket: true);
                socket = null;
                if (target.ImplicitTls && !await StartTlsHandshakeAsync(ct))
                    return SessionFailure(SmtpReply.Local(421, "4.7.0", $"TLS handshake with {target.HostName} failed"));
                _reader = new SmtpReplyReader(_stream, _limits.MaxReplyLineLength, _limits.MaxReplyLines);

                // RFC 5321 3.1: the 220 greeting (4.5.3.2.1: 5 minutes).
                _stage = "the greeting";
                var greeting = await ReadAsync(_limits.GreetingTimeout, ct);
                if (greeting.Code != 220)
                    return await QuitWith(SessionFailure(greeting), ct);

                var hello = await HelloAsync(ct);
                if (hello is not null)
                    return await QuitWith(SessionFailure(hello), ct);

                // RFC 3207 4: STARTTLS when offered; 4.2: after it, forget all we knew and EHLO again.
                if (!target.ImplicitTls && allowStartTls && _extensions.ContainsKey("STARTTLS"))
                {
                    _stage = "the reply to STARTTLS";
                    await WriteLineAsync("STARTTLS", ct);
                    var reply = await ReadAsync(_limits.CommandTimeout, ct);
                    if (reply.Code == 220)
                    {
                        if (_reader.Buffered > 0)
                            _logger.StartTlsDiscarded(target.HostName, _reader.Buffered);
                        // The old reader and its buffer are dropped here: plaintext sent ahead of the handshake never counts.
                        if (!await StartTlsHandshakeAsync(ct))
                        {
                            TlsHandshakeFailed = true;
                            return SessionFailure(SmtpReply.Local(421, "4.7.0", $"TLS handshake with {target.HostName} failed"));
                        }
                        _reader = new SmtpReplyReader(_stream, _limits.MaxReplyLineLength, _limits.MaxReplyLines);
                        _extensions = new(StringComparer.OrdinalIgnoreCase);
                        hello = await HelloAsync(ct);
                        if (hello is not null)
                            return await QuitWith(SessionFailure(hello), ct);
                    }
                }

                if (target.RequireTls && (_tls is null || !_tlsVerified))
                {
                    return await QuitWith(SessionFailure(SmtpReply.Local(421, "4.7.5",
                        _tls is null ? $"{target.HostName} offers no TLS and TLS is required" : $"the certificate of {target.HostName} does not verify and TLS is required")), ct);
                }

                if (target.Credentials is not null)
                {
                    var auth = await AuthenticateAsync(target.Credentials, ct);
                    if (auth is not null)
                        return await QuitWith(SessionFailure(auth), ct);
                }

                // RFC 6531 3.4: without SMTPUTF8 at the peer, a message that needs it must not be sent; it bounces.
                bool peerUtf8 = _extensions.ContainsKey("SMTPUTF8");
                if ((message.RequiresSmtpUtf8 || !IsAscii(message.ReversePath)) && !peerUtf8)
                {
                    var reply = SmtpReply.Local(553, "5.6.7", $"{target.HostName} does not support SMTPUTF8, which this message requires");
                    return await QuitWith(AllRecipients(SmtpRecipientStatus.Failed, reply), ct);
                }

                // RFC 1870 6: a message larger than the peer's declared maximum is not sent; permanent.
                if (_extensions.TryGetValue("SIZE", out string? sizeText)
                    && long.TryParse(sizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long maxSize)
                    && maxSize > 0 && message.Size > maxSize)
                {
                    var reply = SmtpReply.Local(552, "5.3.4", $"message size {message.Size} exceeds the limit {maxSize} of {target.HostName}");
                    return await QuitWith(AllRecipients(SmtpRecipientStatus.Failed, reply), ct);
                }

                if (!IsSafePath(message.ReversePath) && message.ReversePath.Length > 0)
                    return await QuitWith(AllRecipients(SmtpRecipientStatus.Failed, SmtpReply.Local(553, "5.1.7", "malformed sender address")), ct);

                var sendable = new List<OutboundRecipient>();
                foreach (var recipient in message.Recipients)
                {
                    if (!IsSafePath(recipient.Address))
                        decided[recipient] = new(recipient, SmtpRecipientStatus.Failed, SmtpReply.Local(553, "5.1.3", "malformed recipient address"));
                    else if (!peerUtf8 && !IsAscii(recipient.Address))
                        // RFC 6531 3.3: a UTF-8 mailbox needs SMTPUTF8; the ASCII recipients still get the message.
                        decided[recipient] = new(recipient, SmtpRecipientStatus.Failed,
                            SmtpReply.Local(553, "5.6.7", $"{target.HostName} does not support SMTPUTF8, which this address requires"));
                    else
                        sendable.Add(recipient);
                }

                if (sendable.Count == 0)
                    return await QuitWith(Result(decided), ct);
                string mail = MailCommand(sendable);
                var rcpts = sendable.Select(RcptCommand).ToList();
                SmtpReply mailReply;
                var rcptReplies = new List<SmtpReply>();
                if (_extensions.ContainsKey("PIPELINING"))
                {
                    // RFC 2920 3.1: MAIL and RCPTs go in one write; replies come back in order.
                    _stage = "the reply to MAIL";
                    await WriteLinesAsync([mail, .. rcpts], ct);
                    mailReply = await ReadAsync(_limits.MailTimeout, ct);
                    _stage = "the reply to RCPT";
                    foreach (var _ in rcpts)
                        rcptReplies.Add(await ReadAsync(_limits.RcptTimeout, ct));
                }
                else
                {
                    _stage = "the reply to MAIL";
                    await WriteLineAsync(mail, ct);
                    mailReply = await ReadAsync(_limits.MailTimeout, ct);
                    if (mailReply.Code / 100 == 2)
                    {
                        _stage = "the reply to RCPT";
                        foreach (string rcpt in rcpts)
                        {
                            await WriteLineAsync(rcpt, ct);
                            rcptReplies.Add(await ReadAsync(_limits.RcptTimeout, ct));
                        }
                    }
                }

                if (mailReply.Code / 100 != 2)
                {
                    // RFC 5321 3.3: MAIL refused: the whole transaction is, for every recipient.
                    var status = mailReply.IsPermanent ? SmtpRecipientStatus.Failed : SmtpRecipientStatus.Deferred;
                    foreach (var recipient in sendable)
                        decided[recipient] = new(recipient, status, mailReply);
                    return await QuitWith(Result(decided), ct);
                }

                for (int i = 0; i < sendable.Count; i++)
                {
                    var reply = rcptReplies[i];
                    if (reply.Code / 100 == 2)
                        accepted.Add(sendable[i]);
                    else
                        decided[sendable[i]] = new(sendable[i], reply.IsPermanent ? SmtpRecipientStatus.Failed : SmtpRecipientStatus.Deferred, reply);
                }
                if (accepted.Count == 0)
                    return await QuitWith(Result(decided), ct);

                // RFC 5321 4.1.1.4: DATA, 354, the text, CRLF.CRLF, one reply for all accepted recipients.
                _stage = "the reply to DATA";
                await WriteLineAsync("DATA", ct);
                var dataReply = await ReadAsync(_limits.DataInitiationTimeout, ct);
                if (dataReply.Code != 354)
                {
                    var status = dataReply.IsPermanent ? SmtpRecipientStatus.Failed : SmtpRecipientStatus.Deferred;
                    foreach (var recipient in accepted)
                        decided[recipient] = new(recipient, status, dataReply);
                    return await QuitWith(Result(decided), ct);
                }
                _stage = "sending the message";
                await SendContentAsync(ct);
                _stage = "the reply after the end of data";
                var final = await ReadAsync(_limits.DataTerminationTimeout, ct);
                var finalStatus = final.Code / 100 == 2 ? SmtpRecipientStatus.Delivered
                    : final.IsPermanent ? SmtpRecipientStatus.Failed : SmtpRecipientStatus.Deferred;
                foreach (var recipient in accepted)
                    decided[recipient] = new(recipient, finalStatus, final);
                return await QuitWith(Result(decided), ct);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or AuthenticationException && !ct.IsCancellationRequested)
            {
                string reason = e is OperationCanceledException ? $"timeout waiting for {_stage}" : $"{e.Message} ({_stage})";
                _logger.SessionFailed(target.HostName, target.Address.ToString(), reason);
                var reply = SmtpReply.Local(451, "4.4.2", $"{target.HostName}[{target.Address}]: {reason}");
                if (decided.Count == 0 && accepted.Count == 0)
                    return SessionFailure(reply);
                // Some recipients were answered already: those answers stand; the rest are deferred.
                // After the data went out, the message may have arrived: RFC 5321 6.1 accepts a duplicate over a loss.
                foreach (var recipient in message.Recipients.Where(r => !decided.ContainsKey(r)))
                    decided[recipient] = new(recipient, SmtpRecipientStatus.Deferred, reply);
                return Result(decided);
            }
            finally
            {
                socket?.Dispose();
                await _stream.DisposeAsync();
            }
        }

        private static bool IsAscii(string value) => value.All(char.IsAscii);

        private SmtpDeliveryResult Result(Dictionary<OutboundRecipient, SmtpRecipientResult> decided) =>
            new(false, message.Recipients.Select(r => decided.TryGetValue(r, out var d) ? d
                : new SmtpRecipientResult(r, SmtpRecipientStatus.Deferred, SmtpReply.Local(451, "4.3.0", "not attempted"))).ToList(), TlsText);

        private SmtpDeliveryResult SessionFailure(SmtpReply reply) =>
            new(true, message.Recipients.Select(r => new SmtpRecipientResult(r, SmtpRecipientStatus.Deferred, reply)).ToList(), TlsText);

        private SmtpDeliveryResult AllRecipients(SmtpRecipientStatus status, SmtpReply reply) =>
            new(false, message.Recipients.Select(r => new SmtpRecipientResult(r, status, reply)).ToList(), TlsText);

        private string? TlsText => _tls is null ? null : $"{_tls} ({(_tlsVerified ? "verified" : "unverified")})";

        /// <summary>RFC 5321 4.1.1.10: QUIT, then close; a peer that does not answer does not change the result.</summary>
        private async Task<SmtpDeliveryResult> QuitWith(SmtpDeliveryResult result, CancellationToken ct)
        {
            try
            {
                _stage = "the reply to QUIT";
                await WriteLineAsync("QUIT", ct);
                await ReadAsync(_limits.CommandTimeout, ct);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException && !ct.IsCancellationRequested)
            {
            }
            return result;
        }

        /// <summary>
        /// RFC 5321 4.1.1.1 and 3.2: EHLO with our host name; a 5xx (a pre-ESMTP server) gets
        /// HELO. Returns null on success, else the reply that ended the session.
        /// </summary>
        private async Task<SmtpReply?> HelloAsync(CancellationToken ct)
        {
            string name = client._options.Hostname;
            _stage = "the reply to EHLO";
            await WriteLineAsync("EHLO " + name, ct);
            var ehlo = await ReadAsync(_limits.CommandTimeout, ct);
            if (ehlo.Code == 250)
            {
                // Each line after the first is "KEYWORD [params]" (RFC 5321 4.1.1.1).
                foreach (string line in ehlo.Lines.Skip(1))
                {
                    string trimmed = line.Trim();
                    int space = trimmed.IndexOf(' ');
                    string keyword = space < 0 ? trimmed : trimmed[..space];
                    if (keyword.Length > 0)
                        _extensions[keyword] = space < 0 ? "" : trimmed[(space + 1)..].Trim();
                }
                return null;
            }
            if (!ehlo.IsPermanent)
                return ehlo;
            _stage = "the reply to HELO";
            await WriteLineAsync("HELO " + name, ct);
            var helo = await ReadAsync(_limits.CommandTimeout, ct);
            return helo.Code == 250 ? null : helo;
        }

        /// <summary>RFC 4954 4: AUTH PLAIN (RFC 4616) with an initial response, else LOGIN; only ever over TLS.</summary>
        private async Task<SmtpReply?> AuthenticateAsync(SmtpCredentials credentials, CancellationToken ct)
        {
            if (_tls is null)
                return SmtpReply.Local(421, "4.7.0", $"refusing to send credentials to {target.HostName} without TLS");
            string[] mechanisms = _extensions.TryGetValue("AUTH", out string? list) ? list.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            _stage = "the reply to AUTH";
            if (mechanisms.Contains("PLAIN", StringComparer.OrdinalIgnoreCase) || !mechanisms.Contains("LOGIN", StringComparer.OrdinalIgnoreCase))
            {
                string token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{credentials.Username}\0{credentials.Password}"));
                await WriteLineAsync("AUTH PLAIN " + token, ct, redact: "AUTH PLAIN ***");
                var reply = await ReadAsync(_limits.CommandTimeout, ct);
                if (reply.Code == 334)
                {
                    // A server that ignores initial responses asks with an empty challenge (RFC 4954 4).
                    await WriteLineAsync(token, ct, redact: "***");
                    reply = await ReadAsync(_limits.CommandTimeout, ct);
                }
                return reply.Code == 235 ? null : reply;
            }
            await WriteLineAsync("AUTH LOGIN", ct);
            var step = await ReadAsync(_limits.CommandTimeout, ct);
            if (step.Code != 334)
                return step;
            await WriteLineAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Username)), ct, redact: "***");
            step = await ReadAsync(_limits.CommandTimeout, ct);
            if (step.Code != 334)
                return step;
            await WriteLineAsync(Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials.Password)), ct, redact: "***");
            step = await ReadAsync(_limits.CommandTimeout, ct);
            return step.Code == 235 ? null : step;
        }

        /// <summary>RFC 5321 4.1.1.2 with the parameters of SIZE (RFC 1870), BODY (RFC 6152), SMTPUTF8 (RFC 6531) and RET/ENVID (RFC 3461 4.3, 4.4).</summary>
        private string MailCommand(IReadOnlyList<OutboundRecipient> sendable)
        {
            var sb = new StringBuilder("MAIL FROM:<").Append(message.ReversePath).Append('>');
            if (_extensions.ContainsKey("SIZE"))
                sb.Append(" SIZE=").Append(message.Size.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // RFC 6152 3: BODY=8BITMIME when the peer offers it. A peer without it still gets the
            // message unchanged rather than a bounce. Postfix would convert it to 7bit instead
            // (disable_mime_output_conversion = no), but converting mail we signed breaks its
            // DKIM signature, and nearly every server accepts 8-bit text. A 7bit downgrade that
            // re-signs is the complete answer; it is not written yet.
            if (message.EightBitMime && _extensions.ContainsKey("8BITMIME"))
                sb.Append(" BODY=8BITMIME");
            // RFC 6531 3.4: SMTPUTF8 when the message or any path of this transaction needs it.
            if ((message.RequiresSmtpUtf8 || !IsAscii(message.ReversePath) || sendable.Any(r => !IsAscii(r.Address))) && _extensions.ContainsKey("SMTPUTF8"))
                sb.Append(" SMTPUTF8");
            if (_extensions.ContainsKey("DSN"))
            {
                if (message.Return != DsnReturn.Default)
                    sb.Append(" RET=").Append(message.Return == DsnReturn.Full ? "FULL" : "HDRS");
                if (message.EnvelopeId is not null)
                    sb.Append(" ENVID=").Append(XText(message.EnvelopeId));
            }
            return sb.ToString();
        }

        /// <summary>RFC 5321 4.1.1.3 with NOTIFY and ORCPT (RFC 3461 4.1, 4.2) when the peer offers DSN.</summary>
        private string RcptCommand(OutboundRecipient recipient)
        {
            var sb = new StringBuilder("RCPT TO:<").Append(recipient.Address).Append('>');
            if (_extensions.ContainsKey("DSN"))
            {
                if (recipient.Notify.HasFlag(DsnNotify.Never))
                    sb.Append(" NOTIFY=NEVER");
                else if (recipient.Notify != DsnNotify.Default)
                {
                    var parts = new List<string>();
                    if (recipient.Notify.HasFlag(DsnNotify.Success)) parts.Add("SUCCESS");
                    if (recipient.Notify.HasFlag(DsnNotify.Failure)) parts.Add("FAILURE");
                    if (recipient.Notify.HasFlag(DsnNotify.Delay)) parts.Add("DELAY");
                    sb.Append(" NOTIFY=").Append(string.Join(',', parts));
                }
                if (recipient.OriginalRecipient is { } orcpt && orcpt.IndexOf(';') is int semicolon and > 0)
                    sb.Append(" ORCPT=").Append(orcpt[..semicolon].Trim()).Append(';').Append(XText(orcpt[(semicolon + 1)..].Trim()));
            }
            return sb.ToString();
        }

        private async Task SendContentAsync(CancellationToken ct)
        {
            await using var content = message.OpenContent();
            var writer = new DotStuffingWriter();
            byte[] input = new byte[64 * 1024];
            byte[] output = new byte[DotStuffingWriter.MaxOutput(input.Length)];
            int read;
            while ((read = await content.ReadAsync(input, ct)) > 0)
            {
                int length = writer.Transform(input.AsSpan(0, read), output);
                await WriteRawAsync(output.AsMemory(0, length), _limits.DataBlockTimeout, ct);
            }
            int tail = writer.Finish(output);
            await WriteRawAsync(output.AsMemory(0, tail), _limits.DataBlockTimeout, ct);
        }

        private async Task<bool> StartTlsHandshakeAsync(CancellationToken ct)
        {
            bool verified = false;
            var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = IPAddress.TryParse(target.HostName, out _) ? "" : target.HostName,
                // Opportunistic TLS (RFC 7435): proceed whatever the certificate, but record
                // whether it verified; RequireTls (smarthost) turns an unverified one into a deferral.
                RemoteCertificateValidationCallback = (_, _, _, errors) =>
                {
                    verified = errors == SslPolicyErrors.None;
                    return true;
                },
                CertificateRevocationCheckMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
            };
            try
            {
                using var timeout = Timeout(_limits.TlsHandshakeTimeout, ct);
                await ssl.AuthenticateAsClientAsync(options, timeout.Token);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                _logger.TlsFailed(target.HostName, target.Address.ToString(), e.Message);
                await ssl.DisposeAsync();
                _stream = Stream.Null;
                return false;
            }
            _stream = ssl;
            _tlsVerified = verified;
            var info = Listeners.TlsInfo.FromStream(ssl, target.ImplicitTls);
            _tls = info.ToString();
            return true;
        }

        private async Task<SmtpReply> ReadAsync(TimeSpan timeout, CancellationToken ct)
        {
            using var cts = Timeout(timeout, ct);
            var reply = await _reader.ReadAsync(cts.Token);
            _logger.Received(target.HostName, reply.ToString());
            return reply;
        }

        private Task WriteLineAsync(string line, CancellationToken ct, string? redact = null)
        {
            _logger.Sent(target.HostName, redact ?? line);
            return WriteLinesAsync([line], ct, log: false);
        }

        private async Task WriteLinesAsync(IReadOnlyList<string> lines, CancellationToken ct, bool log = true)
        {
            var sb = new StringBuilder();
            foreach (string line in lines)
            {
                if (log)
                    _logger.Sent(target.HostName, line);
                // Commands are ASCII, or UTF-8 in paths under SMTPUTF8 (RFC 6531 3.3); always CRLF (RFC 5321 2.3.8).
                sb.Append(line).Append("\r\n");
            }
            await WriteRawAsync(Encoding.UTF8.GetBytes(sb.ToString()), _limits.CommandTimeout, ct);
        }

        private async Task WriteRawAsync(ReadOnlyMemory<byte> data, TimeSpan timeout, CancellationToken ct)
        {
            using var cts = Timeout(timeout, ct);
            await _stream.WriteAsync(data, cts.Token);
            await _stream.FlushAsync(cts.Token);
        }

        private static CancellationTokenSource Timeout(TimeSpan timeout, CancellationToken ct)
        {
            var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            cts.CancelAfter(timeout);
            return cts;
        }
    }
}

/// <summary>
/// Message text onto the wire (RFC 5321 4.5.2 transparency and 2.3.8 line endings): a "." at
/// the start of a line gets another "."; every line ends in CRLF, so a bare LF or a bare CR in
/// the stored message becomes CRLF (never a bare one on the wire, which is what SMTP smuggling
/// needs); the text ends with CRLF and then ".CRLF".
/// </summary>
internal sealed class DotStuffingWriter
{
    private bool _atLineStart = true;
    private bool _pendingCr;

    /// <summary>Worst case: every octet a line of its own "." (". CR LF" from "." LF ...): three times plus the terminator.</summary>
    public static int MaxOutput(int input) => input * 3 + 8;

    public int Transform(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int o = 0;
        int i = 0;
        while (i < input.Length)
        {
            byte b = input[i];
            if (_pendingCr)
            {
                // The CR before this byte ends a line: as CRLF, whether an LF follows or not.
                output[o++] = (byte)'\r';
                output[o++] = (byte)'\n';
                _pendingCr = false;
                _atLineStart = true;
                if (b == '\n')
                {
                    i++;
                    continue;
                }
            }
            if (b == '\r')
            {
                _pendingCr = true;
                i++;
                continue;
            }
            if (b == '\n')
            {
                output[o++] = (byte)'\r';
                output[o++] = (byte)'\n';
                _atLineStart = true;
                i++;
                continue;
            }
            if (_atLineStart && b == '.')
                output[o++] = (byte)'.';
            // The rest of the line up to the next CR or LF is copied as one block.
            int stop = input[i..].IndexOfAny((byte)'\r', (byte)'\n');
            int run = stop < 0 ? input.Length - i : stop;
            input.Slice(i, run).CopyTo(output[o..]);
            o += run;
            i += run;
            _atLineStart = false;
        }
        return o;
    }

    /// <summary>Ends the last line if it has no CRLF, then writes the terminating ".CRLF".</summary>
    public int Finish(Span<byte> output)
    {
        int o = 0;
        if (_pendingCr || !_atLineStart)
        {
            output[o++] = (byte)'\r';
            output[o++] = (byte)'\n';
        }
        output[o++] = (byte)'.';
        output[o++] = (byte)'\r';
        output[o++] = (byte)'\n';
        _pendingCr = false;
        _atLineStart = true;
        return o;
    }
}
