// RFC 9051 section 6.1.1 (CAPABILITY) and 7.2.2 (the CAPABILITY response); RFC 3501 6.1.1 for rev1.
// Only what this server really does is listed: RFC 9051 6.2.3 (LOGINDISABLED before TLS), RFC 9051
// 6.2.1 (STARTTLS, not after TLS), RFC 4616/4959 (AUTH=PLAIN, SASL-IR), RFC 2971 (ID), RFC 5161
// (ENABLE), RFC 7888 (LITERAL- before login, LITERAL+ after), RFC 2342 (NAMESPACE), RFC 6855 (UTF8=ACCEPT),
// RFC 5258 (LIST-EXTENDED), RFC 5819 (LIST-STATUS), RFC 6154 (SPECIAL-USE, CREATE-SPECIAL-USE), RFC 8438 (STATUS=SIZE),
// and after login the extensions of the selected state listed below.
namespace Appliance.Server.Imap.Commands;

internal static class CapabilityCommand
{
    public const string Imap4Rev2 = "IMAP4rev2";
    public const string Utf8Accept = "UTF8=ACCEPT";

    /// <summary>The capabilities in the session's current state (they change at STARTTLS and at login).</summary>
    public static string List(ImapSession session)
    {
        var list = new List<string> { Imap4Rev2, "IMAP4rev1" };
        if (session.State == ImapState.NotAuthenticated)
        {
            if (!session.Connection.IsSecure)
                list.AddRange(["STARTTLS", "LOGINDISABLED"]);
            else
                list.Add("AUTH=PLAIN");
            list.Add("SASL-IR");
        }
        list.AddRange(["ID", "ENABLE"]);
        // RFC 7888 section 4: before login a {n+} over 4096 octets is refused (LITERAL-); after login
        // non-synchronizing literals go up to the literal limit (LITERAL+, section 3).
        list.Add(session.State == ImapState.NotAuthenticated ? "LITERAL-" : "LITERAL+");
        list.Add("NAMESPACE");
        // Mailbox commands exist after login only: RFC 5258 LIST-EXTENDED, RFC 5819 LIST-STATUS, RFC 6154
        // SPECIAL-USE and CREATE-SPECIAL-USE, RFC 8438 STATUS=SIZE.
        if (session.State != ImapState.NotAuthenticated)
        {
            list.AddRange(["LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE", "STATUS=SIZE"]);
            // RFC 2177 IDLE, RFC 3691 UNSELECT, RFC 4315 UIDPLUS, RFC 6851 MOVE, RFC 7162 CONDSTORE and
            // QRESYNC, RFC 4731 ESEARCH, RFC 5182 SEARCHRES, RFC 5256 SORT and THREAD, RFC 5957
            // SORT=DISPLAY, RFC 9208 QUOTA with the STORAGE resource, RFC 3516 BINARY, RFC 7889 APPENDLIMIT (the
            // literal limit: larger messages get TOOBIG before they are sent).
            list.AddRange(["IDLE", "UNSELECT", "UIDPLUS", "MOVE", "CONDSTORE", "QRESYNC", "ESEARCH", "SEARCHRES",
                "SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "QUOTA", "QUOTA=RES-STORAGE",
                "BINARY", "APPENDLIMIT=" + session.Options.MaxLiteralSize.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        list.Add(Utf8Accept);
        return string.Join(' ', list);
    }

    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: CAPABILITY takes no arguments");
            return;
        }
        var writer = session.Respond().Untagged().Atom("CAPABILITY");
        foreach (string capability in List(session).Split(' '))
            writer.Atom(capability);
        writer.EndLine();
        session.Ok(command.Tag, "CAPABILITY completed");
    }
}
