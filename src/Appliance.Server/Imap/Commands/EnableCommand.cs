// RFC 5161 (ENABLE): section 3.1 (ENABLE capability..., authenticated state only), 3.2 (the ENABLED
// response lists what this command enabled, and is sent even when that is nothing); RFC 9051 6.3.1
// (ENABLE IMAP4rev2); RFC 6855 section 3 (ENABLE UTF8=ACCEPT); RFC 7162 section 3.1 (ENABLE CONDSTORE)
// and 3.2.3 (ENABLE QRESYNC, which turns CONDSTORE on too; ENABLED lists QRESYNC).
namespace Appliance.Server.Imap.Commands;

internal static class EnableCommand
{
    /// <summary>What ENABLE can turn on; each only while it is also advertised (CapabilityCommand.List).</summary>
    private static readonly string[] Enableable = [CapabilityCommand.Imap4Rev2, CapabilityCommand.Utf8Accept, "CONDSTORE", QResync];

    private const string QResync = "QRESYNC";

    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count == 0 || command.Arguments.Any(a => a.Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number)))
        {
            session.Bad(command.Tag, "Syntax: ENABLE capability ...");
            return;
        }
        if (session.HasSelected)
        {
            // RFC 5161 3.1: "before any mailbox is selected"; after a CLOSE the state allows it, this does not.
            session.Bad(command.Tag, "ENABLE is not allowed after a mailbox was selected");
            return;
        }
        var advertised = CapabilityCommand.List(session).Split(' ').ToHashSet(StringComparer.OrdinalIgnoreCase);
        var writer = session.Respond().Untagged().Atom("ENABLED");
        foreach (var argument in command.Arguments)
        {
            // Unknown and unadvertised names are ignored (RFC 5161 3.1); each is reported once, when enabled.
            string? name = Enableable.FirstOrDefault(e => argument.IsAtom(e));
            if (name is not null && advertised.Contains(name) && session.Enabled.Add(name))
                writer.Atom(name);
        }
        writer.EndLine();
        session.Ok(command.Tag, "ENABLE completed");
    }
}
