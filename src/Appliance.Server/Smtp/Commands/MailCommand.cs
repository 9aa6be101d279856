// RFC 5321 section 4.1.1.2 (MAIL), 3.6.3 (relay policy is the server's); RFC 1870 (SIZE);
// RFC 6152 (BODY=8BITMIME); RFC 6531 section 3.4 (SMTPUTF8) and 3.5 (553 5.6.7); RFC 3461
// section 4.3 (RET) and 4.4 (ENVID); RFC 4954 section 5 (AUTH=); RFC 6409 section 6.1 (the
// submission server checks the sender); RFC 7208 section 2.4 (SPF of MAIL FROM, or HELO for <>).
using System.Globalization;
using System.Net;
using Appliance.MailAuth.Spf;
using Appliance.Server.Accounts;
using Appliance.Server.Queue;

namespace Appliance.Server.Smtp;

internal static class MailCommand
{
    /// <summary>RFC 3461 4.4: ENVID is at most 100 characters.</summary>
    private const int MaxEnvelopeIdLength = 100;

    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        if (!argument.StartsWith("FROM:", StringComparison.OrdinalIgnoreCase))
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: MAIL FROM:<address>"));
            return;
        }
        if (!session.IsMx && session.User is null)
        {
            await session.ReplyAsync(SmtpReply.AuthenticationRequired);
            return;
        }
        if (!SmtpPathParser.TryParse(argument[5..], allowNull: true, out var path, out string error))
        {
            await session.ReplyAsync(SmtpReply.SyntaxError(error));
            return;
        }

        long? size = null;
        bool eightBit = false, smtpUtf8 = false;
        DsnReturn ret = DsnReturn.Default;
        string? envelopeId = null;
        foreach (var (keyword, value) in path!.Parameters)
        {
            // RFC 5321 4.1.1.2: parameters only with the extensions announced by EHLO.
            if (!session.Extended)
            {
                await session.ReplyAsync(new SmtpReply(555, "5.5.4", "MAIL parameters need EHLO"));
                return;
            }
            switch (keyword)
            {
                case "SIZE" when value is not null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long declared):
                    size = declared;
                    break;
                case "BODY" when value is not null && (value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) || value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase)):
                    eightBit = value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase);
                    break;
                case "SMTPUTF8" when value is null:
                    smtpUtf8 = true;
                    break;
                case "RET" when value is not null && (value.Equals("FULL", StringComparison.OrdinalIgnoreCase) || value.Equals("HDRS", StringComparison.OrdinalIgnoreCase)):
                    ret = value.Equals("FULL", StringComparison.OrdinalIgnoreCase) ? DsnReturn.Full : DsnReturn.Headers;
                    break;
                case "ENVID" when value is not null && value.Length <= MaxEnvelopeIdLength && SmtpPathParser.TryDecodeXtext(value, out string decoded):
                    envelopeId = decoded;
                    break;
                case "AUTH" when value is not null:
                    // RFC 4954 5: the original submitter, as asserted by a trusted relay. We trust
                    // no relay, so it is accepted and ignored ("AUTH=<>" in effect).
                    break;
                case "SIZE" or "BODY" or "SMTPUTF8" or "RET" or "ENVID" or "AUTH":
                    await session.ReplyAsync(new SmtpReply(501, "5.5.4", $"Bad value for MAIL parameter {keyword}"));
                    return;
                default:
                    await session.ReplyAsync(new SmtpReply(555, "5.5.4", $"MAIL parameter {keyword} is not supported"));
                    return;
            }
        }

        if (size > session.Options.MaxMessageSize)
        {
            await session.ReplyAsync(SmtpReply.TooBig(session.Options.MaxMessageSize));
            return;
        }
        if (path.IsInternational && !smtpUtf8)
        {
            await session.ReplyAsync(new SmtpReply(553, "5.6.7", "Non-ASCII address requires the SMTPUTF8 parameter"));
            return;
        }

        if (session.User is { } user)
        {
            SmtpReply? refusal = null;
            if (path.IsNull)
                refusal = new SmtpReply(553, "5.7.1", "The null sender <> is not allowed for authenticated users");
            else if (!await SenderAddresses.IsOwnedAsync(session.Engine.Recipients, user, path.Mailbox, session.Connection.Stopping))
                refusal = new SmtpReply(553, "5.7.1", $"Sender address <{path.Mailbox}> is not owned by {user.Address}");
            if (refusal is { } refused)
            {
                // Spoofing attempts by a logged-in account are what an admin most wants to see.
                session.RecordRefusal(path.Mailbox, [], refused);
                await session.ReplyAsync(refused);
                return;
            }
        }

        var transaction = new SmtpTransaction(path)
        {
            DeclaredSize = size,
            EightBitMime = eightBit,
            SmtpUtf8 = smtpUtf8,
            Return = ret,
            EnvelopeId = envelopeId,
        };
        if (session.IsMx && session.Connection.RemoteAddress is IPAddress client)
        {
            // RFC 7208 2.4: the MAIL FROM identity; for the null sender, postmaster@HELO.
            string sender = path.IsNull ? $"postmaster@{session.HeloName}" : path.Mailbox;
            string domain = path.IsNull ? session.HeloName ?? "" : path.Domain;
            transaction.Spf = session.Engine.Spf.CheckHostAsync(client, domain, sender, session.HeloName, session.Connection.Stopping);
        }
        session.Transaction = transaction;
        session.State = SmtpState.MailGiven;
        await session.ReplyAsync(new SmtpReply(250, "2.1.0", "Sender ok"));
    }
}
