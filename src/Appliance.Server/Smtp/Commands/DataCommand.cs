// RFC 5321 section 4.1.1.4 (DATA: 354, then the message, ended by CRLF.CRLF), 3.3 (554 without
// valid recipients), 4.5.3.2 (timeouts).
using Appliance.Server.Listeners;

namespace Appliance.Server.Smtp;

internal static class DataCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        if (argument.Trim().Length > 0)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: DATA (no arguments)"));
            return;
        }
        if (session.State != SmtpState.RecipientGiven)
        {
            await session.ReplyAsync(new SmtpReply(554, "5.5.1", "No valid recipients"));
            return;
        }

        await session.ReplyAsync(new SmtpReply(354, null, "End data with <CR><LF>.<CR><LF>"));
        var reader = new DotStuffedDataReader(session.Options.MaxTextLineLength, session.Options.MaxMessageSize);
        var rate = new DataRateGuard(session);
        session.Buffer.Clear();
        while (true)
        {
            var read = await session.ReadAsync();
            if (read is not { } result)
                return;
            var buffer = result.Buffer;
            bool ended = reader.Process(buffer, session.Buffer, out var consumed);
            if (ended)
            {
                session.Advance(consumed);
                break;
            }
            if (result.IsCompleted)
            {
                // The client closed in the middle of the message: nothing was acknowledged.
                session.EndSession();
                return;
            }
            session.WaitForMore(buffer, consumeAll: true);
            if (rate.IsTooSlow(reader.Size))
            {
                await session.CloseAsync(new SmtpReply(421, "4.4.2", $"{session.Hostname} Data arriving too slowly, closing connection"));
                return;
            }
        }

        var reply = await MessageAcceptor.AcceptAsync(session, reader.Problems, reader.Size);
        await session.ReplyAsync(reply, countsAsError: false);
    }
}

/// <summary>
/// <see cref="SmtpServerOptions.MinimumDataRate"/>: after a grace period, a message must arrive at
/// least that fast on average, or the session ends (a slow-loris client holds a connection and a
/// buffer otherwise).
/// </summary>
internal sealed class DataRateGuard(SmtpSession session)
{
    private readonly long _start = session.Engine.Time.GetTimestamp();

    public bool IsTooSlow(long octets)
    {
        int minimum = session.Options.MinimumDataRate;
        if (minimum <= 0)
            return false;
        var elapsed = session.Engine.Time.GetElapsedTime(_start);
        if (elapsed < session.Options.DataRateGracePeriod)
            return false;
        return octets / elapsed.TotalSeconds < minimum;
    }
}
