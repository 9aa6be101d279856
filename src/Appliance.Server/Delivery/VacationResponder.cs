// RFC 3834 (automatic responses to mail): 2 (when not to respond), 3.1.1 (From), 3.1.3 (one
// recipient), 3.1.4 (Date), 3.1.5 (Subject "Auto: "), 3.1.6 (In-Reply-To, References), 3.1.7 and
// 5.2 (Auto-Submitted: auto-replied), 3.2 (brief text/plain), 3.3 (null envelope sender).
// RFC 5230 (Sieve vacation): 4.1 (:days), 4.2 (previous response tracking), 4.5 (reply only to
// mail addressed to the user), 4.6 (no reply to lists and automated senders).
using System.Text;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Queue;
using Appliance.Storage;
using Appliance.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Delivery;

/// <summary>Why a vacation reply was or was not sent; one value per rule, so each can be told apart.</summary>
internal enum VacationOutcome
{
    Replied,
    /// <summary>RFC 3834 2 / RFC 5230 4.6: the null reverse path (a bounce) gets no reply.</summary>
    NullSender,
    /// <summary>RFC 5230 4.6 / RFC 3834 2: owner-*, *-request, MAILER-DAEMON, LISTSERV, majordomo.</summary>
    AutomatedSender,
    /// <summary>
    /// Longer than any stored address (RFC 5321 4.5.3.1.3 caps a path at 256 octets; an IDN domain
    /// grows as an A-label): not a mailbox anyone reads, and not one the reply table can hold.
    /// </summary>
    UnusableSender,
    /// <summary>RFC 3834 5 / RFC 5230 4.6: Auto-Submitted present with a value other than "no".</summary>
    AutoSubmitted,
    /// <summary>RFC 5230 4.6 / RFC 3834 2: a List-Id (RFC 2919) or List-* (RFC 2369) field.</summary>
    MailingList,
    /// <summary>RFC 3834 2: Precedence bulk, junk or list (common practice, not a standard field).</summary>
    BulkPrecedence,
    /// <summary>The sender is the user: never reply to ourselves.</summary>
    OwnAddress,
    /// <summary>RFC 5230 4.5: none of the user's addresses is in To, Cc, Bcc or their Resent- forms.</summary>
    NotAddressedToUser,
    NotEnabled,
    /// <summary>Today (UTC) is before the start date or after the end date.</summary>
    OutsideDates,
    /// <summary>RFC 5230 4.1/4.2: this sender had a reply within the mailbox's interval.</summary>
    AlreadyReplied,
    /// <summary>Our own failure (database, queue); logged, the delivery is unaffected.</summary>
    Failed,
}

/// <summary>A copy that reached a mailbox's INBOX, as the vacation responder needs it.</summary>
/// <param name="Mailbox">The mailbox the copy was appended to.</param>
/// <param name="EnvelopeRecipients">The RCPT TO addresses that led to this mailbox (its own, an alias, a +tag).</param>
/// <param name="ReversePath">The envelope sender (what Return-Path says); empty for the null sender.</param>
/// <param name="Header">The message's header block as received, ending with its blank line when it had one.</param>
internal sealed record VacationCandidate(LocalRecipient Mailbox, IReadOnlyList<string> EnvelopeRecipients, string ReversePath, byte[] Header);

