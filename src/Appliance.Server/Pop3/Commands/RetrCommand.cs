// RFC 1939 section 5 (RETR: the whole message, byte-stuffed, ended by "."), section 7 (TOP msg
// n: the header, the blank line and n lines of the body).
using Appliance.Mime;
using Appliance.Server.Delivery.Outbound;
using Appliance.Storage.Mail;

namespace Appliance.Server.Pop3;

internal static class RetrCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument, bool top)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int lines = 0;
        if (parts.Length != (top ? 2 : 1)
            || top && !int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out lines))
        {
            await session.ErrorAsync(top ? "Syntax: TOP msg n" : "Syntax: RETR msg");
            return;
        }
        if (await session.MessageNumberAsync(parts[0]) is not int number)
            return;
        var maildrop = session.Maildrop!;
        var message = maildrop.Get(number)!;

        Stream content;
        try
        {
            content = maildrop.Account.OpenMessage(Pop3Maildrop.Mailbox, message);
        }
        catch (MessageNotFoundException)
        {
            // Expunged by an IMAP session since our login: RFC 1939 leaves this to us.
            await session.ErrorAsync($"Message {number} was removed by another session", countsAsError: false);
            return;
        }
        await using (content)
        {
            long limit = long.MaxValue;
            if (top)
            {
                var header = HeaderBlock.Read(content);
                limit = header.Length + BodyLinesLength(content, lines);
                content.Position = 0;
            }
            await session.WriteLineAsync(top ? "+OK Top of message follows" : $"+OK {message.Size} octets");
            await WriteStuffedAsync(session, content, limit);
        }
        if (!top)
            maildrop.MarkRetrieved(number);
    }

    /// <summary>The octets of the first <paramref name="lines"/> lines from the stream's position.</summary>
    private static long BodyLinesLength(Stream content, int lines)
    {
        long length = 0;
        var buffer = new byte[8192];
        int read;
        while (lines > 0 && (read = content.Read(buffer)) > 0)
        {
            for (int i = 0; i < read; i++)
            {
                length++;
                if (buffer[i] == (byte)'\n' && --lines == 0)
                    break;
            }
        }
        return length;
    }

    /// <summary>Byte-stuffed (RFC 1939 3), CRLF only, then ".CRLF"; flushed per block so a big message streams.</summary>
    private static async ValueTask WriteStuffedAsync(Pop3Session session, Stream content, long limit)
    {
        var writer = new DotStuffingWriter();
        var (input, output) = session.RetrBuffers;
        var pipe = session.Connection.Output;
        long remaining = limit;
        int read;
        while (remaining > 0 && (read = await content.ReadAsync(input.AsMemory(0, (int)Math.Min(input.Length, remaining)))) > 0)
        {
            remaining -= read;
            int length = writer.Transform(input.AsSpan(0, read), output);
            await pipe.WriteAsync(output.AsMemory(0, length));
        }
        int tail = writer.Finish(output);
        await pipe.WriteAsync(output.AsMemory(0, tail));
    }
}
