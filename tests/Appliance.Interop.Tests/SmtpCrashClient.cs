// RFC 5321 (SMTP) and RFC 2920 (PIPELINING: MAIL, RCPT... and DATA as one group).
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Interop.Tests;

/// <summary>One message of the crash load: who it is for and its unique Message-ID.</summary>
internal sealed record SmtpCrashMessage(int Index, string MessageId, IReadOnlyList<string> Recipients);

/// <summary>
/// A plain SMTP client for the crash test: one connection sends messages taken from a shared
/// source until it runs dry or the connection dies, and reports each message whose final reply
/// was 250, the moment it reads it. It never retries: a message without a 250 may or may not
/// have been stored, and a retry could store it twice.
/// </summary>
internal sealed class SmtpCrashClient
{
    private readonly string _sender;
    private readonly Func<SmtpCrashMessage?> _next;
    private readonly Action<SmtpCrashMessage> _acknowledged;

    public SmtpCrashClient(string sender, Func<SmtpCrashMessage?> next, Action<SmtpCrashMessage> acknowledged)
    {
        _sender = sender;
        _next = next;
        _acknowledged = acknowledged;
    }

    /// <summary>Non-250 final replies (refusals); empty in a healthy run.</summary>
    public List<string> Refusals { get; } = [];

    /// <summary>
    /// Runs one connection. Returns normally when the source is empty; a connection the server
    /// dropped (the kill) ends it with the exception, which the caller expects.
    /// </summary>
    public async Task RunAsync(int port, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", port, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.ASCII, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);

        await ExpectAsync(reader, 220, cancellationToken);
        await WriteAsync(stream, "EHLO crash-client.test\r\n", cancellationToken);
        await ExpectAsync(reader, 250, cancellationToken);

        while (_next() is { } message)
        {
            var group = new StringBuilder();
            group.Append(CultureInfo.InvariantCulture, $"MAIL FROM:<{_sender}>\r\n");
            foreach (string to in message.Recipients)
                group.Append(CultureInfo.InvariantCulture, $"RCPT TO:<{to}>\r\n");
            group.Append("DATA\r\n");
            await WriteAsync(stream, group.ToString(), cancellationToken);

            await ExpectAsync(reader, 250, cancellationToken);
            foreach (var _ in message.Recipients)
                await ExpectAsync(reader, 250, cancellationToken);
            await ExpectAsync(reader, 354, cancellationToken);

            await WriteAsync(stream, Content(message) + ".\r\n", cancellationToken);
            var (code, text) = await ReadReplyAsync(reader, cancellationToken);
            if (code == 250)
            {
                _acknowledged(message);
            }
            else
            {
                lock (Refusals)
                    Refusals.Add($"{message.MessageId}: {code} {text}");
            }
        }
        await WriteAsync(stream, "QUIT\r\n", cancellationToken);
        await ReadReplyAsync(reader, cancellationToken);
    }

    /// <summary>An RFC 5322 message of about 1.5 KB; no body line starts with a dot.</summary>
    private string Content(SmtpCrashMessage message)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"From: <{_sender}>\r\n");
        text.Append(CultureInfo.InvariantCulture, $"To: {string.Join(", ", message.Recipients.Select(r => $"<{r}>"))}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Subject: crash test message {message.Index}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Date: {DateTimeOffset.UtcNow.ToString("ddd, dd MMM yyyy HH:mm:ss +0000", CultureInfo.InvariantCulture)}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Message-ID: <{message.MessageId}>\r\n");
        text.Append("\r\n");
        for (int line = 0; line < 20; line++)
            text.Append(CultureInfo.InvariantCulture, $"Line {line} of message {message.Index}: every acknowledged message must survive SIGKILL.\r\n");
        return text.ToString();
    }

    private static async Task WriteAsync(NetworkStream stream, string text, CancellationToken cancellationToken) =>
        await stream.WriteAsync(Encoding.ASCII.GetBytes(text), cancellationToken);

    private static async Task ExpectAsync(StreamReader reader, int expected, CancellationToken cancellationToken)
    {
        var (code, text) = await ReadReplyAsync(reader, cancellationToken);
        if (code != expected)
            throw new InvalidOperationException($"expected {expected}, got {code} {text}");
    }

    /// <summary>One reply, multi-line or not (RFC 5321 4.2.1: "-" after the code on all but the last line).</summary>
    private static async Task<(int Code, string Text)> ReadReplyAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        while (true)
        {
            string line = await reader.ReadLineAsync(cancellationToken)
                ?? throw new IOException("the server closed the connection");
            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int code))
                throw new InvalidOperationException($"malformed reply: {line}");
            text.Append(line.Length > 4 ? line[4..] : "").Append(' ');
            if (line.Length == 3 || line[3] == ' ')
                return (code, text.ToString().TrimEnd());
        }
    }
}
