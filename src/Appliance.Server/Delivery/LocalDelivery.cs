// RFC 5321 section 4.4 (Return-Path at final delivery); Delivered-To as Postfix's local(8) and
// Dovecot's LDA write it (loop detection, and which address a copy was for); SRS for forwarding
// (so SPF of the original sender does not fail at the next hop); RFC 3834 auto-replies (VacationResponder).
using System.Text;
using Appliance.MailAuth.Srs;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Queue;
using Appliance.Storage.Mail;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Delivery;

/// <summary>What the SMTP session hands to local delivery after it has checked and traced a message.</summary>
/// <param name="Recipients">Addresses as accepted at RCPT.</param>
/// <param name="Resolutions">Their resolutions from RCPT time, in the same order, or null to resolve now.</param>
/// <param name="OpenMessage">Opens the message from its start; called once per copy.</param>
/// <param name="Prefix">Header fields to put above the message (Received, Authentication-Results), CRLF-terminated.</param>
/// <param name="Folder">INBOX, or Junk for DMARC quarantine.</param>
/// <param name="EnforceQuota">Refuse mailboxes at or over quota (OverQuota). The SMTP session checks at RCPT instead and passes false.</param>
internal sealed record LocalDeliveryRequest(
    string ReversePath,
    IReadOnlyList<string> Recipients,
    IReadOnlyList<RecipientResolution>? Resolutions,
    Func<Stream> OpenMessage,
    string Prefix = "",
    string Folder = "INBOX",
    bool EnforceQuota = true);

