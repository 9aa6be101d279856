// RFC 2971 (ID): section 3.1 (ID NIL or a list of field-value pairs, any state), 3.2 (the server's
// "* ID" response), 3.3 (at most 30 pairs, fields up to 30 octets, values up to 1024).
using System.Text;
using Microsoft.Extensions.Logging;

namespace Appliance.Server.Imap.Commands;

internal static partial class IdCommand
{
    private const int MaxPairs = 30, MaxFieldLength = 30, MaxValueLength = 1024;

    /// <summary>The server's version as the ID response gives it: the assembly version.</summary>
    public static string Version { get; } = typeof(IdCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count != 1 || !TryReadParameters(command.Arguments[0], out var parameters))
        {
            session.Bad(command.Tag, "Syntax: ID NIL or ID (field value ...)");
            return;
        }
        if (parameters.Count > 0)
            LogClient(session.Logger, Field(parameters, "name") ?? "-", Field(parameters, "version") ?? "-");
        session.Respond().Untagged().Atom("ID")
            .BeginList().String("name").String("Appliance").String("version").String(Version).EndList()
            .EndLine();
        session.Ok(command.Tag, "ID completed");
    }

    private static bool TryReadParameters(ImapArgument argument, out List<(string Field, string? Value)> parameters)
    {
        parameters = [];
        if (argument.Kind == ImapArgumentKind.Nil)
            return true;
        var items = argument.Items;
        if (argument.Kind != ImapArgumentKind.List || items.Count % 2 != 0 || items.Count / 2 > MaxPairs)
            return false;
        for (int i = 0; i < items.Count; i += 2)
        {
            if (items[i].Kind != ImapArgumentKind.String || items[i].Length > MaxFieldLength
                || !items[i + 1].TryGetNString(out var value) || value is { Length: > MaxValueLength })
                return false;
            parameters.Add((Encoding.UTF8.GetString(items[i].Bytes), value is null ? null : Encoding.UTF8.GetString(value)));
        }
        return true;
    }

    private static string? Field(List<(string Field, string? Value)> parameters, string name) =>
        parameters.FirstOrDefault(p => p.Field.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    [LoggerMessage(EventId = 5320, Level = LogLevel.Information, Message = "IMAP client identifies as {Name} {Version}")]
    private static partial void LogClient(ILogger logger, string name, string version);
}
