using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace Appliance.Server.Listeners;

/// <summary>
/// SMTP placeholder until the SMTP engine lands: an honest "not available" server, not a fake one.
/// RFC 5321 section 3.1 lets a server that will not serve greet with 554 and then wait for QUIT,
/// answering other commands with 503.
/// </summary>
internal sealed class UnavailableSmtpHandler : ConnectionHandler
{
    /// <summary>
    /// Commands answered with 503 before we hang up: Postfix's smtpd_hard_error_limit default (20)
    /// disconnects a client after that many errors, and every command here is one.
    /// </summary>
    internal const int MaxCommands = 20;

    /// <summary>A command line may not exceed 512 octets including CRLF (RFC 5321 section 4.5.3.1.4).</summary>
    internal const int MaxLineLength = 512;

    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        var connection = MailConnection.From(context);
        string host = connection.Hostname;
        await connection.WriteAsync(MailReplies.Encode($"554 5.3.2 {host} SMTP service not available yet\r\n"));

        for (int commands = 0; ; commands++)
        {
            var line = await PlaceholderLines.ReadLineAsync(connection, MaxLineLength);
            if (line.Interruption != ReadInterruption.None)
            {
                await connection.SayGoodbyeAsync(line.Interruption);
                return;
            }
            if (line.Text is null)
            {
                connection.Logger.PlaceholderSessionEnded(line.TooLong ? "line too long" : "client closed");
                if (line.TooLong)
                    await connection.WriteAsync(MailReplies.Encode($"500 5.5.2 {host} Line too long, closing connection\r\n"));
                return;
            }
            if (line.Text.Trim().Equals("QUIT", StringComparison.OrdinalIgnoreCase))
            {
                await connection.WriteAsync(MailReplies.Encode($"221 2.0.0 {host} closing connection\r\n"));
                return;
            }
            if (commands + 1 >= MaxCommands)
            {
                connection.Logger.PlaceholderSessionEnded("too many commands");
                await connection.WriteAsync(MailReplies.Encode($"421 4.7.0 {host} Too many commands, closing connection\r\n"));
                return;
            }
            await connection.WriteAsync(MailReplies.Encode("503 5.5.1 Bad sequence of commands: SMTP service not available yet, send QUIT\r\n"));
        }
    }
}

/// <summary>POP3 placeholder until the POP3 engine lands: a negative greeting and close.</summary>
internal sealed class UnavailablePop3Handler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext context)
    {
        var connection = MailConnection.From(context);
        await connection.WriteAsync(MailReplies.Encode("-ERR POP3 service not available yet\r\n"));
    }
}

/// <summary>The placeholders' only parsing: CRLF-terminated ASCII lines. The engines have real parsers.</summary>
internal static class PlaceholderLines
{
    internal readonly record struct Line(string? Text, ReadInterruption Interruption, bool TooLong);

    public static async ValueTask<Line> ReadLineAsync(MailConnection connection, int maxLength)
    {
        while (true)
        {
            var read = await connection.ReadAsync();
            if (read.IsInterrupted)
                return new Line(null, read.Interruption, false);

            var buffer = read.Result.Buffer;
            var newline = buffer.PositionOf((byte)'\n');
            if (newline is { } end)
            {
                var lineBytes = buffer.Slice(0, end);
                bool lineTooLong = lineBytes.Length + 1 > maxLength;
                // Decode before advancing: the reader may recycle the memory once it is consumed.
                string? text = lineTooLong ? null : Encoding.ASCII.GetString(lineBytes).TrimEnd('\r');
                connection.Input.AdvanceTo(buffer.GetPosition(1, end));
                return new Line(text, ReadInterruption.None, lineTooLong);
            }
            bool tooLong = buffer.Length >= maxLength;
            connection.Input.AdvanceTo(buffer.Start, buffer.End);
            if (tooLong || read.Result.IsCompleted || read.Result.IsCanceled)
                return new Line(null, ReadInterruption.None, tooLong);
        }
    }
}
