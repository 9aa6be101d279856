// RFC 6409 (message submission): 6.1 (the submitter may send only as its own addresses), 8.2 and
// 8.3 (Date and Message-ID completed by the submission agent); RFC 6376 (DKIM signature added
// before the message leaves); RFC 5322 3.6.3 (Bcc removed from what recipients receive).
using System.Text;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Configuration;
using Appliance.Server.Delivery;
using Appliance.Server.Queue;
using Appliance.Server.Smtp;

namespace Appliance.Server.Submission;

/// <summary>Why a submission was refused; <see cref="Exception.Message"/> is shown to the user as it is.</summary>
public sealed class SubmissionRefusedException(string message) : Exception(message);

/// <summary>
/// Sends a message a signed-in user wrote outside SMTP (the webmail): the same rules as ports
/// 587/465 — the From: must be owned, the message is DKIM-signed when its domain is ours — then it
/// is queued durably for every recipient; the queue worker delivers local recipients through local
/// delivery and the rest to the world.
/// </summary>
public sealed class MessageSubmitter(ApplianceOptions options, RecipientResolver recipients, IOutboundQueue queue, IOutboundSigner signer)
{
    /// <summary>
    /// Checks, signs and queues <paramref name="message"/> (CRLF, complete header with Date and
    /// Message-ID, no Bcc field) for <paramref name="envelopeRecipients"/>; returns the queue id once
    /// the queue holds it durably.
    /// </summary>
    /// <exception cref="SubmissionRefusedException">The From: is missing or not the user's, a recipient address is unusable, or the message is too big.</exception>
    public async Task<string> SubmitAsync(AuthenticatedUser user, byte[] message, IReadOnlyList<string> envelopeRecipients, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(message);
        if (message.Length > options.Smtp.MaxMessageSize)
            throw new SubmissionRefusedException($"The message is {message.Length / 1024 / 1024.0:0.#} MB; the limit is {options.Smtp.MaxMessageSize / 1024 / 1024} MB.");
        if (envelopeRecipients.Count == 0)
            throw new SubmissionRefusedException("Give at least one recipient.");
        foreach (string recipient in envelopeRecipients)
        {
            if (!SmtpPathParser.TryParseMailbox(recipient, out _, out _, out string error))
                throw new SubmissionRefusedException($"The address \"{recipient}\" cannot be used: {error}.");
        }

        var header = HeaderBlock.Parse(message);
        var fromFields = header.GetAll("From").ToList();
        if (fromFields.Count != 1)
            throw new SubmissionRefusedException("The message needs exactly one From: field.");
        var authors = MailboxAddress.ParseList(fromFields[0].Value);
        if (authors.Count == 0)
            throw new SubmissionRefusedException("The From: field has no address.");
        foreach (var author in authors)
        {
            if (!await SenderAddresses.IsOwnedAsync(recipients, user, author.Address, cancellationToken))
                throw new SubmissionRefusedException($"You cannot send as {author.Address}: that address does not deliver to {user.Address}.");
        }
        if (header.Get("Bcc") is not null)
            throw new ArgumentException("The message given to the queue must not carry a Bcc field (RFC 5322 3.6.3).", nameof(message));

        string? signature = await signer.SignAsync(message, cancellationToken);
        byte[] signed = signature is null ? message : [.. Encoding.ASCII.GetBytes(signature), .. message];
        bool international = envelopeRecipients.Any(r => r.Any(c => c > 127)) || user.Address.Any(c => c > 127)
            || header.Any(f => f.Value.Any(c => c > 127));
        bool eightBit = message.Any(b => b > 127);
        var envelope = new OutboundEnvelope(
            user.Address,
            envelopeRecipients.Distinct(StringComparer.OrdinalIgnoreCase).Select(r => new OutboundRecipient(r)).ToList(),
            RequiresSmtpUtf8: international,
            EightBitMime: eightBit,
            Origin: $"webmail {user.Address}");
        using var stream = new MemoryStream(signed, writable: false);
        return await queue.EnqueueAsync(envelope, stream, cancellationToken);
    }
}
