using Appliance.Server.Webmail;

namespace Appliance.Web.Webmail;

/// <summary>
/// Sanitized message bodies, shared by the reading pane (which needs to know whether remote content
/// was blocked) and the frame's request for the body that follows it, so a message is parsed and
/// sanitized once per open rather than twice. A message's bytes never change under its key (the
/// account, a folder id that is never reused, a UID that is never reused in it), so entries need no
/// invalidation; they are only evicted, oldest first, past <see cref="MaxBytes"/>.
/// </summary>
public sealed class SanitizedBodyCache
{
    /// <summary>Characters of sanitized HTML kept (about 2 bytes each): a few dozen typical messages or a handful of 1 MB newsletters; our choice.</summary>
    public const long MaxBytes = 32L * 1024 * 1024;

    private readonly record struct Key(Guid Account, long Folder, uint Uid, bool Remote);

    private readonly Lock _lock = new();
    private readonly Dictionary<Key, LinkedListNode<(Key Key, SanitizedHtml Value)>> _entries = [];
    private readonly LinkedList<(Key Key, SanitizedHtml Value)> _order = new();
    private long _bytes;

    /// <summary>The sanitized body of the message, sanitizing <paramref name="read"/>'s HTML on a miss. Null when the message has no HTML body.</summary>
    public SanitizedHtml? Get(WebmailSession session, long folderId, uint uid, bool remote, Func<WebmailMessage> read)
    {
        var key = new Key(session.User.StoreId, folderId, uid, remote);
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var hit))
            {
                _order.Remove(hit);
                _order.AddFirst(hit);
                return hit.Value.Value;
            }
        }
        if (read().HtmlBody is not { } html)
            return null;
        var sanitized = HtmlSanitizer.Sanitize(html, allowRemoteImages: remote);
        long size = 2L * sanitized.Html.Length;
        if (size > MaxBytes)
            return sanitized;
        lock (_lock)
        {
            if (!_entries.ContainsKey(key))
            {
                _entries[key] = _order.AddFirst((key, sanitized));
                _bytes += size;
                while (_bytes > MaxBytes && _order.Last is { } oldest)
                {
                    _order.RemoveLast();
                    _entries.Remove(oldest.Value.Key);
                    _bytes -= 2L * oldest.Value.Value.Html.Length;
                }
            }
        }
        return sanitized;
    }
}
