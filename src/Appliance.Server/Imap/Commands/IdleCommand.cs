// RFC 2177 (IDLE) and RFC 9051 section 6.3.13: "+ idling" continuation, then mailbox changes as they
// happen until the client sends DONE (anything else ends IDLE with BAD); in the authenticated state
// there is nothing to report, but IDLE still works (RFC 9051 allows it in both states). The waiting,
// the keepalive ("* OK Still here", ImapServerOptions.IdleKeepaliveInterval) and the autologout are
// ImapSession.ReadLineReportingChangesAsync.
namespace Appliance.Server.Imap.Commands;

internal static class IdleCommand
{
    public static async Task ExecuteAsync(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: IDLE takes no arguments");
            return;
        }
        // Pending changes go out before the continuation, so the client has the state it idles on.
        session.ReportChanges(expungesAllowed: true);
        if (session.State == ImapState.Logout)
            return; // the selected mailbox was deleted: BYE was said
        session.Respond().Continuation("idling");
        string? line = await session.ReadLineReportingChangesAsync();
        if (line is null)
            return; // the session ended (autologout, shutdown, the client went away, or the mailbox was deleted)
        if (line.Equals("DONE", StringComparison.OrdinalIgnoreCase))
            session.Ok(command.Tag, "IDLE terminated");
        else
            session.Bad(command.Tag, "IDLE ends with DONE");
    }
}