/// <summary>
/// Delivers to our own mailboxes: each mailbox gets one copy however many of the recipients lead
/// to it; each copy is appended durably before this returns; alias destinations outside our
/// domains are queued once, with the sender rewritten by SRS; copies that reached an INBOX are
/// handed to the vacation responder, which does not hold the delivery up.
/// </summary>
internal sealed partial class LocalDelivery(
    RecipientResolver resolver,
    MessageStore store,
    IOutboundQueue queue,
    SrsRewriter srs,
    VacationResponder vacation,
    ILogger<LocalDelivery> logger) : ILocalDelivery
{
    public async Task<IReadOnlyList<LocalDeliveryResult>> DeliverAsync(
        string reversePath, IReadOnlyList<string> recipients, Stream message, CancellationToken cancellationToken = default)
    {
        // Each copy reads the message from its start; a stream that cannot seek is read once into a buffer.
        if (message.CanSeek)
        {
            long start = message.Position;
            return await DeliverAsync(new LocalDeliveryRequest(reversePath, recipients, null, () =>
            {
                message.Position = start;
                return new NonClosingStream(message);
            }), cancellationToken);
        }
        var copy = new MemoryStream();
        await message.CopyToAsync(copy, cancellationToken);
        return await DeliverAsync(new LocalDeliveryRequest(reversePath, recipients, null,
            () => new MemoryStream(copy.GetBuffer(), 0, (int)copy.Length, writable: false)), cancellationToken);
    }

    public async Task<IReadOnlyList<LocalDeliveryResult>> DeliverAsync(LocalDeliveryRequest request, CancellationToken cancellationToken = default)
    {
        var results = new LocalDeliveryResult?[request.Recipients.Count];
        // Mailbox id -> the recipients (indexes) that lead to it; one copy each.
        var copies = new Dictionary<int, (LocalRecipient Mailbox, List<int> For)>();
        var external = new List<(string Address, int For)>();
        for (int i = 0; i < request.Recipients.Count; i++)
        {
            string address = request.Recipients[i];
            var resolution = request.Resolutions?[i] ?? await resolver.ResolveAsync(address, cancellationToken);
            switch (resolution.Status)
            {
                case RecipientStatus.Deliverable:
                    foreach (var mailbox in resolution.Mailboxes)
                    {
                        if (!copies.TryGetValue(mailbox.MailboxId, out var entry))
                            copies[mailbox.MailboxId] = entry = (mailbox, []);
                        entry.For.Add(i);
                    }
                    foreach (string destination in resolution.ExternalAddresses)
                        external.Add((destination, i));
                    break;
                case RecipientStatus.Disabled:
                    results[i] = new LocalDeliveryResult(address, LocalDeliveryStatus.Disabled, "Mailbox disabled");
                    break;
                default:
                    results[i] = new LocalDeliveryResult(address, LocalDeliveryStatus.UnknownRecipient, "No such user here");
                    break;
            }
        }

        var delivered = new List<(LocalRecipient Mailbox, List<int> For)>();
        foreach (var (mailbox, forRecipients) in copies.Values)
        {
            var outcome = await AppendAsync(request, mailbox, cancellationToken);
            foreach (int i in forRecipients)
            {
                // The worst outcome of any mailbox a recipient expands to is that recipient's.
                if (results[i] is null || Severity(outcome.Status) > Severity(results[i]!.Status))
                    results[i] = outcome with { Recipient = request.Recipients[i] };
            }
            if (outcome.Status == LocalDeliveryStatus.Delivered)
                delivered.Add((mailbox, forRecipients));
        }

        // Only mail the user will see in INBOX: Junk (DMARC quarantine) is not answered, and a
        // bounce (null sender) never is (RFC 3834 2). Only mailboxes whose user switched the
        // auto-reply on are considered (the resolution says so), so most deliveries do no more.
        if (delivered.Any(d => d.Mailbox.VacationEnabled) && request.ReversePath.Length > 0 && string.Equals(request.Folder, "INBOX", StringComparison.OrdinalIgnoreCase))
            await StartVacationRepliesAsync(request, delivered, cancellationToken);

        if (external.Count > 0)
            await ForwardAsync(request, external, results, cancellationToken);

        for (int i = 0; i < results.Length; i++)
            results[i] ??= new LocalDeliveryResult(request.Recipients[i], LocalDeliveryStatus.UnknownRecipient, "No such user here");
        return results!;
    }

    private async Task<LocalDeliveryResult> AppendAsync(LocalDeliveryRequest request, LocalRecipient mailbox, CancellationToken cancellationToken)
    {
        try
        {
            var account = store.OpenAccount(mailbox.StoreId);
            if (request.EnforceQuota && mailbox.QuotaBytes > 0 && account.GetQuotaUsage() >= mailbox.QuotaBytes)
                return new LocalDeliveryResult(mailbox.Address, LocalDeliveryStatus.OverQuota, "Mailbox full");

            string folder = request.Folder;
            if (!string.Equals(folder, "INBOX", StringComparison.OrdinalIgnoreCase) && !HasMailbox(account, folder))
                folder = "INBOX"; // the user deleted their Junk folder: INBOX rather than nothing

            string prefix = TraceHeaders.ReturnPath(request.ReversePath) + $"Delivered-To: {mailbox.Address}\r\n" + request.Prefix;
            await using var message = request.OpenMessage();
            await using var stream = new PrefixedStream(Encoding.UTF8.GetBytes(prefix), message);
            await account.AppendAsync(folder, stream, cancellationToken: cancellationToken);
            return new LocalDeliveryResult(mailbox.Address, LocalDeliveryStatus.Delivered, "Delivered");
        }
        catch (Exception e) when (e is MailStoreException or IOException or UnauthorizedAccessException)
        {
            LogAppendFailed(logger, e, mailbox.Address);
            return new LocalDeliveryResult(mailbox.Address, LocalDeliveryStatus.TemporaryFailure, "Local store error; try again later");
        }
    }

    /// <summary>
    /// Alias destinations outside our domains are queued once, with the reverse path rewritten by
    /// SRS in the alias's own domain (bounces come back to us and can be sent on to the sender).
    /// </summary>
    private async Task ForwardAsync(LocalDeliveryRequest request, List<(string Address, int For)> external, LocalDeliveryResult?[] results, CancellationToken cancellationToken)
    {
        var byRecipient = external.GroupBy(e => e.For).ToList();
        string forwarderDomain = DomainOf(request.Recipients[byRecipient[0].Key]);
        string sender = srs.Forward(request.ReversePath, forwarderDomain);
        var destinations = external.Select(e => e.Address).Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(a => new OutboundRecipient(a)).ToList();
        LocalDeliveryResult outcome;
        try
        {
            await using var message = request.OpenMessage();
            await using var stream = new PrefixedStream(Encoding.UTF8.GetBytes(request.Prefix), message);
            string id = await queue.EnqueueAsync(new OutboundEnvelope(sender, destinations, Origin: "forward"), stream, cancellationToken);
            outcome = new LocalDeliveryResult("", LocalDeliveryStatus.Delivered, $"Forwarded, queued as {id}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            LogForwardFailed(logger, e);
            outcome = new LocalDeliveryResult("", LocalDeliveryStatus.TemporaryFailure, "Could not queue the forward; try again later");
        }
        foreach (var group in byRecipient)
        {
            int i = group.Key;
            if (results[i] is null || Severity(outcome.Status) > Severity(results[i]!.Status))
                results[i] = outcome with { Recipient = request.Recipients[i] };
        }
    }

    /// <summary>
    /// Reads the header once for all mailboxes (the responder runs after this returns, when the
    /// caller's message buffer may be gone) and starts the vacation check of each mailbox that has it on.
    /// </summary>
    private async Task StartVacationRepliesAsync(LocalDeliveryRequest request, List<(LocalRecipient Mailbox, List<int> For)> delivered, CancellationToken cancellationToken)
    {
        byte[] header;
        try
        {
            header = await ReadHeaderAsync(request.OpenMessage, cancellationToken);
        }
        catch (Exception e)
        {
            // The copies are already durable: an auto-reply is never worth failing the delivery for.
            LogVacationHeaderFailed(logger, e);
            return;
        }
        foreach (var (mailbox, forRecipients) in delivered)
        {
            if (mailbox.VacationEnabled)
                vacation.Start(new VacationCandidate(mailbox, forRecipients.Select(i => request.Recipients[i]).ToList(), request.ReversePath, header));
        }
    }

    /// <summary>The header block (with its blank line), reading no more than HeaderLimits allows.</summary>
    private static async Task<byte[]> ReadHeaderAsync(Func<Stream> openMessage, CancellationToken cancellationToken)
    {
        int max = HeaderLimits.Default.MaxHeaderBytes;
        await using var message = openMessage();
        var buffer = new byte[Math.Min(max, 8192)];
        int filled = 0;
        while (filled < max)
        {
            if (filled == buffer.Length)
                Array.Resize(ref buffer, Math.Min(max, buffer.Length * 2));
            int read = await message.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (read == 0)
                break;
            filled += read;
            HeaderBlock block = HeaderBlock.Parse(buffer.AsSpan(0, filled));
            if (block.IsComplete)
                return buffer[..block.Length];
        }
        return buffer[..filled];
    }

    private static bool HasMailbox(MailAccount account, string name)
    {
        try
        {
            account.GetMailbox(name);
            return true;
        }
        catch (MailboxNotFoundException)
        {
            return false;
        }
    }

    private static int Severity(LocalDeliveryStatus status) => status switch
    {
        LocalDeliveryStatus.Delivered => 0,
        LocalDeliveryStatus.UnknownRecipient or LocalDeliveryStatus.Disabled => 1,
        LocalDeliveryStatus.OverQuota => 2,
        _ => 3,
    };

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..];

    [LoggerMessage(EventId = 5101, Level = LogLevel.Error, Message = "Local delivery to {Mailbox} failed")]
    private static partial void LogAppendFailed(ILogger logger, Exception exception, string mailbox);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Queueing an alias forward failed")]
    private static partial void LogForwardFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Reading a delivered message's header for the vacation responder failed")]
    private static partial void LogVacationHeaderFailed(ILogger logger, Exception exception);
}

/// <summary>Some header bytes, then a message: what a mailbox receives. Read-only, forward-only.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
{
    private int _prefixRead;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_prefixRead < prefix.Length)
        {
            int n = Math.Min(buffer.Length, prefix.Length - _prefixRead);
            prefix.AsSpan(_prefixRead, n).CopyTo(buffer);
            _prefixRead += n;
            return n;
        }
        return inner.Read(buffer);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_prefixRead < prefix.Length)
            return Read(buffer.Span);
        return await inner.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>Lets a caller's stream be handed out without being closed by the reader.</summary>
internal sealed class NonClosingStream(Stream inner) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => inner.Length;
    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override int Read(Span<byte> buffer) => inner.Read(buffer);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
