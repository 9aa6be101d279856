// RFC 9051 section 6.4.5 (FETCH: data items and the macros ALL, FAST, FULL) and section 9 (fetch,
// fetch-att); RFC 3501 section 6.4.5 (RFC822, RFC822.HEADER, RFC822.TEXT, kept by RFC 9051 as
// deprecated items); RFC 3516 section 4 (BINARY, BINARY.PEEK, BINARY.SIZE); RFC 4466 section 2.4
// (fetch-modifiers after the items); RFC 7162 section 3.1.4.1 (CHANGEDSINCE), 3.1.5 (MODSEQ item)
// and 3.2.6 (VANISHED).
namespace Appliance.Server.Imap.Fetch;

/// <summary>What a FETCH data item asks for.</summary>
internal enum FetchItemKind
{
    Flags,
    Uid,
    InternalDate,
    Rfc822Size,
    Envelope,
    BodyStructure,
    /// <summary>BODY without a section: the non-extensible BODYSTRUCTURE.</summary>
    Body,
    ModSeq,
    /// <summary>BODY[...], BODY.PEEK[...], BINARY[...], BINARY.PEEK[...], BINARY.SIZE[...], RFC822, RFC822.HEADER, RFC822.TEXT.</summary>
    Section,
}

/// <summary>One requested data item; sections carry their parsed <see cref="FetchSection"/>.</summary>
/// <param name="ResponseName">For the RFC 3501 items (RFC822, RFC822.HEADER, RFC822.TEXT): the name the response uses instead of BODY[...].</param>
internal sealed record FetchItem(FetchItemKind Kind, FetchSection? Section = null, string? ResponseName = null)
{
    /// <summary>
    /// RFC 9051 6.4.5: BODY[...] and BINARY[...] set \Seen, their .PEEK forms do not; RFC822 and
    /// RFC822.TEXT are BODY[] and BODY[TEXT] (RFC 3501 6.4.5), RFC822.HEADER is BODY.PEEK[HEADER].
    /// </summary>
    public bool SetsSeen => Section is { IsPeek: false } section && section.Name != "BINARY.SIZE";
}

/// <summary>A FETCH or UID FETCH command taken apart: the set, the items and the modifiers.</summary>
internal sealed class FetchRequest
{
    private FetchRequest(SequenceSet set, IReadOnlyList<FetchItem> items, ulong? changedSince, bool vanished)
    {
        Set = set;
        Items = items;
        ChangedSince = changedSince;
        Vanished = vanished;
    }

    public SequenceSet Set { get; }

    /// <summary>The items in the order asked, each once.</summary>
    public IReadOnlyList<FetchItem> Items { get; }

    /// <summary>RFC 7162 3.1.4.1: only messages whose MODSEQ is above this are fetched.</summary>
    public ulong? ChangedSince { get; }

    /// <summary>RFC 7162 3.2.6: UID FETCH ... (CHANGEDSINCE n VANISHED) also reports expunged UIDs.</summary>
    public bool Vanished { get; }

    public bool Has(FetchItemKind kind) => Items.Any(i => i.Kind == kind);

    public bool SetsSeen => Items.Any(i => i.SetsSeen);

    public const string Syntax = "Syntax: FETCH sequence-set (item ...) [(CHANGEDSINCE modseq [VANISHED])]";

