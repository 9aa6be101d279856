// RFC 2046 5.1.4 (multipart/alternative: last is best), RFC 2387 (multipart/related: root part,
// start parameter), RFC 2392 (cid: URLs name a Content-ID), RFC 2183 (Content-Disposition),
// RFC 1847 2.1 (multipart/signed: the signature is not content).
namespace Appliance.Mime;

/// <summary>What a reader shows of a parsed message: the body to display, the attachments, the inline parts.</summary>
public static class MessageParts
{
    // RFC 1847 2.1: the second part of multipart/signed is the signature, not something the user
    // attached; mail clients do not show a paperclip for it.
    private static readonly HashSet<string> SignatureTypes = new(StringComparer.Ordinal)
    {
        "pgp-signature", "pkcs7-signature", "x-pkcs7-signature", // all application/*
    };

    /// <summary>
    /// The part to display: a text/plain or text/html leaf that is not an attachment. In
    /// multipart/alternative the last part we can show wins (RFC 2046 5.1.4: parts go from plainest
    /// to richest); in multipart/related the root (RFC 2387 3.2: the start parameter, else the first
    /// part); in other multiparts the first part that has something to show. An encapsulated message
    /// is an attachment, not the body. Null when nothing can be shown.
    /// </summary>
    public static MimeEntity? FindDisplayBody(MimeEntity message, bool allowHtml = true)
    {
        ArgumentNullException.ThrowIfNull(message);
        return Find(message, allowHtml);
    }

    /// <summary>
    /// Attachments in order: leaves (and message/rfc822 parts, not looked into) that are not the
    /// display body, not a signature, and are marked as an attachment, carry a file name, or are not
    /// text. A part referenced from HTML by its Content-ID is still listed when it has a file name:
    /// check <see cref="FindByContentId"/> to hide inline images.
    /// </summary>
    public static IReadOnlyList<MimeEntity> FindAttachments(MimeEntity message)
    {
        ArgumentNullException.ThrowIfNull(message);
        MimeEntity? body = FindDisplayBody(message);
        var result = new List<MimeEntity>();
        foreach (MimeEntity leaf in Leaves(message))
        {
            if (leaf != body && IsAttachment(leaf))
            {
                result.Add(leaf);
            }
        }
        return result;
    }

    /// <summary>True when <see cref="FindAttachments"/> would list something; stops at the first.</summary>
    internal static bool HasAttachment(MimeEntity message) => HasAttachment(message, FindDisplayBody(message));

    /// <summary>Recursion follows multiparts only, whose depth <see cref="MimeLimits.MaxDepth"/> bounds.</summary>
    private static bool HasAttachment(MimeEntity entity, MimeEntity? body)
    {
        if (!entity.IsMultipart)
        {
            return entity != body && IsAttachment(entity);
        }
        foreach (MimeEntity part in entity.Children)
        {
            if (HasAttachment(part, body))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// The part whose Content-ID matches, for an HTML body's "cid:" reference (RFC 2392: the URL is
    /// the Content-ID without angle brackets, %-escaped). Encapsulated messages are not searched.
    /// </summary>
    public static MimeEntity? FindByContentId(MimeEntity message, string contentId)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(contentId);
        string wanted = NormalizeContentId(contentId.StartsWith("cid:", StringComparison.OrdinalIgnoreCase) ? Uri.UnescapeDataString(contentId[4..]) : contentId);
        foreach (MimeEntity leaf in Leaves(message))
        {
            if (leaf.ContentId is { } id && NormalizeContentId(id) == wanted)
            {
                return leaf;
            }
        }
        return null;
    }

    /// <summary>RFC 2183 2.2 "attachment", a file name, or a leaf that is not text and not a signature.</summary>
    internal static bool IsAttachment(MimeEntity leaf)
    {
        if (leaf.MediaType == "application" && SignatureTypes.Contains(leaf.MediaSubtype))
        {
            return false;
        }
        return leaf.Disposition == "attachment" || leaf.HasFileName || leaf.MediaType != "text";
    }

    /// <summary>Leaves in document order; message/rfc822 parts count as leaves. Iterative.</summary>
    internal static IEnumerable<MimeEntity> Leaves(MimeEntity message)
    {
        var pending = new Stack<MimeEntity>();
        pending.Push(message);
        while (pending.Count > 0)
        {
            MimeEntity e = pending.Pop();
            if (!e.IsMultipart)
            {
                yield return e;
                continue;
            }
            for (int i = e.Children.Count - 1; i >= 0; i--)
            {
                pending.Push(e.Children[i]);
            }
        }
    }

    /// <summary>Recursion follows multiparts only, whose depth <see cref="MimeLimits.MaxDepth"/> bounds.</summary>
    private static MimeEntity? Find(MimeEntity entity, bool allowHtml)
    {
        if (!entity.IsMultipart)
        {
            bool showable = entity.MediaType == "text" && (entity.MediaSubtype == "plain" || (allowHtml && entity.MediaSubtype == "html"));
            return showable && entity.Disposition != "attachment" ? entity : null;
        }
        IReadOnlyList<MimeEntity> parts = entity.Children;
        switch (entity.MediaSubtype)
        {
            case "alternative":
                for (int i = parts.Count - 1; i >= 0; i--)
                {
                    if (Find(parts[i], allowHtml) is { } best)
                    {
                        return best;
                    }
                }
                return null;
            case "related":
                string? start = entity.GetContentTypeParameter("start");
                MimeEntity? root = start is null ? null : parts.FirstOrDefault(p => p.ContentId is { } id && NormalizeContentId(id) == NormalizeContentId(start));
                root ??= parts.Count > 0 ? parts[0] : null;
                return root is null ? null : Find(root, allowHtml);
            default:
                foreach (MimeEntity part in parts)
                {
                    if (Find(part, allowHtml) is { } found)
                    {
                        return found;
                    }
                }
                return null;
        }
    }

    private static string NormalizeContentId(string id) => id.Trim().TrimStart('<').TrimEnd('>').Trim();
}
