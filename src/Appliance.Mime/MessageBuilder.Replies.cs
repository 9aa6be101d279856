// RFC 5322 3.6.3 (destination fields), 3.6.4 (In-Reply-To, References), 3.6.5 (Subject "Re: ");
// RFC 2046 5.2.1 (message/rfc822 for a forward as attachment).
using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Mime;

public sealed partial class MessageBuilder
{
    /// <summary>
    /// References kept when replying: a long thread would otherwise grow the field without end. The
    /// first id (the thread root) and the newest ones are kept, which is what threading needs (RFC
    /// 5322 3.6.4; 20 follows the common practice of mailers that trim, e.g. Thunderbird keeps a cap too).
    /// </summary>
    private const int MaxReferences = 20;

    /// <summary>
    /// A reply to <paramref name="original"/> (parsed from <paramref name="raw"/>), from
    /// <paramref name="self"/>: To is the original's Reply-To, else its From (RFC 5322 3.6.3); with
    /// <paramref name="replyAll"/> the original's To and Cc are added to Cc, minus ourselves and
    /// duplicates. Subject gets one "Re: "; In-Reply-To and References continue the thread (3.6.4);
    /// the text body quotes the original with "> ".
    /// </summary>
    public static MessageBuilder CreateReply(MimeEntity original, Stream raw, MailboxAddress self, bool replyAll = false, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(self);
        HeaderBlock header = original.Header;
        var reply = new MessageBuilder(timeProvider) { From = self };
        IReadOnlyList<MailboxAddress> from = Addresses(header, "From");
        IReadOnlyList<MailboxAddress> replyTo = Addresses(header, "Reply-To");
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { self.Address };
        IReadOnlyList<MailboxAddress> targets = replyTo.Count > 0 ? replyTo : from;
        if (targets.All(m => seen.Contains(m.Address)))
        {
            // Replying to our own message continues to the people we wrote to.
            targets = Addresses(header, "To");
        }
        foreach (MailboxAddress mailbox in targets)
        {
            if (seen.Add(mailbox.Address))
            {
                reply.To.Add(mailbox with { Group = null });
            }
        }
        if (replyAll)
        {
            foreach (MailboxAddress mailbox in Addresses(header, "To").Concat(Addresses(header, "Cc")))
            {
                if (seen.Add(mailbox.Address))
                {
                    reply.Cc.Add(mailbox with { Group = null });
                }
            }
        }
        reply.Subject = Prefixed("Re: ", header.Get("Subject")?.DecodeText() ?? "");
        string? messageId = FirstMessageId(header.Get("Message-ID")?.Value);
        if (messageId is not null)
        {
            reply.InReplyTo = messageId;
        }
        // RFC 5322 3.6.4: References = the parent's References (or else its In-Reply-To) + its Message-ID.
        List<string> references = MessageIds(header.Get("References")?.Value);
        if (references.Count == 0 && FirstMessageId(header.Get("In-Reply-To")?.Value) is string parentReply)
        {
            references.Add(parentReply);
        }
        if (messageId is not null)
        {
            references.Add(messageId);
        }
        if (references.Count > MaxReferences)
        {
            references = [references[0], .. references.Skip(references.Count - (MaxReferences - 1))];
        }
        foreach (string reference in references)
        {
            reply.References.Add(reference);
        }
        reply.TextBody = Quote(original, raw, from);
        return reply;
    }

    /// <summary>
    /// A forward of <paramref name="original"/>: "Fwd: " subject; inline, the text body carries a
    /// forwarded-header block and the original text and its attachments are attached again; as an
    /// attachment, the whole original travels as message/rfc822 (RFC 2046 5.2.1).
    /// </summary>
    public static MessageBuilder CreateForward(MimeEntity original, Stream raw, MailboxAddress self, bool asAttachment = false, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(raw);
        ArgumentNullException.ThrowIfNull(self);
        HeaderBlock header = original.Header;
        var forward = new MessageBuilder(timeProvider) { From = self };
        string subject = header.Get("Subject")?.DecodeText() ?? "";
        forward.Subject = Prefixed("Fwd: ", subject);
        if (asAttachment)
        {
            forward.TextBody = "";
            forward.AddMessageAttachment(ReadRange(raw, original.HeaderStart, raw.Length - original.HeaderStart), SafeFileName(subject, ".eml"));
            return forward;
        }
        var text = new StringBuilder();
        text.Append("\r\n---------- Forwarded message ----------\r\n");
        foreach (string name in new[] { "From", "Date", "Subject", "To", "Cc" })
        {
            HeaderField? field = header.Get(name);
            if (field is not null)
            {
                string value = name is "Subject" ? field.DecodeText() : name is "Date" ? field.Value : string.Join(", ", Addresses(header, name).Select(Display));
                text.Append(name).Append(": ").Append(Text.Collapse(value)).Append("\r\n");
            }
        }
        text.Append("\r\n");
        text.Append(BodyText(original, raw));
        forward.TextBody = BodyEncoder.NormalizeLineEnds(text.ToString());
        foreach (MimeEntity attachment in MessageParts.FindAttachments(original))
        {
            byte[] content = ReadContent(attachment, raw);
            string fileName = attachment.FileName is { Length: > 0 } f ? SafeFileName(f, "") : "attachment";
            if (attachment.MediaType == "message" && attachment.MediaSubtype == "rfc822")
            {
                forward.AddMessageAttachment(content, fileName);
            }
            else
            {
                string type = attachment.MediaType + "/" + attachment.MediaSubtype;
                forward.attachments.Add(new Attachment(fileName, IsLeafType(type) ? type : "application/octet-stream", content, null, IsMessage: false));
            }
        }
        return forward;
    }

