// RFC 9051 section 6.4.4 (what each search key matches; dates by day "disregarding time and
// timezone"; HEADER with an empty string matches any message with the field; strings are
// case-insensitive substrings), RFC 2047 (header values are compared decoded), RFC 7162 section
// 3.1.5 (MODSEQ), RFC 5182 section 2.1 ("$").
using Appliance.Mime;
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Search;

/// <summary>
/// A message of the session's view as the evaluator sees it: its place, its state (UID, flags,
/// keywords, MODSEQ), its index row with the cached summary when the search needs one, and its
/// header, read from the file only when a key needs it (up to the blank line, bounded by
/// <see cref="HeaderLimits.MaxHeaderBytes"/>), never the body.
/// </summary>
internal sealed class SearchCandidate
{
    private readonly MailAccount _account;
    private readonly string _mailbox;
    private readonly MessageInfo? _info;
    private readonly MessageSearchRow? _row;
    private HeaderBlock? _header;
    private bool _headerRead;

    public SearchCandidate(MailAccount account, string mailbox, int sequence, MessageInfo info)
        : this(account, mailbox, sequence, new MessageState(info.Uid, info.Flags, info.Keywords, info.ModSeq)) => _info = info;

    public SearchCandidate(MailAccount account, string mailbox, int sequence, MessageSearchRow row)
        : this(account, mailbox, sequence, row.State) => _row = row;

    public SearchCandidate(MailAccount account, string mailbox, int sequence, MessageState state)
    {
        _account = account;
        _mailbox = mailbox;
        Sequence = sequence;
        State = state;
    }

    public int Sequence { get; }

    public MessageState State { get; }

    public uint Uid => State.Uid;

    public ulong ModSeq => State.ModSeq;

    /// <summary>The index row with its cached summary; only when the evaluator read summaries (SORT, THREAD).</summary>
    public MessageInfo Info => _info ?? throw new InvalidOperationException("This search read no summaries.");

    private MessageSearchRow Row => _row ?? throw new InvalidOperationException("This search read message states only.");

    /// <summary>RFC822.SIZE, from whichever index row was read.</summary>
    public long Size => _info?.Size ?? Row.Size;

    /// <summary>The INTERNALDATE, from whichever index row was read.</summary>
    public DateTimeOffset InternalDate => _info?.InternalDate ?? Row.InternalDate;

    /// <summary>The cached Date: header, from whichever index row was read.</summary>
    public DateTimeOffset? HeaderDate => _info is not null ? _info.Summary.Date : Row.SentDate;

    /// <summary>The cached subject (first Subject field, decoded and collapsed), from whichever index row was read.</summary>
    public string CachedSubject => _info?.Summary.Subject ?? Row.Subject;

    /// <summary>The header block, or null when the message is gone from the store (an expunge not yet reported).</summary>
    public HeaderBlock? Header
    {
        get
        {
            if (!_headerRead)
            {
                _headerRead = true;
                try
                {
                    using var stream = _account.OpenMessage(_mailbox, Uid);
                    _header = HeaderBlock.Read(stream);
                }
                catch (MessageNotFoundException)
                {
                    _header = null;
                }
            }
            return _header;
        }
    }

    /// <summary>RFC 5256 2.2: the sent date is the Date: header, else the INTERNALDATE.</summary>
    public DateTimeOffset SentDate => HeaderDate ?? InternalDate;
}

/// <summary>
/// Evaluates a <see cref="SearchKey"/> tree against the messages of the selected mailbox, in
/// sequence order. Full-text keys are answered once per query by the store's index; everything
/// else per message from the index row, reading a header only for header keys, and only of the
/// messages whose indexed header text contains the string. Cost follows the
/// messages that exist: sequence and UID sets are tested per message, never expanded.
/// </summary>
internal sealed class SearchEvaluator
{
    private readonly MailAccount _account;
    private readonly SelectedMailbox _view;
    private readonly Dictionary<TextKey, IReadOnlySet<uint>> _textMatches = [];
    private readonly Dictionary<HeaderKey, IReadOnlySet<uint>> _headerCandidates = [];
    private HashSet<uint>? _saved;

    private readonly bool _summaries;

    /// <param name="summaries">
    /// Whether every candidate must carry its index row and cached summary (<see cref="SearchCandidate.Info"/>:
    /// SORT and THREAD order by it). SEARCH passes false: then only keys that need a row (dates, sizes,
    /// header fields) make it read the rows, and only their narrow search columns
    /// (<see cref="MailAccount.ListMessagesForSearch"/>); others run on the mailbox's message vector.
    /// </param>
    public SearchEvaluator(MailAccount account, SelectedMailbox view, bool summaries = true)
    {
        _account = account;
        _view = view;
        _summaries = summaries;
    }

