// RFC 9051 section 6.3.4 (CREATE: missing superiors are created; a trailing hierarchy delimiter
// means the name without it); RFC 6154 section 3 (CREATE-SPECIAL-USE: CREATE name (USE (\Drafts)),
// NO [USEATTR] for a use this server cannot give); RFC 3501 section 6.3.3 for rev1 clients.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class CreateCommand
{
    private const string Syntax = "CREATE mailbox [(USE (attribute))]";

    public static void Execute(ImapSession session, ImapCommand command)
    {
        var args = command.Arguments;
        if (args.Count is not (1 or 2))
        {
            session.Bad(command.Tag, "Syntax: " + Syntax);
            return;
        }
        var use = SpecialUse.None;
        if (args.Count == 2)
        {
            // create-params = "(" create-param *(SP create-param) ")"; RFC 6154: create-param =/ "USE" SP "(" [use-attr *(SP use-attr)] ")"
            var parameters = args[1].Items;
            if (args[1].Kind != ImapArgumentKind.List || parameters.Count != 2 || !parameters[0].IsAtom("USE") || parameters[1].Kind != ImapArgumentKind.List
                || parameters[1].Items.Any(a => a.Kind != ImapArgumentKind.Atom))
            {
                session.Bad(command.Tag, "Syntax: " + Syntax);
                return;
            }
            var attributes = parameters[1].Items;
            if (attributes.Count > 1 || attributes.Count == 1 && ImapMailboxes.ParseSpecialUse(attributes[0].Text) is null)
            {
                session.No(command.Tag, "USEATTR", "Only one of \\Drafts \\Sent \\Trash \\Junk \\Archive can be given");
                return;
            }
            if (attributes.Count == 1)
                use = ImapMailboxes.ParseSpecialUse(attributes[0].Text)!.Value;
        }
        if (!ImapMailboxes.TryGetName(session, command, args[0], Syntax, out string name))
            return;
        // RFC 9051 6.3.4: "foo/" creates "foo" (only one delimiter is taken off; the store refuses the rest).
        if (name.Length > 1 && name.EndsWith('/'))
            name = name[..^1];
        try
        {
            session.Account!.CreateMailbox(name, use);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        session.Ok(command.Tag, "CREATE completed");
    }
}
