// RFC 3207 (STARTTLS): section 4 (no arguments, 220 then handshake), 4.2 (after TLS the server
// discards all knowledge from the client: back to the state after the greeting).
using Appliance.Server.Listeners;

namespace Appliance.Server.Smtp;

internal static class StartTlsCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument)
    {
        if (argument.Trim().Length > 0)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError("Syntax: STARTTLS (no arguments)"));
            return;
        }
        if (session.Connection.IsSecure)
        {
            await session.ReplyAsync(SmtpReply.BadSequence("TLS is already active"));
            return;
        }
        // Pending replies go out before the ready reply, in order.
        await session.FlushAsync();
        var result = await session.Connection.StartTlsAsync(new SmtpReply(220, "2.0.0", "Ready to start TLS").Encode());
        if (!result.Succeeded)
        {
            session.EndSession();
            return;
        }
        // RFC 3207 4.2: forget HELO, the transaction and anything else learnt in cleartext.
        session.ResetTransaction();
        session.HeloName = null;
        session.Extended = false;
        session.User = null;
        session.State = SmtpState.Connected;
        session.MarkInputAfterTls();
    }
}
