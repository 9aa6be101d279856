// RFC 5034 (POP3 SASL): section 4 (AUTH mechanism [initial-response], "+ " continuations, "*"
// cancels); RFC 4616 (PLAIN); AUTH without a mechanism lists them (as RFC 1734 clients expect).
using System.Text;

namespace Appliance.Server.Pop3;

internal static class AuthCommand
{
    public static async ValueTask ExecuteAsync(Pop3Session session, string argument)
    {
        var parts = argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0)
        {
            await session.WriteLineAsync("+OK Mechanisms follow");
            if (session.LoginAllowed)
                await session.WriteLineAsync("PLAIN");
            await session.WriteLineAsync(".");
            return;
        }
        if (!session.LoginAllowed)
        {
            await session.ErrorAsync("[AUTH] Authentication is not allowed without TLS; use STLS first");
            return;
        }
        if (!parts[0].Equals("PLAIN", StringComparison.OrdinalIgnoreCase) || parts.Length > 2)
        {
            await session.ErrorAsync("Unsupported mechanism; use PLAIN");
            return;
        }
        string? response = parts.Length == 2 ? parts[1] : null;
        if (response is null)
        {
            await session.WriteLineAsync("+ ");
            response = await session.ReadContinuationLineAsync();
            if (response is null)
                return;
            if (response == "*")
            {
                await session.ErrorAsync("Authentication cancelled");
                return;
            }
        }
        string decoded;
        try
        {
            decoded = response == "=" ? "" : new UTF8Encoding(false, true).GetString(Convert.FromBase64String(response));
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            await session.ErrorAsync("Cannot decode the response (base64 of UTF-8 expected)");
            return;
        }
        var fields = decoded.Split('\0');
        if (fields.Length != 3 || fields[1].Length == 0 || fields[0].Length > 0 && !fields[0].Equals(fields[1], StringComparison.OrdinalIgnoreCase))
        {
            await session.ErrorAsync("[AUTH] Malformed PLAIN response, or an authorization identity other than the user");
            return;
        }
        await Pop3Login.LoginAsync(session, fields[1], fields[2]);
    }
}
