// RFC 9051 section 6.3.12 (APPEND mailbox [flag-list] [date-time] literal; NO [TRYCREATE] when the
// mailbox does not exist; appending to the selected mailbox is reported as EXISTS), section 9
// (date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE, parsed
// strictly), 7.1 (TOOBIG: a literal over the limit is refused by the reader before its continuation);
// RFC 4315 section 3 (APPENDUID uidvalidity uid in the tagged OK); RFC 9208 section 7.1 (OVERQUOTA);
// RFC 7889 (APPENDLIMIT is MaxLiteralSize); RFC 3516 section 4.4 (a literal8 message is accepted).
// MULTIAPPEND (RFC 3502) and APPEND UTF8 (RFC 6855 section 4) are not implemented: more than one
// message, or any other argument after the message, is BAD.
using System.Globalization;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class AppendCommand
{
    private const string Syntax = "Syntax: APPEND mailbox [(flags)] [\"dd-Mon-yyyy hh:mm:ss +zzzz\"] {size}";

    private static readonly string[] Months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

    /// <summary>What the arguments before the message ask for.</summary>
    private sealed record AppendRequest(string Mailbox, MessageFlags Flags, List<string> Keywords, DateTimeOffset? Date);

    /// <summary>
    /// A message literal too large for memory starts: the arguments before it are checked now, and the
    /// literal goes to the store as it arrives, or is dropped when the command will be refused anyway
    /// (the client sends it regardless: the continuation was asked for already, or it was {n+}).
    /// </summary>
    public static async Task<ImapAppendUpload> BeginStreamedAsync(ImapSession session, ImapCommand soFar, long size)
    {
        var refusal = ParseOptions(session, soFar.Arguments, out var request) ?? await CheckTargetAsync(session, request!, size);
        return refusal is not null
            ? ImapAppendUpload.Refused(refusal)
            : ImapAppendUpload.Start(session.Account!, request!.Mailbox, request.Flags, request.Keywords, request.Date);
    }

    /// <summary>The complete command: with <paramref name="upload"/> when its message was streamed, else with the message in memory.</summary>
    public static async Task ExecuteAsync(ImapSession session, ImapCommand command, ImapAppendUpload? upload)
    {
        var args = command.Arguments;
        if (upload is not null)
        {
            if (!args[^1].IsStreamed)
            {
                // Something followed the message: a second message (MULTIAPPEND) or junk.
                await upload.AbortAsync();
                session.Bad(command.Tag, Syntax + " (one message per APPEND)");
                return;
            }
            if (upload.Refusal is { } refusal)
            {
                Answer(session, command.Tag, refusal);
                return;
            }
            await CompleteAsync(session, command.Tag, upload.CompleteAsync());
            return;
        }

        if (args.Count < 2 || args[^1].Kind != ImapArgumentKind.String || args[^1].Form is not (ImapStringForm.Literal or ImapStringForm.Literal8))
        {
            // append-data = literal / literal8 (RFC 9051 section 9): a quoted string is not a message.
            session.Bad(command.Tag, Syntax);
            return;
        }
        if (args.Skip(1).Take(args.Count - 2).Any(a => a.Form is ImapStringForm.Literal or ImapStringForm.Literal8))
        {
            // A literal between the mailbox (which may be one) and the last is a second message
            // (MULTIAPPEND): date-time is only ever quoted.
            session.Bad(command.Tag, Syntax + " (one message per APPEND)");
            return;
        }
        byte[] message = args[^1].Bytes;
        var invalid = ParseOptions(session, [.. args.Take(args.Count - 1)], out var request) ?? await CheckTargetAsync(session, request!, message.Length);
        if (invalid is not null)
        {
            Answer(session, command.Tag, invalid);
            return;
        }
        await CompleteAsync(session, command.Tag,
            session.Account!.AppendAsync(request!.Mailbox, new MemoryStream(message, writable: false), request.Flags, request.Keywords, request.Date));
    }

    private static async Task CompleteAsync(ImapSession session, string tag, Task<AppendResult> append)
    {
        AppendResult result;
        try
        {
            result = await append;
        }
        catch (MailStoreException e)
        {
            Answer(session, tag, Refusal(e));
            return;
        }
        catch (IOException e)
        {
            session.StoreFailed(tag, e); // the store deleted its tmp/ file: nothing was appended
            return;
        }
        // RFC 4315 section 3: APPENDUID; the new message's EXISTS comes first when it went to the selected mailbox.
        session.Ok(tag, "APPEND completed", $"APPENDUID {result.UidValidity} {result.Uid}");
    }

    private static void Answer(ImapSession session, string tag, ImapRefusal refusal)
    {
        if (refusal.Status == ImapStatus.Bad)
            session.Bad(tag, refusal.Text);
        else
            session.No(tag, refusal.Code, refusal.Text);
    }

    /// <summary>mailbox [SP flag-list] [SP date-time]: null when valid, else the answer (BAD for syntax, NO for a name the store refuses).</summary>
    private static ImapRefusal? ParseOptions(ImapSession session, IReadOnlyList<ImapArgument> head, out AppendRequest? request)
    {
        request = null;
        if (head.Count is < 1 or > 3 || !head[0].TryGetAString(out var octets))
            return new ImapRefusal(ImapStatus.Bad, null, Syntax);
        var flags = MessageFlags.None;
        List<string> keywords = [];
        DateTimeOffset? date = null;
        int next = 1;
        if (next < head.Count && head[next].Kind == ImapArgumentKind.List)
        {
            if (!ImapFlags.TryParse(head[next], out flags, out keywords, out string? error))
                return new ImapRefusal(ImapStatus.Bad, null, error!);
            next++;
        }
        if (next < head.Count)
        {
            if (head[next].Kind != ImapArgumentKind.String || head[next].Form != ImapStringForm.Quoted || !TryParseDateTime(head[next].Bytes, out var parsed))
                return new ImapRefusal(ImapStatus.Bad, null, "Invalid date-time; " + Syntax);
            date = parsed;
            next++;
        }
        if (next != head.Count)
            return new ImapRefusal(ImapStatus.Bad, null, Syntax);
        if (!ImapMailboxes.TryDecode(session, octets, out string mailbox, out string? nameError))
            return new ImapRefusal(ImapStatus.No, "CANNOT", nameError!);
        request = new AppendRequest(mailbox, flags, keywords, date);
        return null;
    }

    /// <summary>The mailbox must exist (else NO [TRYCREATE], RFC 9051 6.3.12) and the message fit the quota (RFC 9208 7.1).</summary>
    private static async Task<ImapRefusal?> CheckTargetAsync(ImapSession session, AppendRequest request, long size)
    {
        if (size == 0)
            return new ImapRefusal(ImapStatus.No, "CANNOT", "An empty message cannot be appended");
        try
        {
            session.Account!.GetMailbox(request.Mailbox);
        }
        catch (MailStoreException e)
        {
            return Refusal(e);
        }
        var quota = await ImapQuota.ReadAsync(session);
        if (quota.WouldExceed(size))
            return new ImapRefusal(ImapStatus.No, "OVERQUOTA", $"Over quota: {quota.UsedKiB} of {quota.LimitKiB} KiB used");
        return null;
    }

    private static ImapRefusal Refusal(MailStoreException e) => e switch
    {
        MailboxNotFoundException => new ImapRefusal(ImapStatus.No, "TRYCREATE", "No such mailbox"),
        MailboxNameException => new ImapRefusal(ImapStatus.No, "CANNOT", "Invalid mailbox name"),
        InvalidKeywordException => new ImapRefusal(ImapStatus.Bad, null, "Invalid keyword"),
        _ => new ImapRefusal(ImapStatus.No, "SERVERBUG", "The message could not be stored"),
    };

    /// <summary>
    /// RFC 9051 date-time, exactly: "dd-Mon-yyyy hh:mm:ss +zzzz" with the day as two digits or a space
    /// and a digit, the month's name (case-insensitive, as ABNF strings are), seconds 00-59 and a zone
    /// DateTimeOffset can hold (within 14 hours).
    /// </summary>
    internal static bool TryParseDateTime(ReadOnlySpan<byte> text, out DateTimeOffset value)
    {
        value = default;
        if (text.Length != 26 || text[2] != '-' || text[6] != '-' || text[11] != ' ' || text[14] != ':' || text[17] != ':' || text[20] != ' '
            || text[21] is not ((byte)'+' or (byte)'-'))
            return false;
        int day;
        if (text[0] == ' ' && TryDigits(text.Slice(1, 1), out int d))
            day = d;
        else if (!TryDigits(text[..2], out day))
            return false;
        string monthName = System.Text.Encoding.ASCII.GetString(text.Slice(3, 3));
        int month = Array.FindIndex(Months, m => m.Equals(monthName, StringComparison.OrdinalIgnoreCase)) + 1;
        if (month == 0
            || !TryDigits(text.Slice(7, 4), out int year) || !TryDigits(text.Slice(12, 2), out int hour)
            || !TryDigits(text.Slice(15, 2), out int minute) || !TryDigits(text.Slice(18, 2), out int second)
            || !TryDigits(text.Slice(22, 2), out int zoneHours) || !TryDigits(text.Slice(24, 2), out int zoneMinutes))
            return false;
        if (year < 1 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || zoneMinutes > 59)
            return false;
        var offset = new TimeSpan(zoneHours, zoneMinutes, 0);
        if (offset > TimeSpan.FromHours(14))
            return false;
        if (text[21] == '-')
            offset = -offset;
        try
        {
            value = new DateTimeOffset(year, month, day, hour, minute, second, offset);
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false; // e.g. year 0001 with a positive zone is before DateTimeOffset.MinValue in UTC
        }
    }

    private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
    {
        value = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            value = value * 10 + (b - '0');
        }
        return true;
    }
}
