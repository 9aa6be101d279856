// RFC 5321 section 4.1.1.3 (RCPT; <Postmaster> must be accepted), 3.6.2 and 7.9 (no open relay),
// 4.5.3.1.10 (452 for too many recipients); RFC 3463 (5.1.1 unknown, 5.2.1 disabled, 4.2.2 full,
// 5.7.1 relay denied); RFC 3461 section 4.1 (NOTIFY) and 4.2 (ORCPT).
using Appliance.MailAuth.Srs;
using Appliance.Server.Accounts;
using Appliance.Server.Queue;

namespace Appliance.Server.Smtp;

internal static class RcptCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        var transaction = session.Transaction!;
        if (!argument.StartsWith("TO:", StringComparison.OrdinalIgnoreCase))
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: RCPT TO:<address>"));
            return;
        }
        string pathText = argument[3..].TrimStart(' ');
        if (pathText.StartsWith("<postmaster>", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 5321 4.1.1.3: "<Postmaster>" without a domain must be accepted: it is this host's postmaster.
            string? postmaster = await PostmasterAsync(session);
            if (postmaster is null)
            {
                await session.ReplyAsync(new SmtpReply(550, "5.1.1", $"<Postmaster>: no postmaster is set up here (add an alias postmaster@ a hosted domain)"));
                return;
            }
            pathText = $"<{postmaster}>" + pathText["<postmaster>".Length..];
        }
        if (!SmtpPathParser.TryParse(pathText, allowNull: false, out var path, out string error))
        {
            await session.ReplyAsync(SmtpReply.SyntaxError(error));
            return;
        }

        transaction.Attempted.Add(path!.Mailbox);
        var notify = DsnNotify.Default;
        string? originalRecipient = null;
        foreach (var (keyword, value) in path!.Parameters)
        {
            if (!session.Extended)
            {
                await session.ReplyAsync(new SmtpReply(555, "5.5.4", "RCPT parameters need EHLO"));
                return;
            }
            switch (keyword)
            {
                case "NOTIFY" when value is not null && TryParseNotify(value, out notify):
                    break;
                case "ORCPT" when value is not null && TryParseOrcpt(value, out originalRecipient):
                    break;
                case "NOTIFY" or "ORCPT":
                    await session.ReplyAsync(new SmtpReply(501, "5.5.4", $"Bad value for RCPT parameter {keyword}"));
                    return;
                default:
                    await session.ReplyAsync(new SmtpReply(555, "5.5.4", $"RCPT parameter {keyword} is not supported"));
                    return;
            }
        }

        if (transaction.Recipients.Count >= session.Options.MaxRecipients)
        {
            await session.ReplyAsync(new SmtpReply(452, "4.5.3", $"Too many recipients (at most {session.Options.MaxRecipients} per message)"), countsAsError: false);
            return;
        }
        if (path.IsInternational && !transaction.SmtpUtf8)
        {
            await session.ReplyAsync(new SmtpReply(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter on MAIL"));
            return;
        }

        var resolution = path.IsAddressLiteral
            ? RecipientResolution.Of(RecipientStatus.NotLocal)
            : await session.Engine.Recipients.ResolveAsync(path.Mailbox, session.Connection.Stopping);
        switch (resolution.Status)
        {
            case RecipientStatus.NotLocal when session.User is not null:
                transaction.Recipients.Add(new AcceptedRecipient(path, null, notify, originalRecipient));
                break;
            case RecipientStatus.NotLocal:
                // RFC 5321 7.9: we relay only for authenticated users; everyone else may only send to us.
                await session.ReplyAsync(new SmtpReply(554, "5.7.1", $"<{path.Mailbox}>: Relay access denied"));
                return;
            case RecipientStatus.Unknown when IsSrs(path.LocalPart):
                // A bounce (or reply) to mail we forwarded: the SRS address names the original
                // sender, and only a hash we made lets it through (no open relay by SRS).
                var reversed = session.Engine.Srs.Reverse(path.Mailbox);
                if (reversed.Status != SrsReverseStatus.Ok || reversed.Address is null)
                {
                    await session.ReplyAsync(new SmtpReply(550, "5.1.1", $"<{path.Mailbox}>: Invalid or expired SRS address"));
                    return;
                }
                var original = new SmtpPath(reversed.Address, "", reversed.Address[(reversed.Address.LastIndexOf('@') + 1)..], []);
                transaction.Recipients.Add(new AcceptedRecipient(original, null, notify, $"rfc822;{path.Mailbox}"));
                break;
            case RecipientStatus.Unknown:
                await UnknownRecipientAsync(session, path.Mailbox);
                return;
            case RecipientStatus.Disabled:
                await session.ReplyAsync(new SmtpReply(550, "5.2.1", $"<{path.Mailbox}>: Mailbox disabled"));
                return;
            case RecipientStatus.Invalid:
                await session.ReplyAsync(new SmtpReply(501, "5.1.3", $"<{path.Mailbox}>: Bad recipient address syntax"));
                return;
            default:
                if (QuotaProblem(session, resolution, transaction.DeclaredSize ?? 0) is { } full)
                {
                    await session.ReplyAsync(full, countsAsError: false);
                    return;
                }
                transaction.Recipients.Add(new AcceptedRecipient(path, resolution, notify, originalRecipient));
                break;
        }
        session.State = SmtpState.RecipientGiven;
        await session.ReplyAsync(new SmtpReply(250, "2.1.5", "Recipient ok"));
    }

    /// <summary>
    /// 550 5.1.1, never accept-then-bounce (no backscatter). A client probing for addresses gets
    /// slower replies after a few misses and is cut off after more (Postfix's soft and hard error
    /// limits with smtpd_error_sleep_time).
    /// </summary>
    private static async ValueTask UnknownRecipientAsync(SmtpSession session, string address)
    {
        session.UnknownRecipients++;
        if (session.UnknownRecipients > session.Options.MaxUnknownRecipients)
        {
            await session.CloseAsync(new SmtpReply(421, "4.7.0", $"{session.Hostname} Too many unknown recipients, closing connection"));
            return;
        }
        if (session.UnknownRecipients > session.Options.UnknownRecipientsBeforeDelay && session.Options.UnknownRecipientDelay > TimeSpan.Zero)
        {
            await session.FlushAsync();
            await Task.Delay(session.Options.UnknownRecipientDelay, session.Engine.Time, session.Connection.Stopping);
        }
        await session.ReplyAsync(new SmtpReply(550, "5.1.1", $"<{address}>: Recipient address rejected: User unknown"));
    }

    /// <summary>
    /// 452 4.2.2 when a mailbox is already at its quota, or the declared SIZE does not fit. A
    /// message without SIZE may take a mailbox past its quota once; the next one is refused here
    /// (Dovecot's quota_grace does the same with a margin).
    /// </summary>
    private static SmtpReply? QuotaProblem(SmtpSession session, RecipientResolution resolution, long declaredSize)
    {
        foreach (var mailbox in resolution.Mailboxes)
        {
            if (mailbox.QuotaBytes <= 0)
                continue;
            long used = session.Engine.Store.OpenAccount(mailbox.StoreId).GetQuotaUsage();
            if (used >= mailbox.QuotaBytes || used + declaredSize > mailbox.QuotaBytes)
                return new SmtpReply(452, "4.2.2", $"<{mailbox.Address}>: Mailbox full, try again later");
        }
        return null;
    }

    private static bool IsSrs(string localPart) =>
        localPart.StartsWith("SRS0=", StringComparison.OrdinalIgnoreCase) || localPart.StartsWith("SRS1=", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// RFC 5321 4.1.1.3: &lt;Postmaster&gt; without a domain means this host's postmaster: the
    /// postmaster of the host name's domain (mail.example.org -> postmaster@mail.example.org),
    /// else of its parent (postmaster@example.org). Null when neither is deliverable here.
    /// </summary>
    private static async Task<string?> PostmasterAsync(SmtpSession session)
    {
        string host = session.Hostname;
        var candidates = new List<string> { host };
        int dot = host.IndexOf('.');
        if (dot > 0 && host.IndexOf('.', dot + 1) > 0)
            candidates.Add(host[(dot + 1)..]);
        foreach (string domain in candidates)
        {
            string address = $"postmaster@{domain}";
            var resolution = await session.Engine.Recipients.ResolveAsync(address, session.Connection.Stopping);
            if (resolution.Status == RecipientStatus.Deliverable)
                return address;
        }
        return null;
    }

    /// <summary>NOTIFY="NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" ) (RFC 3461 4.1).</summary>
    private static bool TryParseNotify(string value, out DsnNotify notify)
    {
        notify = DsnNotify.Default;
        foreach (string item in value.Split(','))
        {
            var flag = item.ToUpperInvariant() switch
            {
                "NEVER" => DsnNotify.Never,
                "SUCCESS" => DsnNotify.Success,
                "FAILURE" => DsnNotify.Failure,
                "DELAY" => DsnNotify.Delay,
                _ => (DsnNotify?)null,
            };
            if (flag is null || (notify & flag.Value) != 0)
                return false;
            notify |= flag.Value;
        }
        // NEVER must stand alone.
        return (notify & DsnNotify.Never) == 0 || notify == DsnNotify.Never;
    }

    /// <summary>ORCPT=addr-type ";" xtext (RFC 3461 4.2); kept decoded as "rfc822;user@example.org".</summary>
    private static bool TryParseOrcpt(string value, out string? original)
    {
        original = null;
        int semicolon = value.IndexOf(';');
        if (semicolon <= 0 || !SmtpPathParser.TryDecodeXtext(value[(semicolon + 1)..], out string address) || address.Length == 0)
            return false;
        original = $"{value[..semicolon]};{address}";
        return true;
    }
}
