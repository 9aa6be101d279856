// The sendmail command line interface as Postfix's sendmail(1) implements it: -t (RFC 5322 3.6.3
// destination fields give recipients; Bcc is removed), -f (envelope sender), -F (full name), -i
// (a lone "." does not end the input); exit codes from sysexits.h. RFC 6409 8.1-8.3 (a submission
// agent may add From, Date and Message-ID).
using System.Text;
using Appliance.Mime;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Appliance.Server.Smtp;

namespace Appliance.Server.Submission;

/// <summary>What `appliance sendmail` was asked to do.</summary>
/// <param name="Sender">-f: the envelope sender; null means the Unix user at our host name.</param>
/// <param name="FullName">-F: the sender's full name for a From: we add.</param>
/// <param name="ExtractRecipients">-t: recipients also come from To, Cc and Bcc.</param>
/// <param name="IgnoreDots">-i / -oi: a line with a single "." is text, not the end of the input.</param>
public sealed record SendmailRequest(
    string? Sender, string? FullName, IReadOnlyList<string> Recipients, bool ExtractRecipients, bool IgnoreDots, string UnixUser);

/// <summary>A refusal with the sysexits.h code the sendmail interface uses.</summary>
public sealed class SendmailException(int exitCode, string message) : Exception(message)
{
    /// <summary>EX_USAGE: bad command line.</summary>
    public const int Usage = 64;
    /// <summary>EX_DATAERR: the message or an address is unusable.</summary>
    public const int DataError = 65;
    /// <summary>EX_TEMPFAIL: try again later.</summary>
    public const int TemporaryFailure = 75;

    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// `appliance sendmail`: reads a message, completes its header, DKIM-signs it when the From
/// domain is ours, and puts it in the outbound queue for every recipient. The running server's
/// queue worker delivers it, locally (through local delivery) or to the world. The queue is
/// durable when this returns, so the server may even be stopped: it sends the mail when it starts.
/// </summary>
public sealed class SendmailSubmitter(ApplianceOptions options, IOutboundQueue queue, IOutboundSigner signer, TimeProvider time)
{
    public async Task<string> SubmitAsync(SendmailRequest request, Stream input, CancellationToken cancellationToken = default)
    {
        byte[] message = await ReadMessageAsync(input, request.IgnoreDots, options.Smtp.MaxMessageSize, cancellationToken);
        var header = HeaderBlock.Parse(message);

        string sender = request.Sender ?? $"{request.UnixUser}@{options.Hostname}";
        if (sender.Length > 0 && !SmtpPathParser.TryParseMailbox(Qualify(sender), out _, out _, out string senderError))
            throw new SendmailException(SendmailException.DataError, $"bad sender address '{sender}': {senderError}");
        sender = sender.Length == 0 ? "" : Qualify(sender);

        var recipients = new List<string>();
        foreach (string given in request.Recipients.SelectMany(r => r.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
            recipients.Add(Qualify(given));
        if (request.ExtractRecipients)
        {
            foreach (var field in header.Where(f => f.Name.Equals("To", StringComparison.OrdinalIgnoreCase)
                || f.Name.Equals("Cc", StringComparison.OrdinalIgnoreCase) || f.Name.Equals("Bcc", StringComparison.OrdinalIgnoreCase)))
            {
                foreach (var mailbox in MailboxAddress.ParseList(field.Value))
                    recipients.Add(Qualify(mailbox.Address));
            }
        }
        recipients = recipients.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (recipients.Count == 0)
            throw new SendmailException(SendmailException.Usage, "no recipients (give them as arguments, or use -t to take them from To, Cc and Bcc)");
        foreach (string recipient in recipients)
        {
            if (!SmtpPathParser.TryParseMailbox(recipient, out _, out _, out string error))
                throw new SendmailException(SendmailException.DataError, $"bad recipient address '{recipient}': {error}");
        }

        // RFC 5322 3.6.3: Bcc recipients must not see each other, nor the others them.
        var bcc = HeaderFieldRanges.Find(header, message,
            f => f.Name.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        if (bcc.Count > 0)
            message = HeaderFieldRanges.Remove(message, bcc);

        var added = new StringBuilder();
        if (header.Get("From") is null)
        {
            string display = request.FullName is { Length: > 0 } name ? $"\"{name.Replace("\\", "\\\\").Replace("\"", "\\\"")}\" " : "";
            added.Append("From: ").Append(display).Append('<').Append(sender.Length == 0 ? $"MAILER-DAEMON@{options.Hostname}" : sender).Append(">\r\n");
        }
        if (header.Get("Date") is null)
            added.Append("Date: ").Append(TraceHeaders.FormatDate(time.GetUtcNow())).Append("\r\n");
        if (header.Get("Message-ID") is null)
            added.Append("Message-ID: ").Append(TraceHeaders.NewMessageId(options.Hostname)).Append("\r\n");
        byte[] complete = [.. Encoding.UTF8.GetBytes(added.ToString()), .. message];

        string? signature = await signer.SignAsync(complete, cancellationToken);
        // As Postfix's pickup writes it: no network, only the local user who ran the command.
        string received = $"Received: by {options.Hostname} (Appliance, from userid {request.UnixUser})\r\n\tid {TraceHeaders.NewId()}; {TraceHeaders.FormatDate(time.GetUtcNow())}\r\n";
        byte[] final = [.. Encoding.UTF8.GetBytes(received + (signature ?? "")), .. complete];

        bool utf8 = !Ascii.IsValid(sender) || recipients.Any(r => !Ascii.IsValid(r));
        bool eightBit = final.AsSpan().IndexOfAnyInRange((byte)0x80, (byte)0xFF) >= 0;
        var envelope = new OutboundEnvelope(sender, recipients.Select(r => new OutboundRecipient(r)).ToList(),
            RequiresSmtpUtf8: utf8, EightBitMime: eightBit, Origin: $"sendmail {request.UnixUser}");
        try
        {
            return await queue.EnqueueAsync(envelope, new MemoryStream(final, writable: false), cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            throw new SendmailException(SendmailException.TemporaryFailure, $"cannot queue the message: {e.Message}");
        }
    }

    /// <summary>An address without a domain is at our host name (Postfix's myorigin).</summary>
    private string Qualify(string address) => address.Contains('@') ? address : $"{address}@{options.Hostname}";

    /// <summary>
    /// Reads the input as lines, ending at EOF or (without -i) at a line holding only ".", and
    /// writes them with CRLF: Unix programs write LF, and mail on the wire is CRLF (RFC 5321 2.3.8).
    /// </summary>
    private static async Task<byte[]> ReadMessageAsync(Stream input, bool ignoreDots, long maxSize, CancellationToken cancellationToken)
    {
        var raw = new MemoryStream();
        var buffer = new byte[81920];
        int read;
        while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            raw.Write(buffer, 0, read);
            if (raw.Length > maxSize + 1024 * 1024)
                break; // plenty to know it is too big; the check below refuses it
        }
        var bytes = raw.GetBuffer().AsSpan(0, (int)raw.Length);
        var output = new MemoryStream(bytes.Length + bytes.Length / 32);
        while (!bytes.IsEmpty)
        {
            int lf = bytes.IndexOf((byte)'\n');
            var line = lf < 0 ? bytes : bytes[..lf];
            bytes = lf < 0 ? [] : bytes[(lf + 1)..];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
                line = line[..^1];
            if (!ignoreDots && line.Length == 1 && line[0] == (byte)'.')
                break;
            output.Write(line);
            output.Write("\r\n"u8);
        }
        if (output.Length > maxSize)
            throw new SendmailException(SendmailException.DataError, $"message too large ({output.Length} octets; the limit is {maxSize})");
        if (output.Length == 0)
            throw new SendmailException(SendmailException.DataError, "empty message");
        return output.ToArray();
    }
}