/// <summary>
/// Sends a mailbox's vacation auto-reply to the sender of a message delivered to its INBOX, at most
/// once per sender per interval, and never to lists, automated senders or bounces. The reply goes
/// with the null reverse path through the outbound queue, DKIM-signed like other outbound mail.
/// Local delivery hands copies over with <see cref="Start"/> and does not wait: nothing here can
/// fail or slow a delivery.
/// </summary>
internal sealed partial class VacationResponder(
    IDbContextFactory<ApplianceDbContext> dbFactory,
    IOutboundQueue queue,
    IOutboundSigner signer,
    TimeProvider time,
    ILogger<VacationResponder> logger) : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// Replies being prepared at once; past it, further candidates are dropped (and logged) rather
    /// than queued in memory without bound during a flood. A reply takes milliseconds, so a
    /// thousand in flight means the database or queue is stuck, not that mail is merely busy.
    /// </summary>
    public const int MaxPendingReplies = 1000;

    /// <summary>RFC 5230 4.6 (and RFC 3834 2): local parts that belong to lists and mail software, compared case-insensitively.</summary>
    private static readonly string[] AutomatedLocalParts = ["mailer-daemon", "listserv", "majordomo"];

    /// <summary>RFC 5230 4.5: the fields in which one of the user's addresses must appear.</summary>
    private static readonly string[] RecipientFields = ["To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"];

    /// <summary>RFC 3834 2: Precedence values that mark list and bulk mail (RFC 2076 3.9).</summary>
    private static readonly string[] BulkPrecedences = ["bulk", "junk", "list"];

    /// <summary>
    /// How long stopping waits for replies in progress. One takes milliseconds; five seconds covers
    /// a slow disk and stays well inside the host's shutdown timeout (30 s by default in .NET).
    /// </summary>
    public static readonly TimeSpan ShutdownWait = TimeSpan.FromSeconds(5);

    private readonly HashSet<Task> _pending = [];

    /// <summary>Starts <see cref="RespondAsync"/> in the background and returns at once.</summary>
    public void Start(VacationCandidate candidate)
    {
        lock (_pending)
        {
            if (_pending.Count >= MaxPendingReplies)
            {
                LogDropped(logger, candidate.Mailbox.Address);
                return;
            }
            Task task = Task.Run(() => RespondAsync(candidate, CancellationToken.None));
            _pending.Add(task);
            // Synchronous, under the lock we hold (Monitor is re-entrant): a task that already
            // finished is removed after it was added, never before.
            task.ContinueWith(done =>
            {
                lock (_pending)
                    _pending.Remove(done);
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Completes when every reply started so far is done: for tests and an orderly shutdown.</summary>
    public Task WhenIdleAsync()
    {
        lock (_pending)
            return Task.WhenAll(_pending.ToArray());
    }

    /// <summary>
    /// The container disposes this before the database and queue it uses (it was made after
    /// them), so replies in progress finish instead of failing on disposed services.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await WhenIdleAsync().WaitAsync(ShutdownWait);
        }
        catch (TimeoutException)
        {
            LogShutdownWithPending(logger);
        }
    }

    /// <summary>For a container disposed synchronously (a CLI command): the same wait, blocking.</summary>
    public void Dispose()
    {
        if (!WhenIdleAsync().Wait(ShutdownWait))
            LogShutdownWithPending(logger);
    }

    /// <summary>Applies every rule and, when all pass, queues the reply. Never throws: failures are logged.</summary>
    public async Task<VacationOutcome> RespondAsync(VacationCandidate candidate, CancellationToken cancellationToken)
    {
        try
        {
            return await RespondCoreAsync(candidate, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(logger, e, candidate.Mailbox.Address);
            return VacationOutcome.Failed;
        }
    }

    private async Task<VacationOutcome> RespondCoreAsync(VacationCandidate candidate, CancellationToken ct)
    {
        string sender = candidate.ReversePath;
        if (sender.Length == 0)
            return VacationOutcome.NullSender;
        if (IsAutomatedSender(sender))
            return VacationOutcome.AutomatedSender;
        string canonicalSender = Canonical(sender);
        if (canonicalSender.Length > VacationReply.MaxSenderLength)
            return VacationOutcome.UnusableSender;

        MimeEntity original = MimeParser.Parse(candidate.Header);
        HeaderBlock header = original.Header;
        if (header.Get("Auto-Submitted") is HeaderField autoSubmitted && !Keyword(autoSubmitted.Value).Equals("no", StringComparison.OrdinalIgnoreCase))
            return VacationOutcome.AutoSubmitted;
        if (header.Any(f => f.Name.StartsWith("List-", StringComparison.OrdinalIgnoreCase)))
            return VacationOutcome.MailingList;
        if (header.Get("Precedence") is HeaderField precedence
            && BulkPrecedences.Contains(Keyword(precedence.Value), StringComparer.OrdinalIgnoreCase))
            return VacationOutcome.BulkPrecedence;

        var own = new HashSet<string>(StringComparer.Ordinal) { Canonical(candidate.Mailbox.Address) };
        foreach (string recipient in candidate.EnvelopeRecipients)
        {
            // Dovecot's vacation likewise counts the address the mail was sent to as the user's.
            string address = Canonical(recipient);
            own.Add(address);
            if (AddressRules.WithoutSubaddress(address) is string withoutTag)
                own.Add(withoutTag);
        }
        if (own.Contains(canonicalSender) || AddressRules.WithoutSubaddress(canonicalSender) is string s && own.Contains(s))
            return VacationOutcome.OwnAddress;
        if (!IsAddressedTo(header, own))
            return VacationOutcome.NotAddressedToUser;

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var mailbox = await db.Mailboxes.AsNoTracking()
            .Where(m => m.Id == candidate.Mailbox.MailboxId)
            .Select(m => new { m.Address, m.LocalPart, m.DisplayName, Domain = m.Domain!.Name })
            .SingleOrDefaultAsync(ct);
        var settings = await db.MailboxSettings.AsNoTracking().SingleOrDefaultAsync(x => x.MailboxId == candidate.Mailbox.MailboxId, ct);
        if (mailbox is null || settings is not { VacationEnabled: true })
            return VacationOutcome.NotEnabled;
        DateTime now = time.GetUtcNow().UtcDateTime;
        var today = DateOnly.FromDateTime(now);
        if (settings.VacationStartDate > today || settings.VacationEndDate < today)
            return VacationOutcome.OutsideDates;

        if (!await ClaimAsync(db, candidate.Mailbox.MailboxId, canonicalSender, settings.VacationReplyIntervalDays, now, ct))
            return VacationOutcome.AlreadyReplied;
        try
        {
            byte[] reply = BuildReply(original, candidate.Header, sender, mailbox.LocalPart, mailbox.Domain, mailbox.DisplayName, settings, out bool utf8);
            string? signature = await signer.SignAsync(reply, ct);
            byte[] signed = signature is null ? reply : [.. Encoding.UTF8.GetBytes(signature), .. reply];
            // RFC 3834 3.3 / RFC 5230 4.6: the null reverse path, so that nothing answers the answer.
            var envelope = new OutboundEnvelope("", [new OutboundRecipient(sender)], RequiresSmtpUtf8: utf8, Origin: $"vacation {mailbox.Address}");
            string id = await queue.EnqueueAsync(envelope, new MemoryStream(signed, writable: false), ct);
            LogReplied(logger, mailbox.Address, sender, id);
            return VacationOutcome.Replied;
        }
        catch
        {
            // Nothing was sent: forget the claim (ours: the unique index allows no other) so the
            // sender's next message can have its reply.
            await db.VacationReplies.Where(r => r.MailboxId == candidate.Mailbox.MailboxId && r.Sender == canonicalSender)
                .ExecuteDeleteAsync(CancellationToken.None);
            throw;
        }
    }

    /// <summary>
    /// RFC 5230 4.2: records the reply before it is sent, so that two messages from one sender
    /// delivered at the same moment give one reply (the unique index lets one insert win). Rows
    /// older than the interval are removed first: they no longer hold anything back.
    /// </summary>
    private static async Task<bool> ClaimAsync(ApplianceDbContext db, int mailboxId, string sender, int intervalDays, DateTime now, CancellationToken ct)
    {
        DateTime expired = now - TimeSpan.FromDays(intervalDays);
        await db.VacationReplies.Where(r => r.MailboxId == mailboxId && r.RepliedUtc <= expired).ExecuteDeleteAsync(ct);
        if (await db.VacationReplies.AnyAsync(r => r.MailboxId == mailboxId && r.Sender == sender, ct))
            return false;
        db.VacationReplies.Add(new VacationReply { MailboxId = mailboxId, Sender = sender, RepliedUtc = now });
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException)
        {
            // Another delivery claimed this sender a moment ago (the unique index); anything else is a failure.
            db.ChangeTracker.Clear();
            if (await db.VacationReplies.AnyAsync(r => r.MailboxId == mailboxId && r.Sender == sender, ct))
                return false;
            throw;
        }
    }

    /// <summary>
    /// The reply, built by <see cref="MessageBuilder.CreateReply"/> for the threading fields (RFC
    /// 3834 3.1.6 with RFC 5322 3.6.4), then addressed to the envelope sender only (RFC 3834 3.1.3,
    /// RFC 5230 4: the return path, not From or Reply-To).
    /// </summary>
    private byte[] BuildReply(MimeEntity original, byte[] raw, string sender, string localPart, string domain, string displayName,
        MailboxSettings settings, out bool utf8)
    {
        var self = new MailboxAddress(displayName.Length == 0 ? null : displayName, localPart, domain);
        using var rawStream = new MemoryStream(raw, writable: false);
        MessageBuilder reply = MessageBuilder.CreateReply(original, rawStream, self, replyAll: false, time);
        reply.To.Clear();
        reply.Cc.Clear();
        int at = sender.LastIndexOf('@');
        reply.To.Add(new MailboxAddress(null, sender[..at].Trim('"'), sender[(at + 1)..]));
        reply.Subject = settings.VacationSubject ?? AutoSubject(original.Header.Get("Subject")?.DecodeText() ?? "");
        reply.TextBody = settings.VacationText;
        reply.AddHeader("Auto-Submitted", "auto-replied");
        utf8 = !Ascii.IsValid(sender) || !Ascii.IsValid(localPart);
        reply.Utf8Headers = utf8;
        return reply.ToArray();
    }

    /// <summary>RFC 3834 3.1.5: "Auto: " and the original subject on one line, cut to the subject bound.</summary>
    private static string AutoSubject(string original)
    {
        string oneLine = string.Join(' ', new string([.. original.Select(c => char.IsControl(c) ? ' ' : c)])
            .Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        string subject = "Auto: " + oneLine;
        return subject.Length <= MailboxSettings.MaxVacationSubjectLength ? subject : subject[..MailboxSettings.MaxVacationSubjectLength];
    }

    /// <summary>RFC 5230 4.6 and RFC 3834 2: "owner-*", "*-request" and the well-known robots.</summary>
    private static bool IsAutomatedSender(string sender)
    {
        int at = sender.LastIndexOf('@');
        string local = (at < 0 ? sender : sender[..at]).Trim('"');
        return local.StartsWith("owner-", StringComparison.OrdinalIgnoreCase)
            || local.EndsWith("-request", StringComparison.OrdinalIgnoreCase)
            || AutomatedLocalParts.Contains(local, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The field's first word: RFC 3834 5.1 lets parameters (";") and comments follow the
    /// Auto-Submitted keyword, and Precedence values are read the same way.
    /// </summary>
    private static string Keyword(string value) => value.Trim().Split([';', '(', ' ', '\t'], 2)[0];

    private static bool IsAddressedTo(HeaderBlock header, HashSet<string> own)
    {
        foreach (string name in RecipientFields)
        {
            foreach (HeaderField field in header.GetAll(name))
            {
                foreach (MailboxAddress mailbox in MailboxAddress.ParseList(field.Value))
                {
                    if (mailbox.Domain.Length == 0)
                        continue;
                    string address = Canonical(mailbox.LocalPart + "@" + mailbox.Domain);
                    if (own.Contains(address) || AddressRules.WithoutSubaddress(address) is string withoutTag && own.Contains(withoutTag))
                        return true;
                }
            }
        }
        return false;
    }

    /// <summary>The normalized form (lower-case, A-label domain) when it is one we could store; else lower-cased.</summary>
    private static string Canonical(string address) =>
        AddressRules.TryNormalizeAddress(address, out string local, out string domain, out _) ? $"{local}@{domain}" : address.ToLowerInvariant();

    [LoggerMessage(EventId = 5130, Level = LogLevel.Information, Message = "Vacation reply from {Mailbox} to <{Sender}> queued as {QueueId}")]
    private static partial void LogReplied(ILogger logger, string mailbox, string sender, string queueId);

    [LoggerMessage(EventId = 5131, Level = LogLevel.Error, Message = "Vacation reply from {Mailbox} failed; the delivery itself is unaffected")]
    private static partial void LogFailed(ILogger logger, Exception exception, string mailbox);

    [LoggerMessage(EventId = 5132, Level = LogLevel.Warning, Message = "Vacation reply from {Mailbox} dropped: too many replies in progress")]
    private static partial void LogDropped(ILogger logger, string mailbox);

    [LoggerMessage(EventId = 5133, Level = LogLevel.Warning, Message = "Stopping with vacation replies still in progress; they may not be sent")]
    private static partial void LogShutdownWithPending(ILogger logger);
}
