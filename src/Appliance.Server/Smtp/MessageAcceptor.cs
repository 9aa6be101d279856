// RFC 5321 section 4.1.1.4 (the reply to the end of data), 4.4 (trace fields), 6.1 (a 250 is a
// promise: deliver or bounce); RFC 6409 section 8 (what a submission server may add or fix);
// RFC 7489 section 6.6.4 and 10.3 (acting on DMARC policy; reject at SMTP time); RFC 8601
// section 5 (Authentication-Results written by the receiving border MTA).
using System.Text;
using Appliance.MailAuth.AuthenticationResults;
using Appliance.MailAuth.Dkim;
using Appliance.MailAuth.Dmarc;
using Appliance.MailAuth.Spf;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Smtp;

/// <summary>
/// The end of a message (DATA's final dot, or BDAT LAST): decides, traces, delivers or queues, and
/// returns the one reply. 250 is returned only when every local copy and the queue entry are durable.
/// </summary>
internal static partial class MessageAcceptor
{
    /// <summary>How much of the message start is searched for the header (the rest is body): Postfix's header_size_limit is 100 KB; we read up to 1 MB.</summary>
    private const int HeaderWindow = MessageBuffer.MemoryLimit;

    public static async Task<SmtpReply> AcceptAsync(SmtpSession session, DataProblems problems, long size)
    {
        var transaction = session.Transaction!;
        var recipients = transaction.Recipients;
        SmtpReply reply;
        string? queueId = null;
        try
        {
            (reply, queueId) = await DecideAndDeliverAsync(session, transaction, problems);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Our own failure (disk, database, a bug): 451 keeps the message with the client,
            // which retries; nothing was acknowledged.
            LogAcceptFailed(session.Logger, e);
            reply = SmtpReply.LocalError;
        }

        transaction.Logged = true;
        session.Engine.Log.Record(new SmtpTransactionRecord(
            session.Engine.Time.GetUtcNow(), session.ListenerName, session.ClientAddress, session.HeloName,
            session.Connection.Tls?.ToString(), session.User?.Address, transaction.ReversePath.Mailbox,
            recipients.Select(r => r.Path.Mailbox).ToList(), size, reply.Code, reply.ToString(), queueId));
        LogTransaction(session.Logger, transaction.ReversePath.Mailbox, recipients.Count, size, reply.Code);
        session.ResetTransaction();
        return reply;
    }

    private static async Task<(SmtpReply, string?)> DecideAndDeliverAsync(SmtpSession session, SmtpTransaction transaction, DataProblems problems)
    {
        if ((problems & DataProblems.TooBig) != 0)
            return (SmtpReply.TooBig(session.Options.MaxMessageSize), null);
        if ((problems & DataProblems.BareLineEnding) != 0)
            return (new SmtpReply(550, "5.6.0", "Message refused: bare CR or LF found; every line must end with CRLF (RFC 5321 2.3.8)"), null);
        if ((problems & DataProblems.LineTooLong) != 0)
            return (new SmtpReply(550, "5.6.0", $"Message refused: a line is longer than {session.Options.MaxTextLineLength} octets"), null);

        var header = HeaderBlock.Parse(session.Buffer.Head(HeaderWindow));
        return session.User is null
            ? await InboundAsync(session, transaction, header)
            : await SubmissionAsync(session, transaction, header);
    }