    /// <summary>
    /// Adds <paramref name="prefix"/> unless the subject already starts with a reply or forward marker:
    /// "Re:", "RE:", "Re[2]:", "Re(2):" and the localized "AW:" (German), "SV:" (Nordic), "Fwd:", "Fw:", "WG:".
    /// </summary>
    internal static string Prefixed(string prefix, string subject)
    {
        subject = Text.Collapse(subject);
        string marker = prefix.TrimEnd(' ', ':');
        Match match = ReplyMarker().Match(subject);
        if (match.Success)
        {
            bool sameKind = marker == "Re"
                ? match.Groups[1].Value.ToUpperInvariant() is "RE" or "AW" or "SV"
                : match.Groups[1].Value.ToUpperInvariant() is "FWD" or "FW" or "WG";
            if (sameKind)
            {
                return subject;
            }
        }
        return prefix + subject;
    }

    [GeneratedRegex(@"^(re|aw|sv|fwd|fw|wg)\s*(\[\d+\]|\(\d+\))?\s*:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ReplyMarker();

    private static string Quote(MimeEntity original, Stream raw, IReadOnlyList<MailboxAddress> from)
    {
        var text = new StringBuilder("\r\n");
        DateTimeOffset? date = MailDate.Parse(original.Header.Get("Date")?.Value);
        string who = from.Count > 0 ? Display(from[0]) : "someone";
        text.Append("On ");
        text.Append(date is null ? "an unknown date" : FormatDate(date.Value));
        text.Append(", ").Append(Text.Collapse(who)).Append(" wrote:\r\n");
        string quoted = BodyText(original, raw);
        string[] lines = BodyEncoder.NormalizeLineEnds(quoted).Split("\r\n");
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (int i = 0; i < count; i++)
        {
            // Quoting a quote adds ">" without a space so levels stay compact (">> "), as mailers do.
            text.Append(lines[i].StartsWith('>') ? ">" : "> ").Append(lines[i]).Append("\r\n");
        }
        return text.ToString();
    }

    /// <summary>The original's plain text; for an HTML-only message, its HTML reduced to text.</summary>
    private static string BodyText(MimeEntity original, Stream raw)
    {
        if (MessageParts.FindDisplayBody(original, allowHtml: false) is MimeEntity text)
        {
            return text.ReadText(raw);
        }
        return MessageParts.FindDisplayBody(original, allowHtml: true) is MimeEntity html ? Lines(HtmlText.ToText(html.ReadText(raw), "\n")) : "";
    }

    // Block elements each gave a line break: keep one line per block, no blank runs, no indentation.
    private static string Lines(string text) =>
        string.Join("\r\n", text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0));

    private static string Display(MailboxAddress mailbox) =>
        string.IsNullOrEmpty(mailbox.DisplayName) ? mailbox.Address : $"{mailbox.DisplayName} <{mailbox.Address}>";

    private static IReadOnlyList<MailboxAddress> Addresses(HeaderBlock header, string name) =>
        [.. header.GetAll(name).SelectMany(f => MailboxAddress.ParseList(f.Value)).Where(m => m.LocalPart.Length > 0 && m.Domain.Length > 0)];

    // RFC 5322 3.6.4 msg-id: "<" id-left "@" id-right ">"; comments and junk between ids are skipped.
    private static List<string> MessageIds(string? value)
    {
        var ids = new List<string>();
        if (value is null)
        {
            return ids;
        }
        foreach (Match match in MessageIdPattern().Matches(value))
        {
            ids.Add(match.Value);
        }
        return ids;
    }

    private static string? FirstMessageId(string? value) => MessageIds(value) is [string first, ..] ? first : null;

    [GeneratedRegex(@"<[^<>\s""@]+@[^<>\s""@]+>", RegexOptions.CultureInvariant)]
    private static partial Regex MessageIdPattern();

    private static string SafeFileName(string name, string extension)
    {
        string collapsed = Text.Collapse(name);
        if (collapsed.Length == 0)
        {
            collapsed = "message";
        }
        int room = MaxFileNameLength - extension.Length;
        return (collapsed.Length > room ? collapsed[..room] : collapsed) + extension;
    }

    private static bool IsLeafType(string type)
    {
        try
        {
            CheckMediaType(type);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static byte[] ReadContent(MimeEntity entity, Stream raw)
    {
        using Stream content = entity.OpenContentStream(raw);
        using var bytes = new MemoryStream();
        content.CopyTo(bytes);
        return bytes.ToArray();
    }

    private static byte[] ReadRange(Stream raw, long start, long length)
    {
        var bytes = new byte[length];
        raw.Position = start;
        raw.ReadExactly(bytes);
        return bytes;
    }
}
