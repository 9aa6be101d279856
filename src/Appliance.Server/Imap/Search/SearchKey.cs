// RFC 9051 section 6.4.4 (search keys) and section 9 (search-key); RFC 3501 section 6.4.4 (NEW, OLD,
// RECENT for rev1 clients); RFC 7162 section 3.1.5 (MODSEQ); RFC 5182 section 2.1 ("$").
using Appliance.Storage.Mail;

namespace Appliance.Server.Imap.Search;

/// <summary>One search criterion as parsed; a tree of them is the whole query (all must match).</summary>
internal abstract record SearchKey;

/// <summary>ALL, and OLD (RFC 3501: NOT RECENT; no message is recent here).</summary>
internal sealed record AllKey : SearchKey;

/// <summary>RECENT and NEW (RFC 3501): this server keeps no \Recent, so they match nothing.</summary>
internal sealed record NothingKey : SearchKey;

/// <summary>ANSWERED, DELETED, DRAFT, FLAGGED, SEEN (<see cref="Set"/> true) and their UN- forms.</summary>
internal sealed record FlagKey(MessageFlags Flag, bool Set) : SearchKey;

/// <summary>KEYWORD and UNKEYWORD; keywords compare case-insensitively, as the store keeps them.</summary>
internal sealed record KeywordKey(string Keyword, bool Set) : SearchKey;

/// <summary>A sequence set, "UID set", or "$" (the saved result, RFC 5182) in either.</summary>
internal sealed record SequenceKey(SequenceSet Set, bool ByUid) : SearchKey;

internal enum DateField
{
    /// <summary>BEFORE, ON, SINCE: the INTERNALDATE.</summary>
    Internal,

    /// <summary>SENTBEFORE, SENTON, SENTSINCE: the Date: header.</summary>
    Sent,
}

internal enum DateRelation
{
    Before,
    On,
    Since,
}

/// <summary>RFC 9051 6.4.4: dates compare by day only, "disregarding time and timezone".</summary>
internal sealed record DateKey(DateField Field, DateRelation Relation, DateOnly Date) : SearchKey;

/// <summary>LARGER (<see cref="Larger"/>) or SMALLER than a size in octets (RFC822.SIZE).</summary>
internal sealed record SizeKey(bool Larger, ulong Size) : SearchKey;

/// <summary>
/// HEADER field-name string, and FROM, TO, CC, BCC, SUBJECT as the same test on their field: the
/// decoded value contains the string, case-insensitively; an empty string matches any such field.
/// </summary>
internal sealed record HeaderKey(string Field, string Value) : SearchKey;

/// <summary>BODY and TEXT: answered by the store's full-text index.</summary>
internal sealed record TextKey(string Value, TextSearchScope Scope) : SearchKey;

/// <summary>RFC 7162 3.1.5: messages whose MODSEQ is at least the value.</summary>
internal sealed record ModSeqKey(ulong ModSeq) : SearchKey;

internal sealed record NotKey(SearchKey Key) : SearchKey;

internal sealed record OrKey(SearchKey Left, SearchKey Right) : SearchKey;

/// <summary>A parenthesized list, or the top-level criteria: every key must match.</summary>
internal sealed record AndKey(IReadOnlyList<SearchKey> Keys) : SearchKey;
