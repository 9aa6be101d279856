using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Appliance.Web.Tests.Webmail;

/// <summary>Delivers one message to the host's port 25 listener, as a remote MTA would, checking every reply code.</summary>
internal static class SmtpSender
{
    public static async Task SendAsync(IPEndPoint endpoint, string from, string to, string message)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint).WaitAsync(TimeSpan.FromSeconds(30));
        using var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await ExpectAsync(reader, "220");
        await CommandAsync(stream, reader, "EHLO sender.example", "250");
        await CommandAsync(stream, reader, $"MAIL FROM:<{from}>", "250");
        await CommandAsync(stream, reader, $"RCPT TO:<{to}>", "250");
        await CommandAsync(stream, reader, "DATA", "354");
        string body = message.ReplaceLineEndings("\r\n");
        // Dot-stuffing (RFC 5321 4.5.2).
        body = string.Join("\r\n", body.Split("\r\n").Select(line => line.StartsWith('.') ? "." + line : line));
        await CommandAsync(stream, reader, body + "\r\n.", "250");
        await CommandAsync(stream, reader, "QUIT", "221");
    }

    private static async Task CommandAsync(NetworkStream stream, StreamReader reader, string line, string code)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        await ExpectAsync(reader, code);
    }

    private static async Task ExpectAsync(StreamReader reader, string code)
    {
        while (true)
        {
            string reply = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new IOException("connection closed");
            if (!reply.StartsWith(code, StringComparison.Ordinal))
                throw new InvalidOperationException($"expected {code}, got: {reply}");
            if (reply.Length < 4 || reply[3] == ' ')
                return;
        }
    }
}
