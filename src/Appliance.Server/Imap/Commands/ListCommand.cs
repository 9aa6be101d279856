// RFC 9051 section 6.3.9 (LIST, with the LIST-EXTENDED selection and return options of RFC 5258
// folded in: SUBSCRIBED, REMOTE, RECURSIVEMATCH; RETURN (SUBSCRIBED CHILDREN STATUS (...))) and 7.3.1
// (the LIST response); RFC 6154 sections 2 and 5 (special-use attributes, always returned, and the
// SPECIAL-USE selection option); RFC 5819 (LIST-STATUS); RFC 3501 section 6.3.8 for rev1 clients.
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class ListCommand
{
    private const string Syntax = "LIST [(options)] reference pattern [RETURN (options)]";

    public static void Execute(ImapSession session, ImapCommand command)
    {
        var args = command.Arguments;
        int i = 0;
        bool selectSubscribed = false, selectSpecialUse = false, recursiveMatch = false;
        // RFC 9051 6.3.9: list-select-opts = "(" [list-select-opt *(SP list-select-opt)] ")"
        if (args.Count > 0 && args[0].Kind == ImapArgumentKind.List)
        {
            foreach (var option in args[0].Items)
            {
                if (option.IsAtom("SUBSCRIBED"))
                    selectSubscribed = true;
                else if (option.IsAtom("RECURSIVEMATCH"))
                    recursiveMatch = true;
                else if (option.IsAtom("SPECIAL-USE"))
                    selectSpecialUse = true;
                else if (!option.IsAtom("REMOTE"))
                {
                    // RFC 5258 section 3: an unknown selection option is BAD.
                    session.Bad(command.Tag, "Unknown LIST selection option");
                    return;
                }
            }
            // RFC 5258 section 3: RECURSIVEMATCH alone is BAD; it qualifies another selection option.
            if (recursiveMatch && !selectSubscribed && !selectSpecialUse)
            {
                session.Bad(command.Tag, "RECURSIVEMATCH needs another selection option");
                return;
            }
            i = 1;
        }
        if (args.Count - i is not (2 or 4) || !args[i].TryGetAString(out var referenceOctets))
        {
            session.Bad(command.Tag, "Syntax: " + Syntax);
            return;
        }
        var patternArgs = args[i + 1].Kind == ImapArgumentKind.List ? args[i + 1].Items : [args[i + 1]];
        if (patternArgs.Count == 0 || patternArgs.Any(p => p.Kind is ImapArgumentKind.List))
        {
            session.Bad(command.Tag, "Syntax: " + Syntax);
            return;
        }
        bool returnSubscribed = selectSubscribed;
        List<string>? statusItems = null;
        if (args.Count - i == 4)
        {
            if (!args[i + 2].IsAtom("RETURN") || args[i + 3].Kind != ImapArgumentKind.List)
            {
                session.Bad(command.Tag, "Syntax: " + Syntax);
                return;
            }
            var options = args[i + 3].Items;
            for (int k = 0; k < options.Count; k++)
            {
                if (options[k].IsAtom("SUBSCRIBED"))
                    returnSubscribed = true;
                else if (options[k].IsAtom("STATUS") && k + 1 < options.Count && options[k + 1].Kind == ImapArgumentKind.List)
                {
                    // RFC 5819 section 2: RETURN (STATUS (status-att ...)).
                    if (!StatusCommand.TryParseItems(options[++k], out statusItems))
                    {
                        session.Bad(command.Tag, "Unknown STATUS item");
                        return;
                    }
                }
                // CHILDREN and SPECIAL-USE: \HasChildren/\HasNoChildren and special-use attributes are always returned.
                else if (!options[k].IsAtom("CHILDREN") && !options[k].IsAtom("SPECIAL-USE"))
                {
                    session.Bad(command.Tag, "Unknown LIST return option");
                    return;
                }
            }
        }

        var writer = session.Respond();
        if (!ImapMailboxes.TryDecode(session, referenceOctets, out string reference, out _))
        {
            // A reference that is no name of ours matches nothing.
            session.Ok(command.Tag, "LIST completed");
            return;
        }
        // RFC 9051 6.3.9: LIST "" "" returns the hierarchy delimiter and the root name.
        if (i == 0 && patternArgs.Count == 1 && patternArgs[0].Kind == ImapArgumentKind.String && patternArgs[0].Bytes.Length == 0)
        {
            writer.Untagged().Atom("LIST").Atom(@"(\Noselect)").String(ImapMailboxes.Delimiter).String("").EndLine();
            session.Ok(command.Tag, "LIST completed");
            return;
        }
        var patterns = new List<ListPattern>();
        foreach (var p in patternArgs)
        {
            if (ImapMailboxes.TryDecode(session, p.Bytes, out string text, out _))
                patterns.Add(ListPattern.Create(reference, text));
        }

        var mailboxes = session.Account!.ListMailboxes();
        bool Meets(MailboxInfo m) => (!selectSubscribed || m.Subscribed) && (!selectSpecialUse || m.SpecialUse != SpecialUse.None);
        // Superiors of every mailbox, and of those meeting the selection criteria: one pass, not a scan per mailbox.
        var parents = new HashSet<string>(StringComparer.Ordinal);
        var parentsOfSelected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mailbox in mailboxes)
        {
            bool meets = recursiveMatch && Meets(mailbox);
            for (int slash = mailbox.Name.IndexOf('/'); slash >= 0; slash = mailbox.Name.IndexOf('/', slash + 1))
            {
                parents.Add(mailbox.Name[..slash]);
                if (meets)
                    parentsOfSelected.Add(mailbox.Name[..slash]);
            }
        }
        foreach (var mailbox in mailboxes)
        {
            if (!patterns.Any(p => p.Matches(mailbox.Name)))
                continue;
            // RFC 5258 section 3.5 (CHILDINFO) and the table in RFC 9051 6.3.9: with RECURSIVEMATCH a
            // mailbox with an inferior that meets the selection criteria is returned (even when it does
            // not meet them itself) with CHILDINFO naming them.
            bool childSelected = parentsOfSelected.Contains(mailbox.Name);
            if (!Meets(mailbox) && !childSelected)
                continue;
            var attributes = new List<string>
            {
                parents.Contains(mailbox.Name) ? @"\HasChildren" : @"\HasNoChildren",
            };
            if (ImapMailboxes.SpecialUseAttribute(mailbox.SpecialUse) is { } use)
                attributes.Add(use);
            if (returnSubscribed && mailbox.Subscribed)
                attributes.Add(@"\Subscribed");
            writer.Untagged().Atom("LIST").Atom("(" + string.Join(' ', attributes) + ")")
                .String(ImapMailboxes.Delimiter).AString(ImapMailboxes.Encode(session, mailbox.Name));
            if (childSelected)
            {
                writer.BeginList().String("CHILDINFO").BeginList();
                if (selectSubscribed)
                    writer.String("SUBSCRIBED");
                if (selectSpecialUse)
                    writer.String("SPECIAL-USE");
                writer.EndList().EndList();
            }
            writer.EndLine();
            if (statusItems is not null)
                StatusCommand.WriteStatus(session, mailbox, statusItems);
        }
        session.Ok(command.Tag, "LIST completed");
    }

    /// <summary>RFC 9051 5.1: "/" separates levels; a name's inferiors start with it and the delimiter.</summary>
    internal static bool IsInferior(string candidate, string superior) =>
        candidate.Length > superior.Length + 1 && candidate[superior.Length] == '/' && candidate.StartsWith(superior, StringComparison.Ordinal);
}
