// RFC 9051 section 6.4.4 (SEARCH TEXT: header or body; BODY: body), RFC 2045 6.7/6.8 (transfer
// encodings decoded), RFC 2046 4.1.2 (charset), RFC 2047 (encoded-words in header values), RFC 2046
// 5.2.1 (an encapsulated message's header is text of the outer body).
using System.Buffers;
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// The text of a message a full-text search looks at: its header fields with encoded-words decoded,
/// and the decoded text of its text/* parts (HTML reduced to its text), encapsulated messages
/// included. Non-text parts (images, archives, PDFs) are left out: their bytes are not text.
/// </summary>
public sealed record SearchableText(string Header, string Body)
{
    public static SearchableText Empty { get; } = new("", "");

    /// <summary>
    /// Reads a complete message from a seekable stream positioned at its start, keeping at most
    /// <paramref name="maxChars"/> characters of header and of body text; a part is decoded from at
    /// most four bytes per character kept. Malformed content never throws; I/O errors propagate.
    /// </summary>
    public static SearchableText Read(Stream message, int maxChars)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChars);
        MimeEntity root = MimeParser.Parse(message);
        var header = new Bounded(maxChars);
        AppendHeader(header, root.Header);
        var body = new Bounded(maxChars);
        // Iterative walk in document order: the parser bounds the depth, but no recursion is needed.
        var pending = new Stack<MimeEntity>();
        pending.Push(root);
        while (pending.Count > 0 && !body.Full)
        {
            MimeEntity entity = pending.Pop();
            if (entity.IsMultipart)
            {
                for (int i = entity.Children.Count - 1; i >= 0; i--)
                {
                    pending.Push(entity.Children[i]);
                }
            }
            else if (entity.EncapsulatedMessage is { } inner)
            {
                // A forwarded message's header is part of the outer message's body text.
                AppendHeader(body, inner.Header);
                pending.Push(inner);
            }
            else if (entity.MediaType == "text")
            {
                string text = ReadPart(entity, message, (long)maxChars * 4);
                body.Append(entity.MediaSubtype == "html" ? HtmlText.ToText(text, "\n") : text);
                body.Append("\n");
            }
        }
        return new SearchableText(header.ToString(), body.ToString());
    }

    private static void AppendHeader(Bounded text, HeaderBlock header)
    {
        foreach (HeaderField field in header)
        {
            text.Append(field.Name);
            text.Append(": ");
            text.Append(field.DecodeText());
            text.Append("\n");
        }
    }

    /// <summary>A part's decoded content as text with its charset (RFC 2046 4.1.2), from at most <paramref name="maxBytes"/> decoded bytes.</summary>
    private static string ReadPart(MimeEntity entity, Stream message, long maxBytes)
    {
        using Stream content = entity.OpenContentStream(message);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var bytes = new MemoryStream();
            int read;
            while (bytes.Length < maxBytes && (read = content.Read(buffer, 0, (int)Math.Min(buffer.Length, maxBytes - bytes.Length))) > 0)
            {
                bytes.Write(buffer, 0, read);
            }
            return Charsets.Decode(bytes.GetBuffer().AsSpan(0, (int)bytes.Length), entity.Charset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A string builder that stops at its limit.</summary>
    private sealed class Bounded(int limit)
    {
        private readonly StringBuilder text = new();

        public bool Full => text.Length >= limit;

        public void Append(string value)
        {
            if (!Full)
            {
                text.Append(value.AsSpan(0, Math.Min(value.Length, limit - text.Length)));
            }
        }

        public override string ToString() => text.ToString();
    }
}
