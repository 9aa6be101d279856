// RFC 2342 section 5 (NAMESPACE) and RFC 9051 section 6.3.10 / 7.3.5: one personal namespace with
// the empty prefix and "/" as hierarchy delimiter; no other users' or shared namespaces.
namespace Appliance.Server.Imap.Commands;

internal static class NamespaceCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        if (command.Arguments.Count > 0)
        {
            session.Bad(command.Tag, "Syntax: NAMESPACE takes no arguments");
            return;
        }
        // * NAMESPACE (("" "/")) NIL NIL
        session.Respond().Untagged().Atom("NAMESPACE")
            .BeginList().BeginList().String("").String("/").EndList().EndList()
            .Nil().Nil().EndLine();
        session.Ok(command.Tag, "NAMESPACE completed");
    }
}
