// RFC 3501 section 6.3.9 (LSUB) and 7.2.3 (the LSUB response), for IMAP4rev1 clients; RFC 9051
// appendix E.3 deprecates it in favour of LIST (SUBSCRIBED) but servers keep it for rev1 clients.
namespace Appliance.Server.Imap.Commands;

internal static class LsubCommand
{
    public static void Execute(ImapSession session, ImapCommand command)
    {
        var args = command.Arguments;
        if (args.Count != 2 || !args[0].TryGetAString(out var referenceOctets) || args[1].Kind == ImapArgumentKind.List)
        {
            session.Bad(command.Tag, "Syntax: LSUB reference pattern");
            return;
        }
        if (!ImapMailboxes.TryDecode(session, referenceOctets, out string reference, out _)
            || !ImapMailboxes.TryDecode(session, args[1].Bytes, out string text, out _))
        {
            session.Ok(command.Tag, "LSUB completed");
            return;
        }
        var pattern = ListPattern.Create(reference, text);
        var mailboxes = session.Account!.ListMailboxes();
        var writer = session.Respond();
        foreach (var mailbox in mailboxes)
        {
            string? attributes = null;
            if (mailbox.Subscribed && pattern.Matches(mailbox.Name))
                attributes = "()";
            // RFC 3501 6.3.9: when "foo/bar" is subscribed but "foo" is not, "%" returns "foo" with \Noselect.
            else if (!mailbox.Subscribed && pattern.Matches(mailbox.Name)
                && mailboxes.Any(m => m.Subscribed && ListCommand.IsInferior(m.Name, mailbox.Name) && !pattern.Matches(m.Name)))
                attributes = @"(\Noselect)";
            if (attributes is null)
                continue;
            writer.Untagged().Atom("LSUB").Atom(attributes).String(ImapMailboxes.Delimiter)
                .AString(ImapMailboxes.Encode(session, mailbox.Name)).EndLine();
        }
        session.Ok(command.Tag, "LSUB completed");
    }
}