    /// <summary>Port 25: authenticate (SPF, DKIM, DMARC), trace, deliver to local mailboxes.</summary>
    private static async Task<(SmtpReply, string?)> InboundAsync(SmtpSession session, SmtpTransaction transaction, HeaderBlock header)
    {
        var engine = session.Engine;
        var stopping = session.Connection.Stopping;
        var dkim = await engine.Dkim.VerifyAsync(session.Buffer.ToMemory(), stopping);
        var spf = transaction.Spf is null ? null : await transaction.Spf;
        var dmarc = await engine.Dmarc.EvaluateAsync(header, new DmarcInput(
            transaction.ReversePath.IsNull ? null : transaction.ReversePath.Domain, session.HeloName,
            spf?.Verdict ?? SpfVerdict.None, dkim.Select(d => d.ToDomainResult()).ToList()), stopping);

        // RFC 7489 6.6.4 / 10.3: p=reject is refused now, so the sender learns of it and we never bounce.
        if (dmarc.Verdict == DmarcVerdict.Fail && dmarc.AppliedPolicy == DmarcPolicy.Reject)
            return (new SmtpReply(550, "5.7.1", $"Message rejected: it fails the DMARC policy of {dmarc.FromDomain}"), null);

        var results = new AuthenticationResultsBuilder(session.Hostname);
        if (spf is not null)
            results.AddSpf(spf, transaction.ReversePath.IsNull ? SpfIdentity.Helo : SpfIdentity.MailFrom);
        foreach (var signature in dkim)
            results.AddDkim(signature);
        if (dkim.Count == 0)
            results.Add("dkim", "none");
        results.AddDmarc(dmarc);

        string id = TraceHeaders.NewId();
        string prefix = results.Build() + "\r\n" + Received(session, transaction, id, hideClient: false);
        bool quarantine = dmarc.Verdict == DmarcVerdict.Fail && dmarc.AppliedPolicy == DmarcPolicy.Quarantine;
        var forged = HeaderFieldRanges.ForgedResults(header, session.Buffer.Head(HeaderWindow), session.Hostname);
        if (forged.Count > 0)
            LogForgedResults(session.Logger, forged.Count);
        var open = HeaderFieldRanges.Without(session.Buffer, forged);

        // Remote recipients on port 25 exist only as verified SRS bounces: send them on.
        string? queueId = null;
        var remote = transaction.Recipients.Where(r => !r.IsLocal).ToList();
        if (remote.Count > 0)
        {
            var envelope = new OutboundEnvelope(transaction.ReversePath.Mailbox,
                remote.Select(r => new OutboundRecipient(r.Path.Mailbox, r.Notify, r.OriginalRecipient)).ToList(),
                transaction.EnvelopeId, transaction.Return, transaction.SmtpUtf8, transaction.EightBitMime, "srs-bounce");
            await using var stream = new PrefixedStream(Encoding.UTF8.GetBytes(prefix), open());
            queueId = await engine.Queue.EnqueueAsync(envelope, stream, stopping);
        }
        return (await DeliverLocallyAsync(session, transaction, prefix, quarantine ? "Junk" : "INBOX", queueId ?? id, open), queueId);
    }

    /// <summary>
    /// Ports 587/465: the From: must be the user's, Date and Message-ID are added when missing
    /// (RFC 6409 8.2, 8.3), the message is DKIM-signed, then local recipients get their copy and
    /// the rest is queued.
    /// </summary>
    private static async Task<(SmtpReply, string?)> SubmissionAsync(SmtpSession session, SmtpTransaction transaction, HeaderBlock header)
    {
        var user = session.User!;
        var fromFields = header.GetAll("From").ToList();
        if (fromFields.Count != 1)
            return (new SmtpReply(550, "5.6.0", fromFields.Count == 0 ? "Message has no From: header" : "Message has more than one From: header"), null);
        var authors = MailboxAddress.ParseList(fromFields[0].Value);
        if (authors.Count == 0)
            return (new SmtpReply(550, "5.6.0", "The From: header has no address"), null);
        foreach (var author in authors)
        {
            if (!await SenderAddresses.IsOwnedAsync(session.Engine.Recipients, user, author.Address, session.Connection.Stopping))
                return (new SmtpReply(553, "5.7.1", $"From: address <{author.Address}> is not owned by {user.Address}"), null);
        }

        var added = new StringBuilder();
        if (header.Get("Date") is null)
            added.Append("Date: ").Append(TraceHeaders.FormatDate(session.Engine.Time.GetUtcNow())).Append("\r\n");
        if (header.Get("Message-ID") is null)
            added.Append("Message-ID: ").Append(TraceHeaders.NewMessageId(session.Hostname)).Append("\r\n");

        // The signature covers the fields we added, so it is computed over them plus the message.
        var message = session.Buffer.ToMemory();
        byte[] addedBytes = Encoding.UTF8.GetBytes(added.ToString());
        var toSign = new byte[addedBytes.Length + message.Length];
        addedBytes.CopyTo(toSign, 0);
        message.CopyTo(toSign.AsMemory(addedBytes.Length));
        string? signature = await session.Engine.Signer.SignAsync(toSign, session.Connection.Stopping);

        string id = TraceHeaders.NewId();
        bool hide = session.Options.HideSubmitterInReceived;
        string prefix = Received(session, transaction, id, hide) + (signature ?? "") + added;

        string? queueId = null;
        var remote = transaction.Recipients.Where(r => !r.IsLocal).ToList();
        if (remote.Count > 0)
        {
            var envelope = new OutboundEnvelope(
                transaction.ReversePath.Mailbox,
                remote.Select(r => new OutboundRecipient(r.Path.Mailbox, r.Notify, r.OriginalRecipient)).ToList(),
                transaction.EnvelopeId, transaction.Return, transaction.SmtpUtf8, transaction.EightBitMime,
                $"submission {user.Address}");
            await using var stream = new PrefixedStream(Encoding.UTF8.GetBytes(prefix), session.Buffer.OpenRead());
            queueId = await session.Engine.Queue.EnqueueAsync(envelope, stream, session.Connection.Stopping);
        }

        var local = await DeliverLocallyAsync(session, transaction, prefix, "INBOX", id, session.Buffer.OpenRead);
        if (!local.IsPositive)
        {
            // The queue already holds the remote copy; a retry of the whole message would send it twice,
            // so say so and let the sender decide (it knows which recipients are local).
            return queueId is null ? (local, null) : (new SmtpReply(local.Code, local.Enhanced, $"{local.Text} (remote recipients were queued as {queueId})"), queueId);
        }
        return (new SmtpReply(250, "2.0.0", $"Ok: queued as {queueId ?? id}"), queueId);
    }

