// RFC 9051 section 6.2.2 (AUTHENTICATE: "+ " continuations carrying base64, "*" cancels with BAD,
// invalid base64 is BAD, a failure NO); RFC 4959 (SASL-IR: the initial response on the command line,
// "=" for an empty one); RFC 4616 (PLAIN: [authzid] NUL authcid NUL passwd); RFC 5530
// (AUTHENTICATIONFAILED, AUTHORIZATIONFAILED, PRIVACYREQUIRED).
using System.Text;

namespace Appliance.Server.Imap.Commands;

internal static class AuthenticateCommand
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static async ValueTask ExecuteAsync(ImapSession session, ImapCommand command)
    {
        var arguments = command.Arguments;
        if (arguments.Count is < 1 or > 2
            || arguments[0].Kind != ImapArgumentKind.Atom
            || arguments.Count == 2 && arguments[1].Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number))
        {
            session.Bad(command.Tag, "Syntax: AUTHENTICATE mechanism [initial-response]");
            return;
        }
        if (!session.LoginAllowed)
        {
            session.No(command.Tag, "PRIVACYREQUIRED", "Authentication is not allowed without TLS; use STARTTLS first");
            return;
        }
        if (!arguments[0].IsAtom("PLAIN"))
        {
            session.No(command.Tag, null, "Unsupported authentication mechanism; use PLAIN");
            return;
        }
        string? response = arguments.Count == 2 ? arguments[1].Text : null;
        if (response is null)
        {
            // RFC 4616 section 2: PLAIN has no challenge; the continuation is "+" SP with empty base64.
            await session.Connection.Output.WriteAsync("+ \r\n"u8.ToArray());
            response = await session.ReadContinuationLineAsync(command.Tag);
            if (response is null)
                return;
            if (response == "*")
            {
                session.Bad(command.Tag, "Authentication cancelled", countsAsError: false);
                return;
            }
        }
        byte[] decoded;
        try
        {
            decoded = response == "=" ? [] : Convert.FromBase64String(response);
        }
        catch (FormatException)
        {
            session.Bad(command.Tag, "Invalid base64 in the response");
            return;
        }
        string[] fields;
        try
        {
            fields = StrictUtf8.GetString(decoded).Split('\0');
        }
        catch (DecoderFallbackException)
        {
            session.Bad(command.Tag, "The PLAIN response must be UTF-8");
            return;
        }
        if (fields.Length != 3 || fields[1].Length == 0)
        {
            session.Bad(command.Tag, "Malformed PLAIN response");
            return;
        }
        if (fields[0].Length > 0 && !fields[0].Equals(fields[1], StringComparison.OrdinalIgnoreCase))
        {
            session.No(command.Tag, "AUTHORIZATIONFAILED", "Cannot act as another user");
            return;
        }
        await ImapLogin.LoginAsync(session, command.Tag, fields[1], fields[2]);
    }
}
