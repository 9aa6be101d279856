// RFC 9051 section 6.4.5 (FETCH), 6.4.9 (UID FETCH: UID always in the response), 7.5.2 (FETCH
// response: FLAGS, UID, INTERNALDATE date-time, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE, BODY,
// BODY[section]<origin>, BINARY), 7.1 (EXPUNGEISSUED), 7.4.1 and 5.5 (no EXPUNGE during FETCH by
// sequence number); RFC 3501 6.4.5 for rev1 (RFC822, RFC822.HEADER, RFC822.TEXT); RFC 3516 (BINARY,
// BINARY.PEEK, BINARY.SIZE, literal8, UNKNOWN-CTE); RFC 7162 section 3.1.4.1 (CHANGEDSINCE), 3.1.5
// (MODSEQ item), 3.1.4 (MODSEQ in every FETCH once CONDSTORE is on), 3.2.6 (VANISHED modifier);
// RFC 2180 section 4.1.2 (a message expunged by another session: fetch the rest, answer NO).
using System.Globalization;
using System.Text;
using Appliance.Server.Imap.Fetch;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Commands;

internal static class FetchCommand
{
    public static async Task ExecuteAsync(ImapSession session, ImapCommand command, bool byUid)
    {
        if (!FetchRequest.TryParse(command.Arguments, byUid, out var request, out string error))
        {
            session.Bad(command.Tag, error);
            return;
        }
        var selected = session.Selected!;
        if (request.Vanished && !session.QResyncEnabled)
        {
            // RFC 7162 3.2.6: VANISHED without ENABLE QRESYNC is a client error.
            session.Bad(command.Tag, "VANISHED needs ENABLE QRESYNC first");
            return;
        }
        if (!selected.TryResolve(request.Set, byUid, out var messages, out string? invalid))
        {
            session.Bad(command.Tag, invalid!);
            return;
        }
        // RFC 7162 3.1: a MODSEQ item or a CHANGEDSINCE modifier turns CONDSTORE on for the session.
        if (request.ChangedSince is not null || request.Has(FetchItemKind.ModSeq))
            session.CondStoreEnabled = true;

        var account = session.Account!;
        if (IsStateOnly(request) && messages.Count >= selected.Count / StateFetchShare)
        {
            await FetchStatesAsync(session, command, request, messages, byUid);
            return;
        }
        bool expungeIssued = false;
        int? unknownEncoding = null;
        try
        {
            var rows = ReadRows(account, selected, request, messages, byUid);
            if (request.Vanished)
                ReportVanished(session, account, selected, request, rows);
            if (request.ChangedSince is { } since)
                messages = [.. messages.Where(m => !rows.TryGetValue(m.Uid, out var row) || row.ModSeq > since)];
            var seen = MarkSeen(account, selected, request, messages, rows);
            if (seen.Count > 0)
            {
                // Setting \Seen renamed the files (Maildir keeps flags in the name) and gave new
                // MODSEQs: one more query reads the rows as they are now.
                rows = ReadRows(account, selected, request, messages, byUid);
            }

            var output = new FetchOutput(session);
            var cache = MessageStructureCache.For(session.Engine);
            var envelopes = EnvelopeCache.For(session.Engine);
            foreach (var (sequence, uid) in messages)
            {
                if (!rows.TryGetValue(uid, out var row))
                {
                    // Still in this session's view, gone from the store: another session expunged it.
                    expungeIssued = true;
                    continue;
                }
                using var message = new FetchedMessage(account, selected.Name, row, new MessageKey(account.StoreId, selected.Id, selected.UidValidity, uid), cache, envelopes);
                var prepared = Prepare(request, message);
                if (prepared.UnknownEncoding)
                {
                    // RFC 3516 4.1: the command ends in "NO [UNKNOWN-CTE]"; the other messages are
                    // still fetched, and a \Seen this FETCH set on this one is still told.
                    unknownEncoding ??= sequence;
                    if (seen.Contains(uid))
                        SelectedMailbox.WriteFlags(session, sequence, uid, row.Flags, row.Keywords, row.ModSeq);
                    continue;
                }
                if (prepared.Expunged)
                {
                    expungeIssued = true;
                    continue;
                }
                await WriteAsync(session, output, request, message, prepared.Contents, sequence, byUid, seen.Contains(uid));
                await output.FlushIfFullAsync();
            }
        }
        catch (MessageNotFoundException)
        {
            // Files are opened in Prepare, before a message's response starts; a miss anywhere else
            // (none is known) ends the FETCH as a skipped message would.
            expungeIssued = true;
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        if (unknownEncoding is { } first)
        {
            // RFC 3516 4.1: "the server MUST respond with a tagged NO response with the UNKNOWN-CTE response code".
            session.No(command.Tag, "UNKNOWN-CTE", $"Message {first} has a part in a transfer encoding this server cannot decode");
            return;
        }
        if (expungeIssued)
        {
            // RFC 9051 7.1 EXPUNGEISSUED: "Someone else has issued an EXPUNGE for the same mailbox";
            // RFC 2180 4.1.2 lets the server answer NO for such messages after fetching the others
            // (Dovecot does the same). The EXPUNGE itself waits for a command that allows it (7.4.1).
            session.No(command.Tag, "EXPUNGEISSUED", "Some of the requested messages were expunged by another session");
            return;
        }
        session.Ok(command.Tag, $"{command.Name} completed");
    }

    /// <summary>
    /// The share of the mailbox (1/n) from which a FETCH of FLAGS, UID and MODSEQ alone reads the
    /// mailbox's whole message vector (cached by the store, see MailAccount.Snapshot) rather than the
    /// index rows of the set: a client's resynchronisation (UID FETCH 1:* (FLAGS)) then reads no index
    /// row at all, while FETCH of a few messages' flags still reads only theirs. Our choice: reading
    /// the whole vector when it is not cached costs about what reading a quarter of the rows does.
    /// </summary>
    private const int StateFetchShare = 4;

    /// <summary>Whether every item is one the message vector holds (FLAGS, UID, MODSEQ) and nothing sets \Seen or asks for VANISHED.</summary>
    private static bool IsStateOnly(FetchRequest request) =>
        !request.Vanished && request.Items.All(i => i.Kind is FetchItemKind.Flags or FetchItemKind.Uid or FetchItemKind.ModSeq);

    /// <summary>
    /// FETCH of FLAGS, UID and MODSEQ from the mailbox's message vector: the same responses as the
    /// general path (CHANGEDSINCE applied, a message expunged by another session skipped and the
    /// command answered NO [EXPUNGEISSUED]), from one snapshot of the store.
    /// </summary>
    private static async Task FetchStatesAsync(ImapSession session, ImapCommand command, FetchRequest request,
        List<(int Sequence, uint Uid)> messages, bool byUid)
    {
        var selected = session.Selected!;
        MailboxSnapshot snapshot;
        try
        {
            snapshot = session.Account!.Snapshot(selected.Name);
        }
        catch (MailStoreException e)
        {
            ImapMailboxes.Refuse(session, command.Tag, e);
            return;
        }
        var output = new FetchOutput(session);
        bool expungeIssued = false;
        foreach (var (sequence, uid) in messages)
        {
            int index = snapshot.IndexOf(uid);
            if (index < 0)
            {
                expungeIssued = true;
                continue;
            }
            var state = snapshot.Messages[index];
            if (request.ChangedSince is { } since && state.ModSeq <= since)
                continue;
            var writer = BeginResponse(session, request, sequence, uid, byUid);
            foreach (var item in request.Items)
            {
                if (item.Kind == FetchItemKind.Flags)
                    writer.Atom("FLAGS").Atom(ImapFlags.Format(state.Flags, state.Keywords));
                else if (item.Kind == FetchItemKind.Uid)
                    writer.Atom("UID").Number(uid);
            }
            EndResponse(session, writer, state.ModSeq);
            await output.FlushIfFullAsync();
        }
        if (expungeIssued)
            session.No(command.Tag, "EXPUNGEISSUED", "Some of the requested messages were expunged by another session");
        else
            session.Ok(command.Tag, $"{command.Name} completed");
    }

    /// <summary>"* n FETCH (" and, in UID FETCH when not asked (RFC 9051 6.4.9) and with QRESYNC (RFC 7162 3.2.4), UID first.</summary>
    private static ImapResponseWriter BeginResponse(ImapSession session, FetchRequest request, int sequence, uint uid, bool byUid)
    {
        var writer = session.Respond().Untagged().Number((ulong)sequence).Atom("FETCH").BeginList();
        if ((byUid || session.QResyncEnabled) && !request.Has(FetchItemKind.Uid))
            writer.Atom("UID").Number(uid);
        return writer;
    }

    /// <summary>MODSEQ once CONDSTORE is on (RFC 7162 3.1.4), then ")" CRLF.</summary>
    private static void EndResponse(ImapSession session, ImapResponseWriter writer, ulong modSeq)
    {
        if (session.CondStoreEnabled)
            writer.Atom("MODSEQ").BeginList().Number(modSeq).EndList();
        writer.EndList().EndLine();
    }

    /// <summary>
    /// The index rows of the messages asked for, from one query (UID FETCH 1:* on 10,000 messages
    /// is one query, not 10,000). UID FETCH asks by the set's own ranges, so VANISHED sees which
    /// UIDs the store still holds; FETCH by the UID ranges of the runs of sequence numbers.
    /// </summary>
    private static Dictionary<uint, MessageFetchRow> ReadRows(MailAccount account, SelectedMailbox selected, FetchRequest request,
        List<(int Sequence, uint Uid)> messages, bool byUid)
    {
        IReadOnlyList<(uint Low, uint High)> ranges;
        if (byUid && !request.Set.IsSearchResult)
            ranges = request.Set.Normalize(selected.MaxUid);
        else
        {
            var runs = new List<(uint Low, uint High)>();
            for (int i = 0; i < messages.Count; i++)
            {
                if (i > 0 && messages[i].Sequence == messages[i - 1].Sequence + 1)
                    runs[^1] = (runs[^1].Low, messages[i].Uid);
                else
                    runs.Add((messages[i].Uid, messages[i].Uid));
            }
            ranges = runs;
        }
        var rows = new Dictionary<uint, MessageFetchRow>();
        foreach (var row in account.ListMessagesForFetch(selected.Name, ranges))
            rows[row.Uid] = row;
        return rows;
    }

    /// <summary>
    /// RFC 7162 3.2.6: "* VANISHED (EARLIER) uids" for the UIDs of the set expunged since CHANGEDSINCE,
    /// before the FETCH responses. When the store's expunge log does not reach back that far, every
    /// UID of the set below UIDNEXT that the store no longer holds is reported (a superset is allowed).
    /// UIDs still in this session's view are left out: their expunge is reported as VANISHED when
    /// the session tells of it, and must not be told twice.
    /// </summary>
    private static void ReportVanished(ImapSession session, MailAccount account, SelectedMailbox selected, FetchRequest request,
        Dictionary<uint, MessageFetchRow> rows)
    {
        uint max = selected.MaxUid;
        var expunged = account.ListExpungedSince(selected.Name, request.ChangedSince!.Value);
        List<(uint Low, uint High)> vanished;
        if (expunged.Complete)
        {
            vanished = VanishedEarlier.FromLog(expunged.Uids, uid => request.Set.Contains(uid, max), uid => selected.SequenceOf(uid) > 0);
        }
        else
        {
            var present = new SortedSet<uint>(rows.Keys);
            present.UnionWith(selected.Uids);
            vanished = VanishedEarlier.FromGaps(request.Set.Normalize(max), present, account.GetMailbox(selected.Name).UidNext);
        }
        if (vanished.Count > 0)
            session.Respond().Untagged().Atom("VANISHED").Atom("(EARLIER)").Atom(SequenceSet.Format(vanished)).EndLine();
    }

    /// <summary>
    /// RFC 9051 6.4.5: BODY[...] (not .PEEK), BINARY[...], RFC822 and RFC822.TEXT set \Seen, in a
    /// read-write mailbox only (EXAMINE, 6.3.3). One store call for the whole FETCH; the change is this
    /// session's own, answered in the FETCH responses (with FLAGS, 6.4.5: "if this causes the flags to
    /// change, they SHOULD be included"), so it is not reported again. Returns the UIDs it changed.
    /// </summary>
    private static HashSet<uint> MarkSeen(MailAccount account, SelectedMailbox selected, FetchRequest request,
        List<(int Sequence, uint Uid)> messages, Dictionary<uint, MessageFetchRow> rows)
    {
        var changed = new HashSet<uint>();
        if (!request.SetsSeen || selected.ReadOnly)
            return changed;
        var unseen = messages.Where(m => rows.TryGetValue(m.Uid, out var row) && (row.Flags & MessageFlags.Seen) == 0).Select(m => m.Uid).ToList();
        if (unseen.Count == 0)
            return changed;
        var result = account.StoreFlags(selected.Name, unseen, FlagOperation.Add, MessageFlags.Seen);
        foreach (var update in result.Updated)
        {
            selected.ReportedOwnFlagChange(update.ModSeq);
            changed.Add(update.Uid);
        }
        return changed;
    }

    /// <summary>Sections resolved before anything of the message is written, so a gone file or an unknown encoding costs no half response.</summary>
    private readonly record struct Prepared(Dictionary<FetchItem, SectionContent> Contents, bool Expunged, bool UnknownEncoding);

    private static Prepared Prepare(FetchRequest request, FetchedMessage message)
    {
        var contents = new Dictionary<FetchItem, SectionContent>(ReferenceEqualityComparer.Instance);
        try
        {
            foreach (var item in request.Items)
            {
                if (item.Kind == FetchItemKind.Section)
                {
                    if (message.Resolve(item.Section!) is not { } content)
                        return new Prepared(contents, Expunged: false, UnknownEncoding: true);
                    contents[item] = content;
                }
                else if (item.Kind is FetchItemKind.Envelope or FetchItemKind.BodyStructure or FetchItemKind.Body)
                {
                    // Opens the file (or finds the structure cached) now, while the message can still be skipped.
                    _ = item.Kind switch
                    {
                        FetchItemKind.Envelope => message.Envelope,
                        FetchItemKind.BodyStructure => message.Structure.BodyStructure,
                        _ => message.Structure.Body,
                    };
                }
            }
        }
        catch (MessageNotFoundException)
        {
            return new Prepared(contents, Expunged: true, UnknownEncoding: false);
        }
        return new Prepared(contents, Expunged: false, UnknownEncoding: false);
    }

    /// <summary>
    /// "* n FETCH (...)": the items in the order asked; UID first in UID FETCH when not asked (RFC
    /// 9051 6.4.9) and with QRESYNC; FLAGS when this FETCH set \Seen; MODSEQ once CONDSTORE is on (RFC 7162 3.1.4).
    /// </summary>
    private static async ValueTask WriteAsync(ImapSession session, FetchOutput output, FetchRequest request, FetchedMessage message,
        Dictionary<FetchItem, SectionContent> contents, int sequence, bool byUid, bool seenChanged)
    {
        var row = message.Row;
        // RFC 7162 3.2.4: with QRESYNC enabled every FETCH response carries UID (as in SelectedMailbox.WriteFlags).
        var writer = BeginResponse(session, request, sequence, row.Uid, byUid);
        foreach (var item in request.Items)
        {
            switch (item.Kind)
            {
                case FetchItemKind.Flags:
                    writer.Atom("FLAGS").Atom(ImapFlags.Format(row.Flags, row.Keywords));
                    break;
                case FetchItemKind.Uid:
                    writer.Atom("UID").Number(row.Uid);
                    break;
                case FetchItemKind.InternalDate:
                    writer.Atom("INTERNALDATE").Atom(FormatDateTime(row.InternalDate));
                    break;
                case FetchItemKind.Rfc822Size:
                    writer.Atom("RFC822.SIZE").Number((ulong)row.Size);
                    break;
                case FetchItemKind.ModSeq:
                    break; // below, once
                case FetchItemKind.Envelope:
                    writer.Atom("ENVELOPE");
                    output.WriteSyntax(message.Envelope);
                    break;
                case FetchItemKind.BodyStructure:
                    writer.Atom("BODYSTRUCTURE");
                    output.WriteSyntax(message.Structure.BodyStructure);
                    break;
                case FetchItemKind.Body:
                    writer.Atom("BODY");
                    output.WriteSyntax(message.Structure.Body);
                    break;
                case FetchItemKind.Section:
                    await WriteSectionAsync(writer, output, item, message, contents[item]);
                    break;
            }
        }
        if (seenChanged && !request.Has(FetchItemKind.Flags))
            writer.Atom("FLAGS").Atom(ImapFlags.Format(row.Flags, row.Keywords));
        EndResponse(session, writer, row.ModSeq);
    }

    private static async ValueTask WriteSectionAsync(ImapResponseWriter writer, FetchOutput output, FetchItem item, FetchedMessage message, SectionContent content)
    {
        var section = item.Section!;
        if (section.Name == "BINARY.SIZE")
        {
            // RFC 3516 4.2: BINARY.SIZE[section] SP number, the decoded size.
            writer.Atom(ResponseName(item)).Number((ulong)content.Length);
            return;
        }
        // RFC 9051 6.4.5: "If the starting octet is beyond the end of the text, an empty string is
        // returned"; a partial reaching past the end is cut; the response names only the origin.
        long start = 0, count = content.Length;
        if (section.Partial is { } partial)
        {
            start = Math.Min(partial.Offset, content.Length);
            count = Math.Min(partial.Length, content.Length - start);
        }
        writer.Atom(ResponseName(item));
        if (count == 0)
        {
            writer.String(ReadOnlySpan<byte>.Empty);
            return;
        }
        switch (content)
        {
            case SectionContent.Octets octets:
                // Header fields: a NUL in them goes as 0x80, as in FileRange.
                var window = octets.Bytes.AsSpan((int)start, (int)count).ToArray();
                window.AsSpan().Replace((byte)0, (byte)0x80);
                writer.Literal(window);
                break;
            case SectionContent.FileRange range:
                writer.LiteralHeader(count, binary: range.HasNul);
                message.File.Position = range.Offset + start;
                await output.CopyAsync(message.File, count, nulAs80: !range.Binary);
                break;
            case SectionContent.Decoded decoded:
                // RFC 3516 4.2: literal8 only when the decoded content holds NUL (a literal cannot).
                writer.LiteralHeader(count, binary: decoded.Size.HasNul);
                using (var stream = decoded.Part.OpenContentStream(message.File))
                {
                    FetchOutput.Skip(stream, start);
                    await output.CopyAsync(stream, count);
                }
                break;
        }
    }

    /// <summary>
    /// The item's name in the response: BODY[...] or BINARY[...] without .PEEK (RFC 9051 7.5.2),
    /// the section written canonically (keywords upper case, field names as the client gave
    /// them), and "&lt;origin&gt;" for a partial fetch; RFC822, RFC822.HEADER, RFC822.TEXT as asked.
    /// </summary>
    internal static string ResponseName(FetchItem item)
    {
        if (item.ResponseName is not null)
            return item.ResponseName;
        var section = item.Section!;
        var name = new StringBuilder(section.Name switch
        {
            "BODY.PEEK" => "BODY",
            "BINARY.PEEK" => "BINARY",
            _ => section.Name,
        });
        name.Append('[').AppendJoin('.', section.Part);
        if (section.Text != SectionText.None)
        {
            if (section.Part.Count > 0)
                name.Append('.');
            name.Append(section.Text switch
            {
                SectionText.Header => "HEADER",
                SectionText.HeaderFields => "HEADER.FIELDS",
                SectionText.HeaderFieldsNot => "HEADER.FIELDS.NOT",
                SectionText.Text => "TEXT",
                _ => "MIME",
            });
            if (section.Text is SectionText.HeaderFields or SectionText.HeaderFieldsNot)
                name.Append(" (").AppendJoin(' ', section.Fields.Select(FieldName)).Append(')');
        }
        name.Append(']');
        if (section.Partial is { } partial)
            name.Append('<').Append(partial.Offset.ToString(CultureInfo.InvariantCulture)).Append('>');
        return name.ToString();
    }

    /// <summary>header-fld-name = astring: as an atom when it is one, else quoted.</summary>
    private static string FieldName(string name) =>
        name.All(c => c < 0x80 && ImapCommandReader.IsAtomChar((byte)c))
            ? name
            : "\"" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary>RFC 9051 9: date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE.</summary>
    internal static string FormatDateTime(DateTimeOffset when)
    {
        var offset = when.Offset;
        char sign = offset < TimeSpan.Zero ? '-' : '+';
        offset = offset.Duration();
        // date-day-fixed = (SP DIGIT) / 2DIGIT
        string day = when.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2, ' ');
        return string.Create(CultureInfo.InvariantCulture,
            $"\"{day}-{when.ToString("MMM", CultureInfo.InvariantCulture)}-{when.Year:D4} {when.Hour:D2}:{when.Minute:D2}:{when.Second:D2} {sign}{offset.Hours:D2}{offset.Minutes:D2}\"");
    }
}