    /// <summary>
    /// Parses the arguments of FETCH (after the UID prefix). False with a text for BAD: RFC 9051
    /// section 6.4.5 "BAD - command unknown or arguments invalid".
    /// </summary>
    public static bool TryParse(IReadOnlyList<ImapArgument> args, bool byUid, out FetchRequest request, out string error)
    {
        request = null!;
        error = Syntax;
        if (args.Count is < 2 or > 3 || args[0].Kind is not (ImapArgumentKind.Atom or ImapArgumentKind.Number))
            return false;
        if (!SequenceSet.TryParse(args[0].Bytes, out var set))
        {
            error = "Invalid sequence set " + args[0].Text;
            return false;
        }
        var items = new List<FetchItem>();
        var spec = args[1];
        if (spec.Kind == ImapArgumentKind.List)
        {
            // fetch = "FETCH" SP sequence-set SP ("ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")")
            if (spec.Items.Count == 0)
            {
                error = "FETCH needs at least one data item";
                return false;
            }
            foreach (var item in spec.Items)
            {
                if (!TryItem(item, items, out error))
                    return false;
            }
        }
        else if (spec.Kind == ImapArgumentKind.Atom && Macro(spec.Text) is { } macro)
        {
            items.AddRange(macro);
        }
        else if (!TryItem(spec, items, out error))
        {
            return false;
        }

        ulong? changedSince = null;
        bool vanished = false;
        if (args.Count == 3)
        {
            // RFC 4466 2.4: fetch-modifiers = SP "(" fetch-modifier *(SP fetch-modifier) ")"
            var modifiers = args[2];
            if (modifiers.Kind != ImapArgumentKind.List || modifiers.Items.Count == 0)
            {
                error = Syntax;
                return false;
            }
            for (int i = 0; i < modifiers.Items.Count; i++)
            {
                var modifier = modifiers.Items[i];
                if (modifier.IsAtom("CHANGEDSINCE") && changedSince is null)
                {
                    // RFC 7162 3.1.4.1: "CHANGEDSINCE" SP mod-sequence-value. Zero is taken as "every
                    // message" (as Dovecot does) rather than refused, since it means nothing else.
                    if (i + 1 >= modifiers.Items.Count || modifiers.Items[i + 1].Kind != ImapArgumentKind.Number)
                    {
                        error = "CHANGEDSINCE needs a mod-sequence value";
                        return false;
                    }
                    changedSince = (ulong)modifiers.Items[++i].Number;
                }
                else if (modifier.IsAtom("VANISHED") && !vanished)
                {
                    vanished = true;
                }
                else
                {
                    error = "Unknown FETCH modifier " + modifier;
                    return false;
                }
            }
            if (vanished && (!byUid || changedSince is null))
            {
                // RFC 7162 3.2.6: VANISHED only in UID FETCH, and only together with CHANGEDSINCE.
                error = byUid ? "VANISHED needs CHANGEDSINCE" : "VANISHED is only allowed in UID FETCH";
                return false;
            }
        }
        request = new FetchRequest(set, items, changedSince, vanished);
        return true;
    }

    /// <summary>RFC 9051 6.4.5 macros; they stand alone, never inside a list.</summary>
    private static FetchItem[]? Macro(string name) => name.ToUpperInvariant() switch
    {
        "ALL" => [new(FetchItemKind.Flags), new(FetchItemKind.InternalDate), new(FetchItemKind.Rfc822Size), new(FetchItemKind.Envelope)],
        "FAST" => [new(FetchItemKind.Flags), new(FetchItemKind.InternalDate), new(FetchItemKind.Rfc822Size)],
        "FULL" => [new(FetchItemKind.Flags), new(FetchItemKind.InternalDate), new(FetchItemKind.Rfc822Size), new(FetchItemKind.Envelope), new(FetchItemKind.Body)],
        _ => null,
    };

    private static bool TryItem(ImapArgument argument, List<FetchItem> items, out string error)
    {
        error = "";
        if (argument.Kind != ImapArgumentKind.Atom)
        {
            error = "Invalid FETCH data item " + argument;
            return false;
        }
        string text = argument.Text;
        FetchItem? item = text.ToUpperInvariant() switch
        {
            "FLAGS" => new(FetchItemKind.Flags),
            "UID" => new(FetchItemKind.Uid),
            "INTERNALDATE" => new(FetchItemKind.InternalDate),
            "RFC822.SIZE" => new(FetchItemKind.Rfc822Size),
            "ENVELOPE" => new(FetchItemKind.Envelope),
            "BODYSTRUCTURE" => new(FetchItemKind.BodyStructure),
            "BODY" => new(FetchItemKind.Body),
            "MODSEQ" => new(FetchItemKind.ModSeq),
            "RFC822" => Whole("BODY[]", "RFC822"),
            "RFC822.HEADER" => Whole("BODY.PEEK[HEADER]", "RFC822.HEADER"),
            "RFC822.TEXT" => Whole("BODY[TEXT]", "RFC822.TEXT"),
            _ => null,
        };
        if (item is null)
        {
            if (!text.Contains('[', StringComparison.Ordinal))
            {
                error = Macro(text) is not null
                    ? $"{text.ToUpperInvariant()} is a macro and must stand alone"
                    : "Unknown FETCH data item " + text;
                return false;
            }
            if (!FetchSection.TryParse(text, out var section, out var reason))
            {
                error = $"Invalid FETCH data item {text}: {reason}";
                return false;
            }
            item = new FetchItem(FetchItemKind.Section, section);
        }
        // A simple item named twice is answered once (sections are compared by reference and repeat).
        if (!items.Contains(item))
            items.Add(item);
        return true;
    }

    private static FetchItem Whole(string atom, string responseName)
    {
        FetchSection.TryParse(atom, out var section, out _);
        return new FetchItem(FetchItemKind.Section, section, responseName);
    }
}
