// RFC 2045 (MIME bodies, 5.2 default type, 6 transfer encodings), RFC 2046 5.1 (multipart),
// RFC 2183 (Content-Disposition), RFC 1847 2.1 (multipart/signed).
using System.Text;

namespace Appliance.Mime;

/// <summary>What a bounded scan of a body prefix found: an attachment, and the text for a preview.</summary>
internal readonly record struct BodyScanResult(bool HasAttachment, string Preview);

/// <summary>
/// A shallow walk over a body prefix for the summary: follows multipart boundaries, notes attachments
/// and decodes the first text part. It sees only what the prefix holds; the full part-tree parser
/// will replace it where structure matters.
/// </summary>
internal sealed class BodyScanner
{
    /// <summary>Postfix's mime_nesting_limit default; deeper multiparts are not looked into.</summary>
    public const int MaxNesting = 100;

    // RFC 1847 2.1: the second part of multipart/signed is the signature, not something the user
    // attached; mail clients do not show a paperclip for it.
    private static readonly HashSet<string> SignatureTypes = new(StringComparer.Ordinal)
    {
        "application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature",
    };

    private readonly int previewLength;
    private bool hasAttachment;
    private string? plain;
    private string? html;

    private BodyScanner(int previewLength) => this.previewLength = previewLength;

    public static BodyScanResult Scan(HeaderBlock header, ReadOnlyMemory<byte> body, int previewLength)
    {
        var scanner = new BodyScanner(previewLength);
        scanner.ScanPart(header, body, 0, "text/plain");
        return new BodyScanResult(scanner.hasAttachment, scanner.plain ?? scanner.html ?? "");
    }

    private void ScanPart(HeaderBlock header, ReadOnlyMemory<byte> body, int depth, string defaultType)
    {
        ContentHeader type = ContentHeader.Parse(header.Get("Content-Type")?.Value);
        // RFC 2045 5.2: no (or an unreadable) Content-Type means text/plain; us-ascii.
        string mediaType = type.Value.Contains('/', StringComparison.Ordinal) ? type.Value : defaultType;
        if (mediaType.StartsWith("multipart/", StringComparison.Ordinal))
        {
            string? boundary = type.GetParameter("boundary");
            if (string.IsNullOrEmpty(boundary) || depth >= MaxNesting)
            {
                return;
            }
            // RFC 2046 5.1.5: in a digest the parts default to message/rfc822.
            string childDefault = mediaType == "multipart/digest" ? "message/rfc822" : "text/plain";
            foreach (ReadOnlyMemory<byte> part in SplitParts(body, boundary))
            {
                if (hasAttachment && plain is not null)
                {
                    return; // nothing left to learn
                }
                HeaderBlock partHeader = HeaderBlock.Parse(part.Span);
                ReadOnlyMemory<byte> partBody = partHeader.IsComplete ? part[partHeader.Length..] : ReadOnlyMemory<byte>.Empty;
                ScanPart(partHeader, partBody, depth + 1, childDefault);
            }
            return;
        }

        ContentHeader disposition = ContentHeader.Parse(header.Get("Content-Disposition")?.Value);
        if (IsAttachment(mediaType, type, disposition))
        {
            hasAttachment = true;
            return;
        }
        if (mediaType == "text/plain" && plain is null)
        {
            plain = Nonempty(Preview(DecodeText(header, type, body)));
        }
        else if (mediaType == "text/html" && html is null)
        {
            html = Nonempty(Preview(HtmlText.ToText(DecodeText(header, type, body))));
        }
    }

    /// <summary>
    /// RFC 2183 2.2 "attachment", or a file name (RFC 2183 2.3 filename, the older Content-Type name),
    /// or any leaf that is not text and not a signature: a PDF without a name is still an attachment.
    /// </summary>
    private static bool IsAttachment(string mediaType, ContentHeader type, ContentHeader disposition)
    {
        if (SignatureTypes.Contains(mediaType))
        {
            return false;
        }
        return disposition.Value == "attachment"
            || disposition.HasParameter("filename")
            || type.HasParameter("name")
            || !mediaType.StartsWith("text/", StringComparison.Ordinal);
    }

    private static string DecodeText(HeaderBlock header, ContentHeader type, ReadOnlyMemory<byte> body)
    {
        string encoding = header.Get("Content-Transfer-Encoding")?.Value.Trim().ToLowerInvariant() ?? "";
        // RFC 2045 6.2: 7bit, 8bit and binary are identity encodings; unknown ones we read as such too.
        byte[] bytes = encoding switch
        {
            "base64" => TransferEncodings.DecodeBase64(body.Span),
            "quoted-printable" => TransferEncodings.DecodeQuotedPrintable(body.Span),
            _ => body.ToArray(),
        };
        Encoding? charset = Charsets.Find(type.GetParameter("charset"));
        return charset is null ? Charsets.DecodeRawPrefix(bytes) : charset.GetString(bytes);
    }

    private string Preview(string text)
    {
        string collapsed = Text.Collapse(text);
        if (collapsed.Length <= previewLength)
        {
            return collapsed;
        }
        int cut = previewLength;
        if (char.IsHighSurrogate(collapsed[cut - 1]))
        {
            cut--; // never split a surrogate pair
        }
        return collapsed[..cut].TrimEnd();
    }

    private static string? Nonempty(string text) => text.Length == 0 ? null : text;

    /// <summary>
    /// RFC 2046 5.1.1: a delimiter is a line "--" boundary, optionally followed by whitespace (transport
    /// padding); "--" boundary "--" closes. The line break before a delimiter belongs to it. Preamble
    /// and epilogue are dropped; a part cut off by the end of the prefix is returned as far as it goes.
    /// </summary>
    internal static List<ReadOnlyMemory<byte>> SplitParts(ReadOnlyMemory<byte> body, string boundary)
    {
        byte[] delimiter = Encoding.UTF8.GetBytes("--" + boundary);
        ReadOnlySpan<byte> span = body.Span;
        var parts = new List<ReadOnlyMemory<byte>>();
        int partStart = -1;
        int pos = 0;
        while (pos < span.Length)
        {
            int lf = span[pos..].IndexOf((byte)'\n');
            int next = lf < 0 ? span.Length : pos + lf + 1;
            ReadOnlySpan<byte> line = span[pos..(lf < 0 ? span.Length : pos + lf)].TrimEnd((byte)'\r');
            if (line.StartsWith(delimiter))
            {
                ReadOnlySpan<byte> rest = line[delimiter.Length..];
                bool close = rest.StartsWith("--"u8);
                if (close || rest.Trim(" \t"u8).IsEmpty)
                {
                    if (partStart >= 0)
                    {
                        int partEnd = pos;
                        if (partEnd > partStart && span[partEnd - 1] == '\n')
                        {
                            partEnd--;
                            if (partEnd > partStart && span[partEnd - 1] == '\r')
                            {
                                partEnd--;
                            }
                        }
                        parts.Add(body[partStart..partEnd]);
                    }
                    if (close)
                    {
                        return parts;
                    }
                    partStart = next;
                }
            }
            pos = next;
        }
        if (partStart >= 0 && partStart < span.Length)
        {
            parts.Add(body[partStart..]);
        }
        return parts;
    }
}