    private static async Task<SmtpReply> DeliverLocallyAsync(SmtpSession session, SmtpTransaction transaction, string prefix, string folder, string id, Func<Stream> openMessage)
    {
        var local = transaction.Recipients.Where(r => r.IsLocal).ToList();
        if (local.Count == 0)
            return new SmtpReply(250, "2.0.0", $"Ok: queued as {id}");
        var delivery = (LocalDelivery)session.Engine.LocalDelivery;
        var results = await delivery.DeliverAsync(new LocalDeliveryRequest(
            transaction.ReversePath.Mailbox,
            local.Select(r => r.Path.Mailbox).ToList(),
            local.Select(r => r.Resolution!).ToList(),
            openMessage,
            prefix,
            folder,
            EnforceQuota: false), session.Connection.Stopping);

        if (results.Any(r => r.Status == LocalDeliveryStatus.TemporaryFailure))
            return SmtpReply.LocalError;
        if (results.Any(r => r.Status == LocalDeliveryStatus.OverQuota))
            return new SmtpReply(452, "4.2.2", "Mailbox full, try again later");
        if (results.All(r => r.Status is LocalDeliveryStatus.UnknownRecipient or LocalDeliveryStatus.Disabled))
            return new SmtpReply(550, "5.1.1", "No recipient could take the message (they were removed during the transaction)");
        return new SmtpReply(250, "2.0.0", $"Ok: queued as {id}");
    }

    private static string Received(SmtpSession session, SmtpTransaction transaction, string id, bool hideClient)
    {
        var tls = session.Connection.Tls;
        string protocol = TraceHeaders.Protocol(session.Extended, tls is not null, session.User is not null, transaction.SmtpUtf8);
        return TraceHeaders.Received(
            hideClient ? null : session.HeloName,
            hideClient ? null : session.ClientAddress,
            session.Hostname, protocol, id, tls?.ToString(),
            transaction.Recipients.Select(r => r.Path.Mailbox).ToList(),
            session.Engine.Time.GetUtcNow());
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "SMTP message from <{Sender}> to {Recipients} recipient(s), {Size} octets: {Code}")]
    private static partial void LogTransaction(ILogger logger, string sender, int recipients, long size, int code);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "Removed {Count} forged Authentication-Results field(s) carrying our authserv-id")]
    private static partial void LogForgedResults(ILogger logger, int count);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Error, Message = "SMTP end of data failed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception);
}