    /// <summary>Whether a key reads more than a message's state: its dates, size or header (and the cached subject).</summary>
    private static bool NeedsSummary(SearchKey key) => key switch
    {
        DateKey or SizeKey or HeaderKey => true,
        NotKey not => NeedsSummary(not.Key),
        OrKey or => NeedsSummary(or.Left) || NeedsSummary(or.Right),
        AndKey and => and.Keys.Any(NeedsSummary),
        _ => false,
    };

    /// <summary>Whether the tree has a MODSEQ key: the response then carries the highest MODSEQ (RFC 7162 3.1.5).</summary>
    public static bool HasModSeq(SearchKey key) => key switch
    {
        ModSeqKey => true,
        NotKey not => HasModSeq(not.Key),
        OrKey or => HasModSeq(or.Left) || HasModSeq(or.Right),
        AndKey and => and.Keys.Any(HasModSeq),
        _ => false,
    };

    /// <summary>
    /// The messages of the view that match, in sequence order, each yielded as soon as it is found.
    /// Messages the view still shows but the store has expunged match nothing.
    /// </summary>
    public IEnumerable<SearchCandidate> Run(SearchKey criteria)
    {
        PrepareText(criteria);
        string mailbox = _view.Name;
        // Only the messages the full-text index left possible are read from the store.
        var possible = Possible(criteria);
        if (!_summaries && !NeedsSummary(criteria))
        {
            // Flags, keywords, MODSEQ, sequence and UID sets: the message vector (cached by the store) suffices.
            var states = _account.Snapshot(mailbox).Messages;
            return Merge(states, m => m.Uid, (sequence, state) => new SearchCandidate(_account, mailbox, sequence, state), possible, criteria);
        }
        if (!_summaries)
        {
            // Dates, sizes, the cached subject: the narrow search rows, not the whole summaries.
            var rows = _account.ListMessagesForSearch(mailbox, possible is null ? null : Ranges(possible));
            return Merge(rows, m => m.State.Uid, (sequence, row) => new SearchCandidate(_account, mailbox, sequence, row), possible, criteria);
        }
        var stored = possible is null
            ? _account.ListMessagesByUid(mailbox)
            : _account.ListMessagesByUid(mailbox, Ranges(possible));
        return Merge(stored, m => m.Uid, (sequence, info) => new SearchCandidate(_account, mailbox, sequence, info), possible, criteria);
    }

    /// <summary>
    /// Walks the view's UIDs beside the store's (both ascending): a UID the store no longer holds
    /// matches nothing, nor does one outside <paramref name="possible"/>.
    /// </summary>
    private IEnumerable<SearchCandidate> Merge<T>(IReadOnlyList<T> stored, Func<T, uint> uidOf, Func<int, T, SearchCandidate> candidateOf,
        IReadOnlySet<uint>? possible, SearchKey criteria)
    {
        var uids = _view.Uids;
        int s = 0;
        for (int i = 0; i < uids.Count; i++)
        {
            uint uid = uids[i];
            if (possible is not null && !possible.Contains(uid))
                continue;
            while (s < stored.Count && uidOf(stored[s]) < uid)
                s++;
            if (s == stored.Count)
                yield break;
            if (uidOf(stored[s]) != uid)
                continue;
            var candidate = candidateOf(i + 1, stored[s]);
            if (Matches(criteria, candidate))
                yield return candidate;
        }
    }

    /// <summary>
    /// The UIDs outside of which <paramref name="key"/> cannot match, from the full-text answers
    /// <see cref="PrepareText"/> gathered, or null when the key could match any message.
    /// </summary>
    private IReadOnlySet<uint>? Possible(SearchKey key)
    {
        switch (key)
        {
            case TextKey text:
                return _textMatches[text];
            case HeaderKey header:
                return _headerCandidates.TryGetValue(header, out var candidates) ? candidates : null;
            case OrKey or:
                if (Possible(or.Left) is not { } left || Possible(or.Right) is not { } right)
                    return null;
                var union = new HashSet<uint>(left);
                union.UnionWith(right);
                return union;
            case AndKey and:
                HashSet<uint>? all = null;
                foreach (var inner in and.Keys)
                {
                    if (Possible(inner) is not { } some)
                        continue;
                    if (all is null)
                        all = [.. some];
                    else
                        all.IntersectWith(some);
                }
                return all;
            default:
                return null;
        }
    }

    /// <summary>A set of UIDs as ascending ranges of consecutive numbers.</summary>
    private static List<(uint Low, uint High)> Ranges(IReadOnlySet<uint> uids)
    {
        var ranges = new List<(uint Low, uint High)>();
        foreach (uint uid in uids.Order())
        {
            if (ranges.Count > 0 && ranges[^1].High + 1 == uid)
                ranges[^1] = (ranges[^1].Low, uid);
            else
                ranges.Add((uid, uid));
        }
        return ranges;
    }

