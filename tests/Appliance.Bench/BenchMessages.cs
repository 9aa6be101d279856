using System.Globalization;
using System.Text;

namespace Appliance.Bench;

/// <summary>
/// The mailbox both servers serve in the POP3 and IMAP comparisons: N plain-text RFC 5322 messages of about the requested size,
/// CRLF line ends (so each server's octet count is the file size, RFC 1939 11), a unique
/// Message-ID each, body lines of at most 78 characters (RFC 5322 2.1.1) and some that begin with
/// "." so that RETR's byte-stuffing (RFC 1939 3) is exercised, not only copying.
/// </summary>
internal sealed class BenchMessages
{
    private static readonly string[] Words =
    [
        "the", "quarterly", "report", "attached", "meeting", "tomorrow", "please", "review", "budget", "server",
        "mailbox", "delivery", "schedule", "project", "invoice", "customer", "thanks", "regards", "update", "draft",
        "summary", "agenda", "deadline", "question", "answer", "approved", "pending", "release", "notes", "office",
    ];

    private readonly Dictionary<string, int> _byMessageId = new(StringComparer.Ordinal);

    private BenchMessages(List<byte[]> messages)
    {
        Messages = messages;
        for (int i = 0; i < messages.Count; i++)
            _byMessageId[MessageIdOf(messages[i]) ?? throw new InvalidOperationException("generated message without Message-ID")] = i;
    }

    public IReadOnlyList<byte[]> Messages { get; }

    public long TotalOctets => Messages.Sum(m => (long)m.Length);

    public static BenchMessages Create(int count, int size, string from, string to)
    {
        // Fixed seed: the same mailbox on every run, so runs compare.
        var random = new Random(1939);
        string run = Guid.NewGuid().ToString("N")[..12];
        var start = new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
        var messages = new List<byte[]>(count);
        var text = new StringBuilder(size + 512);
        for (int i = 0; i < count; i++)
        {
            text.Clear();
            var date = start.AddMinutes(7 * i);
            string rfcDate = date.ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);
            text.Append(CultureInfo.InvariantCulture, $"Return-Path: <{from}>\r\n");
            text.Append(CultureInfo.InvariantCulture, $"Received: from client.bench.test (client.bench.test [127.0.0.1])\r\n\tby mail.bench.test with ESMTPS id b{i:x8}; {rfcDate}\r\n");
            text.Append(CultureInfo.InvariantCulture, $"Date: {rfcDate}\r\n");
            text.Append(CultureInfo.InvariantCulture, $"From: Bench Sender <{from}>\r\n");
            text.Append(CultureInfo.InvariantCulture, $"To: Bench Reader <{to}>\r\n");
            text.Append(CultureInfo.InvariantCulture, $"Subject: {Words[random.Next(Words.Length)]} {Words[random.Next(Words.Length)]} #{i + 1}\r\n");
            text.Append(CultureInfo.InvariantCulture, $"Message-ID: <{i + 1}.{run}@client.bench.test>\r\n");
            text.Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
            int line = 0;
            while (text.Length < size - 2)
            {
                var body = new StringBuilder(80);
                // One line in 16 starts with a dot (a quoted path, an ellipsis): stuffed on the wire.
                if (++line % 16 == 0)
                    body.Append("..");
                int width = 40 + random.Next(38);
                while (true)
                {
                    string word = Words[random.Next(Words.Length)];
                    if (body.Length + word.Length + 1 > width)
                        break;
                    if (body.Length > 0 && body[^1] != '.')
                        body.Append(' ');
                    body.Append(word);
                }
                text.Append(body).Append("\r\n");
            }
            messages.Add(Encoding.ASCII.GetBytes(text.ToString()));
        }
        return new BenchMessages(messages);
    }

    /// <summary>The index of the message with this content's Message-ID, or -1.</summary>
    public int IndexOf(ReadOnlySpan<byte> content)
    {
        string? id = MessageIdOf(content);
        return id is not null && _byMessageId.TryGetValue(id, out int index) ? index : -1;
    }

    private static string? MessageIdOf(ReadOnlySpan<byte> content)
    {
        ReadOnlySpan<byte> field = "\r\nMessage-ID: "u8;
        int at = content.IndexOf(field);
        if (at < 0)
            return null;
        var rest = content[(at + field.Length)..];
        int end = rest.IndexOf("\r\n"u8);
        return end < 0 ? null : Encoding.ASCII.GetString(rest[..end]);
    }
}
