// RFC 9051 section 2.3.1.1: a message's UID with the mailbox's UIDVALIDITY names the same immutable
// message forever, so a structure parsed once can be kept under that name. The parsed tree serves
// BODYSTRUCTURE, BODY, ENVELOPE and section offsets (RFC 9051 6.4.5, 7.5.2) and BINARY.SIZE (RFC 3516).
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Appliance.Mime;

namespace Appliance.Server.Imap.Fetch;

/// <summary>
/// One message's parsed MIME tree and what FETCH derives from it, computed at most once each
/// (racing sessions may compute the same text twice; either result is the same).
/// </summary>
internal sealed class MessageStructure(MimeEntity root)
{
    private string? _bodyStructure;
    private string? _body;
    private string? _envelope;
    private readonly ConcurrentDictionary<MimeEntity, DecodedSize> _decodedSizes = new(ReferenceEqualityComparer.Instance);

    public MimeEntity Root { get; } = root;

    /// <summary>RFC 9051 7.5.2 BODYSTRUCTURE in IMAP syntax (UTF-8; literals counted in UTF-8 octets).</summary>
    public string BodyStructure => _bodyStructure ??= ImapBodyStructure.FromEntity(Root).ToString(extended: true);

    /// <summary>RFC 9051 7.5.2 BODY: the non-extensible form.</summary>
    public string Body => _body ??= ImapBodyStructure.FromEntity(Root).ToString(extended: false);

    public string Envelope => _envelope ??= ImapEnvelope.FromHeader(Root.Header).ToString();

    public bool TryGetDecodedSize(MimeEntity part, out DecodedSize size) => _decodedSizes.TryGetValue(part, out size);

    public void SetDecodedSize(MimeEntity part, DecodedSize size) => _decodedSizes[part] = size;

    /// <summary>
    /// What the entry costs in memory, roughly: each entity's header block (which the tree keeps)
    /// plus a fixed allowance for the entity and its strings.
    /// </summary>
    public long EstimatedBytes { get; } = Estimate(root);

    private static long Estimate(MimeEntity root)
    {
        const long PerEntity = 512;
        long total = 0;
        var pending = new Stack<MimeEntity>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var entity = pending.Pop();
            total += PerEntity + entity.Header.Length;
            foreach (var child in entity.Children)
                pending.Push(child);
        }
        return total;
    }
}

/// <summary>RFC 3516: a part's size after decoding its Content-Transfer-Encoding, and whether it holds NUL (then literal8).</summary>
internal readonly record struct DecodedSize(long Length, bool HasNul);

/// <summary>
/// A process-wide, bounded, least-recently-used cache of parsed message structures, keyed by
/// account store id, mailbox id, UIDVALIDITY and UID. One per <see cref="ImapEngine"/>, so its bound
/// (<see cref="ImapServerOptions.FetchStructureCacheBytes"/>) is the engine's.
/// </summary>
internal sealed class MessageStructureCache(long capacityBytes) : FetchCache<MessageStructure>(capacityBytes)
{
    private static readonly ConditionalWeakTable<ImapEngine, MessageStructureCache> PerEngine = new();

    public static MessageStructureCache For(ImapEngine engine) =>
        PerEngine.GetValue(engine, e => new MessageStructureCache(e.Options.FetchStructureCacheBytes));

    protected override long SizeOf(MessageStructure value) => value.EstimatedBytes;
}

/// <summary>
/// ENVELOPE texts (RFC 9051 7.5.2) of messages whose structure is not cached, so that FETCH 1:*
/// (ENVELOPE) reads each message's header once, not at every resynchronisation. Keyed and bounded
/// like <see cref="MessageStructureCache"/>, by <see cref="ImapServerOptions.FetchEnvelopeCacheBytes"/>.
/// </summary>
internal sealed class EnvelopeCache(long capacityBytes) : FetchCache<string>(capacityBytes)
{
    private static readonly ConditionalWeakTable<ImapEngine, EnvelopeCache> PerEngine = new();

    public static EnvelopeCache For(ImapEngine engine) =>
        PerEngine.GetValue(engine, e => new EnvelopeCache(e.Options.FetchEnvelopeCacheBytes));

    /// <summary>UTF-16 characters plus the string's and the entry's own overhead, roughly.</summary>
    protected override long SizeOf(string value) => 128 + (2L * value.Length);
}

/// <summary>
/// A bounded, least-recently-used map from <see cref="MessageKey"/> to what FETCH derived from the
/// message (immutable under its key), its size estimated by <see cref="SizeOf"/>. Thread-safe.
/// </summary>
internal abstract class FetchCache<TValue>(long capacityBytes)
    where TValue : class
{
    private readonly Lock _lock = new();
    private readonly Dictionary<MessageKey, LinkedListNode<(MessageKey Key, TValue Value, long Size)>> _entries = [];
    private readonly LinkedList<(MessageKey Key, TValue Value, long Size)> _recency = new();
    private long _bytes;

    public long CapacityBytes => capacityBytes;

    /// <summary>Bytes held now (estimated), for tests and diagnostics.</summary>
    public long Bytes
    {
        get
        {
            lock (_lock)
                return _bytes;
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
                return _entries.Count;
        }
    }

    protected abstract long SizeOf(TValue value);

    public bool TryGet(MessageKey key, out TValue value)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                value = node.Value.Value;
                return true;
            }
        }
        value = null!;
        return false;
    }

    /// <summary>Keeps <paramref name="value"/> unless it alone is over the bound; evicts the least recently used entries to fit.</summary>
    public void Add(MessageKey key, TValue value)
    {
        long size = SizeOf(value);
        if (size > capacityBytes)
            return;
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
                _bytes -= existing.Value.Size;
            }
            var node = _recency.AddFirst((key, value, size));
            _entries[key] = node;
            _bytes += size;
            while (_bytes > capacityBytes && _recency.Last is { } last)
            {
                _recency.RemoveLast();
                _entries.Remove(last.Value.Key);
                _bytes -= last.Value.Size;
            }
        }
    }
}

/// <summary>What names one message's bytes forever (RFC 9051 2.3.1.1): account, mailbox, UIDVALIDITY, UID.</summary>
internal readonly record struct MessageKey(Guid Account, long Mailbox, uint UidValidity, uint Uid);
