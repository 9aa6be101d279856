using System.Text;

namespace Appliance.Server.Listeners;

/// <summary>
/// The replies the listener plumbing sends on the engines' behalf, in one place: refusing a
/// connection, ending an idle session, saying goodbye at shutdown.
/// </summary>
internal static class MailReplies
{
    /// <summary>
    /// Over the per-address limit. SMTP 421 with 4.7.0 (RFC 3463 security/policy, temporary) so the
    /// client retries later; IMAP BYE with UNAVAILABLE (RFC 9051 section 7.1); POP3 -ERR with
    /// SYS/TEMP (RFC 3206: a temporary problem on our side, not the user's credentials).
    /// </summary>
    public static byte[] TooManyConnections(MailProtocol protocol, string hostname) => Encode(protocol switch
    {
        MailProtocol.Smtp => $"421 4.7.0 {hostname} Too many connections from your address, try again later\r\n",
        MailProtocol.Imap => "* BYE [UNAVAILABLE] Too many connections from your address, try again later\r\n",
        _ => "-ERR [SYS/TEMP] Too many connections from your address, try again later\r\n",
    });

    /// <summary>
    /// Idle too long. SMTP 421 with 4.4.2 (RFC 3463 "bad connection"; RFC 5321 3.8 lets a server
    /// close with 421); IMAP's autologout BYE (RFC 9051 5.4); POP3 ends without entering the UPDATE
    /// state, so nothing is deleted (RFC 1939 section 3).
    /// </summary>
    public static byte[] IdleTimeout(MailProtocol protocol, string hostname) => Encode(protocol switch
    {
        MailProtocol.Smtp => $"421 4.4.2 {hostname} Idle timeout, closing connection\r\n",
        MailProtocol.Imap => "* BYE Autologout; idle for too long\r\n",
        _ => "-ERR Autologout; idle for too long\r\n",
    });

    /// <summary>
    /// The server is stopping. SMTP 421 with 4.3.2 (RFC 3463 "system not accepting network
    /// messages"; RFC 5321 3.8); IMAP BYE with UNAVAILABLE; POP3 -ERR with SYS/TEMP.
    /// </summary>
    public static byte[] ShuttingDown(MailProtocol protocol, string hostname) => Encode(protocol switch
    {
        MailProtocol.Smtp => $"421 4.3.2 {hostname} Service shutting down, closing connection\r\n",
        MailProtocol.Imap => "* BYE [UNAVAILABLE] Server shutting down\r\n",
        _ => "-ERR [SYS/TEMP] Server shutting down\r\n",
    });

    public static byte[] Encode(string reply) => Encoding.ASCII.GetBytes(reply);
}