    /// <summary>Asks the full-text index once per distinct BODY / TEXT key of the query.</summary>
    private void PrepareText(SearchKey key)
    {
        switch (key)
        {
            case TextKey text when !_textMatches.ContainsKey(text):
                _textMatches[text] = _account.SearchText(_view.Name, text.Value, text.Scope);
                break;
            case HeaderKey header when header.Value.EnumerateRunes().Count() >= 3 && !_headerCandidates.ContainsKey(header):
                // The index holds every header field decoded as MatchesHeader decodes it, so a message
                // whose header text lacks the string cannot match: its file is not opened. Shorter
                // strings would make the index scan its stored text, no faster than the headers.
                _headerCandidates[header] = _account.SearchText(_view.Name, header.Value, TextSearchScope.Header);
                break;
            case NotKey not:
                PrepareText(not.Key);
                break;
            case OrKey or:
                PrepareText(or.Left);
                PrepareText(or.Right);
                break;
            case AndKey and:
                foreach (var inner in and.Keys)
                    PrepareText(inner);
                break;
        }
    }

    /// <summary>Recursion depth is bounded by the parser's nesting limit.</summary>
    private bool Matches(SearchKey key, SearchCandidate message)
    {
        var state = message.State;
        switch (key)
        {
            case AllKey:
                return true;
            case NothingKey:
                return false;
            case FlagKey flag:
                return ((state.Flags & flag.Flag) != 0) == flag.Set;
            case KeywordKey keyword:
                return state.Keywords.Contains(keyword.Keyword, StringComparer.OrdinalIgnoreCase) == keyword.Set;
            case SequenceKey { Set.IsSearchResult: true }:
                _saved ??= [.. _view.SavedSearch];
                return _saved.Contains(message.Uid);
            case SequenceKey { ByUid: true } uidSet:
                return uidSet.Set.Contains(message.Uid, _view.MaxUid);
            case SequenceKey sequenceSet:
                // RFC 9051 9: "*" is the last message; numbers past it match nothing.
                return sequenceSet.Set.Contains((uint)message.Sequence, (uint)_view.Count);
            case DateKey date:
                return MatchesDate(date, message);
            case SizeKey size:
                return size.Larger ? (ulong)message.Size > size.Size : (ulong)message.Size < size.Size;
            case HeaderKey header:
                return (!_headerCandidates.TryGetValue(header, out var candidates) || candidates.Contains(message.Uid))
                    && (MatchesCachedSubject(header, message.CachedSubject) || MatchesHeader(header, message.Header));
            case TextKey text:
                return _textMatches[text].Contains(message.Uid);
            case ModSeqKey modSeq:
                return state.ModSeq >= modSeq.ModSeq;
            case NotKey not:
                return !Matches(not.Key, message);
            case OrKey or:
                return Matches(or.Left, message) || Matches(or.Right, message);
            case AndKey and:
                foreach (var inner in and.Keys)
                {
                    if (!Matches(inner, message))
                        return false;
                }
                return true;
            default:
                throw new InvalidOperationException($"Unknown search key {key}");
        }
    }

    /// <summary>
    /// RFC 9051 6.4.4: by day, "disregarding time and timezone": the INTERNALDATE's day as the store
    /// keeps it (UTC), the Date: header's day in the zone it was written in. A message without a
    /// parsable Date: matches no SENT* key.
    /// </summary>
    private static bool MatchesDate(DateKey key, SearchCandidate message)
    {
        DateTimeOffset? when = key.Field == DateField.Internal ? message.InternalDate : message.HeaderDate;
        if (when is not { } value)
            return false;
        var day = DateOnly.FromDateTime(value.DateTime);
        return key.Relation switch
        {
            DateRelation.Before => day < key.Date,
            DateRelation.On => day == key.Date,
            _ => day >= key.Date,
        };
    }

    /// <summary>
    /// SUBJECT answered from the index's cached subject, when that is proof: the column holds the first
    /// Subject field decoded as <see cref="MatchesHeader"/> decodes it, with each run of white space and
    /// control characters made one space (Appliance.Mime's Text.Collapse). A string with none of those
    /// is in the collapsed text only if it is in the field itself, so a hit there is a match; a miss
    /// proves nothing (another Subject field, or a string with spaces) and the header is read.
    /// </summary>
    private static bool MatchesCachedSubject(HeaderKey key, string cachedSubject) =>
        key.Value.Length > 0
        && key.Field.Equals("Subject", StringComparison.OrdinalIgnoreCase)
        && !key.Value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
        && cachedSubject.Contains(key.Value, StringComparison.OrdinalIgnoreCase);

    /// <summary>Any field of that name whose value, encoded-words decoded (RFC 2047), contains the string ignoring case.</summary>
    internal static bool MatchesHeader(HeaderKey key, HeaderBlock? header)
    {
        if (header is null)
            return false;
        foreach (var field in header.GetAll(key.Field))
        {
            if (key.Value.Length == 0 || field.DecodeText().Contains(key.Value, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
