// RFC 3030 (CHUNKING): section 2 (BDAT size [LAST]; the chunk follows the command at once), 3
// (a reply per chunk; after an error the client sends no more chunks, but bytes it already sent
// must still be read, never taken as commands), 4.2 (BDAT 0 LAST).
using System.Buffers;
using System.Globalization;

namespace Appliance.Server.Smtp;

internal static class BdatCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long size)
            || parts.Length == 2 && !parts[1].Equals("LAST", StringComparison.OrdinalIgnoreCase))
        {
            // Without a size we cannot know where the chunk ends: the rest of the session is garbage.
            await session.CloseAsync(new SmtpReply(501, "5.5.4", "Syntax: BDAT size [LAST]; closing connection"));
            return;
        }
        bool last = parts.Length == 2;

        // The chunk is read first whatever happens next, so its bytes are never taken as commands.
        bool allowed = SmtpCommandTable.IsAllowed(session.State, SmtpVerb.Bdat) && session.Extended;
        var transaction = allowed ? session.Transaction : null;
        if (transaction is not null && session.State != SmtpState.Chunking)
        {
            transaction.Chunks = new LineDiscipline(session.Options.MaxTextLineLength, session.Options.MaxMessageSize);
            session.Buffer.Clear();
        }
        var discipline = transaction?.Chunks;
        if (!await ReadChunkAsync(session, size, discipline))
            return;

        if (transaction is null)
        {
            await session.ReplyAsync(session.State == SmtpState.Connected || !session.Extended
                ? SmtpReply.BadSequence("Send EHLO, MAIL and RCPT before BDAT")
                : SmtpReply.BadSequence("Need MAIL and RCPT before BDAT"));
            return;
        }
        if (transaction.Recipients.Count == 0)
        {
            session.ResetTransaction();
            await session.ReplyAsync(new SmtpReply(554, "5.5.1", "No valid recipients"));
            return;
        }
        if (transaction.ChunkFailure is { } failed)
        {
            await session.ReplyAsync(failed);
            return;
        }
        if ((discipline!.Problems & DataProblems.TooBig) != 0)
        {
            // RFC 3030 3: refuse the chunk that went over; the transaction is over.
            transaction.ChunkFailure = SmtpReply.BadSequence("The message was already refused; send RSET");
            session.State = SmtpState.Chunking;
            await session.ReplyAsync(SmtpReply.TooBig(session.Options.MaxMessageSize));
            return;
        }
        if (!last)
        {
            session.State = SmtpState.Chunking;
            await session.ReplyAsync(new SmtpReply(250, "2.0.0", $"{size} octets received"), countsAsError: false);
            return;
        }
        discipline.Finish();
        var reply = await MessageAcceptor.AcceptAsync(session, discipline.Problems, discipline.Size);
        await session.ReplyAsync(reply, countsAsError: false);
    }

    /// <summary>
    /// Reads exactly <paramref name="size"/> octets into the message buffer through
    /// <paramref name="discipline"/>, or discards them when it is null; false when the session ended first.
    /// </summary>
    private static async ValueTask<bool> ReadChunkAsync(SmtpSession session, long size, LineDiscipline? discipline)
    {
        long remaining = size;
        var rate = new DataRateGuard(session);
        while (remaining > 0)
        {
            var read = await session.ReadAsync();
            if (read is not { } result)
                return false;
            var buffer = result.Buffer;
            var take = buffer.Length > remaining ? buffer.Slice(0, remaining) : buffer;
            if (discipline is not null)
            {
                foreach (var segment in take)
                    discipline.Accept(segment.Span, session.Buffer);
            }
            remaining -= take.Length;
            if (remaining == 0)
            {
                session.Advance(take.End);
                break;
            }
            if (result.IsCompleted)
            {
                session.EndSession();
                return false;
            }
            session.WaitForMore(buffer, consumeAll: true);
            if (rate.IsTooSlow(size - remaining))
            {
                await session.CloseAsync(new SmtpReply(421, "4.4.2", $"{session.Hostname} Data arriving too slowly, closing connection"));
                return false;
            }
        }
        return true;
    }
}
