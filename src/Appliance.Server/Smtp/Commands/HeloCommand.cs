// RFC 5321 section 4.1.1.1 (EHLO/HELO), 4.1.4 (EHLO resets the transaction); the keywords are
// those of RFC 2920 (PIPELINING), 1870 (SIZE), 6152 (8BITMIME), 6531 (SMTPUTF8), 2034
// (ENHANCEDSTATUSCODES), 3030 (CHUNKING), 3461 (DSN), 3207 (STARTTLS), 4954 (AUTH).
namespace Appliance.Server.Smtp;

internal static class HeloCommand
{
    public static async ValueTask ExecuteAsync(SmtpSession session, string argument, bool extended)
    {
        string name = argument.Trim();
        string verb = extended ? "EHLO" : "HELO";
        if (name.Length == 0)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError($"Syntax: {verb} hostname"));
            return;
        }
        // The name goes into our Received header: no spaces, no control characters (a bare CR
        // inside a command line would otherwise be a header-injection tool).
        if (name.Contains(' ') || name.Any(char.IsControl) || name.Length > SmtpPathParser.MaxDomainLength)
        {
            await session.ReplyAsync(SmtpReply.SyntaxError($"Syntax: {verb} hostname (one domain or address literal)"));
            return;
        }

        session.HeloName = name;
        session.Extended = extended;
        session.ResetTransaction();
        session.State = SmtpState.Ready;

        string greeting = $"{session.Hostname} Hello {name} [{session.ClientAddress}]";
        if (!extended)
        {
            await session.ReplyAsync(new SmtpReply(250, null, greeting));
            return;
        }
        var lines = new List<string>
        {
            greeting,
            "PIPELINING",
            $"SIZE {session.Options.MaxMessageSize}",
            "8BITMIME",
            "SMTPUTF8",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "DSN",
        };
        if (!session.Connection.IsSecure)
            lines.Add("STARTTLS");
        if (session.AuthAvailable)
            lines.Add("AUTH PLAIN LOGIN");
        lines.Add("HELP");
        // RFC 2034 section 4: no enhanced codes in the EHLO reply.
        await session.ReplyAsync(new SmtpReply(250, null, string.Join('\n', lines)));
    }
}
