// RFC 9051 section 6.2.1 (STARTTLS: tagged OK, then the TLS negotiation; the client must discard
// the capabilities it knew, and the server any cleartext that followed the command: the upgrader
// throws away pipelined bytes, the CVE-2011-0411 injection). RFC 8314 for implicit TLS on 993.
namespace Appliance.Server.Imap.Commands;

internal static class StartTlsCommand
{
    public static async ValueTask ExecuteAsync(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: STARTTLS takes no arguments");
            return;
        }
        if (session.Connection.IsSecure)
        {
            session.Bad(command.Tag, "TLS is already active");
            return;
        }
        await session.FlushAsync();
        var result = await session.Connection.StartTlsAsync(System.Text.Encoding.ASCII.GetBytes($"{command.Tag} OK Begin TLS negotiation now\r\n"));
        if (!result.Succeeded)
        {
            session.EndSession();
            return;
        }
        session.ResetAfterTls();
    }
}
