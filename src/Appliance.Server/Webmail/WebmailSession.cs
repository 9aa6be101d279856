using System.Text;
using Appliance.Mime;
using Appliance.Server.Accounts;
using Appliance.Server.Submission;
using Appliance.Storage.Mail;

namespace Appliance.Server.Webmail;

/// <summary>
/// One signed-in user's mail, as the webmail works with it: folders, the message list, reading,
/// the actions on messages, drafts and sending. Every operation is on this user's own account; a
/// folder or message is named by what the store gave out (a folder name from the list, a UID), never
/// by a path. Store refusals become <see cref="WebmailException"/> with a sentence for the user.
/// </summary>
public sealed partial class WebmailSession
{
    /// <summary>Inline images turned into data: URLs per message, in bytes: a mail with a huge embedded image is shown without it rather than stalling the page (our choice; 10 MB is far above a newsletter's images).</summary>
    public const int MaxInlineImageBytes = 10 * 1024 * 1024;

    /// <summary>The HTML or text body read for display, in bytes; the rest is cut (a 20 MB log pasted as text would freeze a browser tab; our choice).</summary>
    public const int MaxDisplayBodyBytes = 4 * 1024 * 1024;

    /// <summary>Messages read from Sent for address completion (the most recent ones; our choice).</summary>
    public const int CorrespondentsScanned = 500;

    private readonly MailAccount _account;
    private readonly MessageSubmitter _submitter;
    private readonly RecipientResolver _recipients;
    private readonly TimeProvider _time;

    internal WebmailSession(AuthenticatedUser user, string displayName, MailAccount account, MessageSubmitter submitter, RecipientResolver recipients, TimeProvider time)
    {
        _recipients = recipients;
        User = user;
        DisplayName = displayName;
        _account = account;
        _submitter = submitter;
        _time = time;
    }

    public AuthenticatedUser User { get; }

    public string Address => User.Address;

    public string DisplayName { get; }

    /// <summary>The user's own address as a From:, with the display name.</summary>
    public MailboxAddress Self
    {
        get
        {
            int at = Address.LastIndexOf('@');
            return new MailboxAddress(DisplayName.Length == 0 ? null : DisplayName, Address[..at], Address[(at + 1)..]);
        }
    }

    /// <summary>The account's changes, for live updates; dispose it with the page.</summary>
    public MailSubscription Subscribe() => _account.Subscribe();

    // ---- Folders ----

    /// <summary>INBOX first, then Drafts, Sent, Archive, Junk, Trash, then the user's folders by name.</summary>
    public IReadOnlyList<WebmailFolder> ListFolders() =>
        _account.ListMailboxes()
            .Select(m => new WebmailFolder(m.Id, m.Name, m.SpecialUse, m.MessageCount, m.UnseenCount))
            .OrderBy(f => f.IsInbox ? 0 : f.SpecialUse switch
            {
                SpecialUse.Drafts => 1,
                SpecialUse.Sent => 2,
                SpecialUse.Archive => 3,
                SpecialUse.Junk => 4,
                SpecialUse.Trash => 5,
                _ => 6,
            })
            .ThenBy(f => f.Name, StringComparer.OrdinalIgnoreCase)
            .ToList();

    /// <summary>The name of the folder with this id (ids come from <see cref="ListFolders"/>; links carry them rather than names).</summary>
    public string FolderName(long id) =>
        _account.ListMailboxes().FirstOrDefault(m => m.Id == id)?.Name ?? throw new WebmailException("That folder does not exist (any more).");

    /// <summary>The folder with this special use (Sent, Drafts, Trash, Junk), or a refusal naming it.</summary>
    public string FolderFor(SpecialUse use) =>
        _account.ListMailboxes().FirstOrDefault(m => m.SpecialUse == use)?.Name
        ?? throw new WebmailException($"This account has no {use} folder; create one from a mail app or ask the administrator.");

    public WebmailFolder CreateFolder(string name) => Store(() =>
    {
        var created = _account.CreateMailbox(name.Trim());
        return new WebmailFolder(created.Id, created.Name, created.SpecialUse, 0, 0);
    });

    public void RenameFolder(string folder, string newName) => Store(() =>
    {
        RefuseSystem(folder, "renamed");
        _account.RenameMailbox(folder, newName.Trim());
        return 0;
    });

    public void DeleteFolder(string folder) => Store(() =>
    {
        RefuseSystem(folder, "deleted");
        _account.DeleteMailbox(folder);
        return 0;
    });

    private void RefuseSystem(string folder, string what)
    {
        var info = _account.GetMailbox(folder);
        if (info.Name == MailboxName.Inbox || info.SpecialUse != SpecialUse.None)
            throw new WebmailException($"{info.Name} is a system folder and cannot be {what}.");
    }

    // ---- Listing and search ----

    public MessagePage ListMessages(string folder, MessageSortKey sort, bool descending, int offset, int count) =>
        Store(() => _account.ListPage(folder, sort, descending, offset, count));

    /// <param name="folder">Null searches every folder.</param>
    public FoundMessages Search(string? folder, MessageQuery query, int max) => Store(() => _account.FindMessages(folder, query, max));

    // ---- Reading ----

    /// <summary>Opens a message for reading and marks it \Seen (as IMAP's FETCH BODY[] does, RFC 9051 6.4.5).</summary>
    public WebmailMessage Read(string folder, uint uid, bool markSeen = true) => Store(() =>
    {
        var info = _account.GetMessage(folder, uid);
        using var raw = _account.OpenMessage(folder, uid);
        var entity = MimeParser.Parse(raw);
        var header = entity.Header;
        var text = MessageParts.FindDisplayBody(entity, allowHtml: false);
        var display = MessageParts.FindDisplayBody(entity, allowHtml: true);
        string? textBody = text is { MediaSubtype: "plain" } ? ReadBounded(text, raw) : null;
        string? html = display is { MediaSubtype: "html" } ? ReadBounded(display, raw) : null;
        // Images the HTML shows by cid: are part of the body, not attachments (unless it never shows them).
        var shown = html is null ? [] : CidReference().Matches(html).Select(m => Uri.UnescapeDataString(m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        string? htmlBody = html is null ? null : InlineImages(entity, raw, html);
        var attachments = MessageParts.FindAttachments(entity)
            .Where(part => part.ContentId is not { } id || !shown.Contains(id.Trim('<', '>')))
            .Select(part => new WebmailAttachment(part.PartNumber, FileNameOf(part), $"{part.MediaType}/{part.MediaSubtype}", DecodedSize(part)))
            .ToList();
        var flags = info.Flags;
        if (markSeen && (flags & MessageFlags.Seen) == 0)
        {
            _account.StoreFlags(folder, [uid], FlagOperation.Add, MessageFlags.Seen);
            flags |= MessageFlags.Seen;
        }
        return new WebmailMessage(
            _account.GetMailbox(folder).Name, uid, flags, info.InternalDate, info.Size,
            header.Get("Subject")?.DecodeText() ?? "",
            MailboxAddress.ParseList(header.Get("From")?.Value),
            MailboxAddress.ParseList(header.Get("To")?.Value),
            MailboxAddress.ParseList(header.Get("Cc")?.Value),
            MailboxAddress.ParseList(header.Get("Reply-To")?.Value),
            info.Summary.Date,
            textBody,
            htmlBody,
            attachments);
    });

    /// <summary>One part's decoded content (an attachment download).</summary>
    public WebmailPart ReadPart(string folder, uint uid, string partNumber) => Store(() =>
    {
        using var raw = _account.OpenMessage(folder, uid);
        var entity = MimeParser.Parse(raw);
        var part = entity.FindPart(partNumber) ?? throw new WebmailException("That attachment is not in the message.");
        if (part.Children.Count > 0 && !part.IsMessage)
            throw new WebmailException("That part is not a file.");
        using var content = part.OpenContentStream(raw);
        using var bytes = new MemoryStream();
        content.CopyTo(bytes);
        return new WebmailPart(FileNameOf(part), $"{part.MediaType}/{part.MediaSubtype}", bytes.ToArray());
    });

    /// <summary>The message exactly as stored ("show raw source", download as .eml).</summary>
    public byte[] ReadRaw(string folder, uint uid) => Store(() =>
    {
        using var raw = _account.OpenMessage(folder, uid);
        using var bytes = new MemoryStream();
        raw.CopyTo(bytes);
        return bytes.ToArray();
    });

    // ---- Actions ----

    public void SetSeen(string folder, IReadOnlyCollection<uint> uids, bool seen) =>
        Store(() => _account.StoreFlags(folder, uids, seen ? FlagOperation.Add : FlagOperation.Remove, MessageFlags.Seen));

    public void SetFlagged(string folder, IReadOnlyCollection<uint> uids, bool flagged) =>
        Store(() => _account.StoreFlags(folder, uids, flagged ? FlagOperation.Add : FlagOperation.Remove, MessageFlags.Flagged));

    public void Move(string folder, IReadOnlyCollection<uint> uids, string target) => Store(() =>
    {
        if (_account.GetMailbox(folder).Name == _account.GetMailbox(target).Name)
            return 0;
        _account.Move(folder, uids, target);
        return 0;
    });

    /// <summary>To Trash; in Trash, deleted for good (what Thunderbird and Roundcube do).</summary>
    public void Delete(string folder, IReadOnlyCollection<uint> uids) => Store(() =>
    {
        string trash = FolderFor(SpecialUse.Trash);
        if (_account.GetMailbox(folder).Name == trash)
            ExpungeNow(folder, uids);
        else
            _account.Move(folder, uids, trash);
        return 0;
    });

    /// <summary>Deletes everything in Trash for good; returns how many messages went.</summary>
    public int EmptyTrash() => Store(() =>
    {
        string trash = FolderFor(SpecialUse.Trash);
        return ExpungeNow(trash, _account.Snapshot(trash).Messages.Select(m => m.Uid).ToList()).Count;
    });

    /// <summary>
    /// Deletes for good: \Deleted, then UID EXPUNGE of exactly these (RFC 4315 2.1), as an IMAP
    /// client does it; other messages someone marked \Deleted stay.
    /// </summary>
    private IReadOnlyList<uint> ExpungeNow(string folder, IReadOnlyCollection<uint> uids)
    {
        if (uids.Count == 0)
            return [];
        _account.StoreFlags(folder, uids, FlagOperation.Add, MessageFlags.Deleted);
        return _account.Expunge(folder, uids);
    }

    /// <summary>Junk: to the Junk folder. Not junk: back to INBOX.</summary>
    public void MarkJunk(string folder, IReadOnlyCollection<uint> uids, bool junk) =>
        Move(folder, uids, junk ? FolderFor(SpecialUse.Junk) : MailboxName.Inbox);

    // ---- Compose ----

    /// <summary>A reply or reply-all to a message, from the user, quoting it.</summary>
    public ComposeForm Reply(string folder, uint uid, bool replyAll) => Store(() =>
    {
        using var raw = _account.OpenMessage(folder, uid);
        var builder = MessageBuilder.CreateReply(MimeParser.Parse(raw), raw, Self, replyAll, _time);
        var form = FormFrom(builder);
        form.Answers = (_account.GetMailbox(folder).Name, uid);
        form.Body = "\r\n\r\n" + form.Body;
        return form;
    });

    /// <summary>A forward, inline (text quoted, attachments carried over) or as an attached message.</summary>
    public ComposeForm Forward(string folder, uint uid, bool asAttachment) => Store(() =>
    {
        using var raw = _account.OpenMessage(folder, uid);
        return FormFrom(MessageBuilder.CreateForward(MimeParser.Parse(raw), raw, Self, asAttachment, _time));
    });

    /// <summary>A saved draft opened again for editing.</summary>
    public ComposeForm OpenDraft(uint uid) => Store(() =>
    {
        string drafts = FolderFor(SpecialUse.Drafts);
        using var raw = _account.OpenMessage(drafts, uid);
        var entity = MimeParser.Parse(raw);
        var header = entity.Header;
        var form = new ComposeForm
        {
            From = MailboxAddress.ParseList(header.Get("From")?.Value).FirstOrDefault()?.Address ?? "",
            To = JoinAddresses(MailboxAddress.ParseList(header.Get("To")?.Value)),
            Cc = JoinAddresses(MailboxAddress.ParseList(header.Get("Cc")?.Value)),
            Bcc = JoinAddresses(MailboxAddress.ParseList(header.Get("Bcc")?.Value)),
            Subject = header.Get("Subject")?.DecodeText() ?? "",
            InReplyTo = header.Get("In-Reply-To")?.Value.Trim(),
            DraftUid = uid,
        };
        form.References.AddRange((header.Get("References")?.Value ?? "").Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
        var body = MessageParts.FindDisplayBody(entity, allowHtml: false);
        form.Body = body is null ? "" : body.ReadText(raw);
        foreach (var part in MessageParts.FindAttachments(entity))
        {
            using var content = part.OpenContentStream(raw);
            using var bytes = new MemoryStream();
            content.CopyTo(bytes);
            bool message = part.MediaType == "message" && part.MediaSubtype == "rfc822";
            form.Attachments.Add(new ComposeAttachment(FileNameOf(part), $"{part.MediaType}/{part.MediaSubtype}", bytes.ToArray(), message));
        }
        return form;
    });

    /// <summary>
    /// Problems that stop the form from being sent or saved, one sentence each; empty when it can go.
    /// Single-line fields with CR or LF are refused outright (header injection).
    /// </summary>
    public async Task<IReadOnlyList<string>> ValidateAsync(ComposeForm form, bool forSending, CancellationToken ct = default)
    {
        var problems = new List<string>();
        foreach (var (name, value) in new[] { ("From", form.From), ("To", form.To), ("Cc", form.Cc), ("Bcc", form.Bcc), ("Subject", form.Subject) })
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                problems.Add($"{name} must be one line (it contains a line break).");
        }
        foreach (var attachment in form.Attachments)
        {
            if (attachment.FileName.AsSpan().IndexOfAny('\r', '\n') >= 0)
                problems.Add($"The file name \"{attachment.FileName.ReplaceLineEndings(" ")}\" contains a line break.");
        }
        if (problems.Count > 0)
            return problems;
        foreach (var (name, value) in new[] { ("To", form.To), ("Cc", form.Cc), ("Bcc", form.Bcc) })
        {
            foreach (var piece in SplitAddresses(value))
            {
                var parsed = MailboxAddress.ParseList(piece);
                if (parsed.Count != 1 || !parsed[0].Address.Contains('@', StringComparison.Ordinal))
                    problems.Add($"{name}: \"{piece}\" is not an e-mail address.");
            }
        }
        if (forSending && Recipients(form).Count == 0)
            problems.Add("Give at least one recipient.");
        if (FromAddress(form) is not { } from)
            problems.Add($"From: \"{form.From.Trim()}\" is not an e-mail address.");
        else if (!await SenderAddresses.IsOwnedAsync(_recipients, User, from.Address, ct))
            problems.Add($"You cannot send as {from.Address}: that address does not deliver to {Address}.");
        return problems;
    }

    /// <summary>
    /// Sends the form: builds the message (Bcc left out of what is sent), queues it through the
    /// submission rules, files a copy in Sent (with Bcc, \Seen), removes the draft, marks the
    /// answered message \Answered. Returns the queue id.
    /// </summary>
    public async Task<string> SendAsync(ComposeForm form, CancellationToken ct = default)
    {
        var problems = await ValidateAsync(form, forSending: true, ct);
        if (problems.Count > 0)
            throw new WebmailException(string.Join(" ", problems));
        var now = _time.GetUtcNow();
        string messageId = NewMessageId();
        byte[] message = Build(form, includeBcc: false, now, messageId).ToArray();
        string queueId;
        try
        {
            queueId = await _submitter.SubmitAsync(User, message, Recipients(form), ct);
        }
        catch (SubmissionRefusedException e)
        {
            throw new WebmailException(e.Message, e);
        }

        // The Sent copy is the same message (same Date and Message-ID) plus the Bcc the sender chose.
        byte[] sentCopy = Bcc(form).Count == 0 ? message : Build(form, includeBcc: true, now, messageId).ToArray();
        using (var stream = new MemoryStream(sentCopy, writable: false))
            await _account.AppendAsync(FolderFor(SpecialUse.Sent), stream, MessageFlags.Seen, cancellationToken: ct);
        if (form.DraftUid is { } draft)
            TryExpungeDraft(draft);
        if (form.Answers is { } answered)
        {
            try
            {
                _account.StoreFlags(answered.Folder, [answered.Uid], FlagOperation.Add, MessageFlags.Answered);
            }
            catch (MailStoreException)
            {
                // The answered message was moved or deleted meanwhile: the reply is sent all the same.
            }
        }
        return queueId;
    }

    /// <summary>Saves the form to Drafts (\Draft \Seen), replacing its previous save; returns the new UID.</summary>
    public async Task<uint> SaveDraftAsync(ComposeForm form, CancellationToken ct = default)
    {
        foreach (var (name, value) in new[] { ("From", form.From), ("To", form.To), ("Cc", form.Cc), ("Bcc", form.Bcc), ("Subject", form.Subject) })
        {
            if (value.AsSpan().IndexOfAny('\r', '\n') >= 0)
                throw new WebmailException($"{name} must be one line (it contains a line break).");
        }
        var builder = Build(form, includeBcc: true, _time.GetUtcNow(), NewMessageId(), lenientAddresses: true);
        using var stream = new MemoryStream(builder.ToArray(), writable: false);
        var appended = await _account.AppendAsync(FolderFor(SpecialUse.Drafts), stream, MessageFlags.Draft | MessageFlags.Seen, cancellationToken: ct);
        if (form.DraftUid is { } previous)
            TryExpungeDraft(previous);
        form.DraftUid = appended.Uid;
        return appended.Uid;
    }

    /// <summary>Addresses the user wrote to recently (To and Cc of Sent), most recent first, for completion.</summary>
    public IReadOnlyList<MailboxAddress> RecentCorrespondents() => Store(() =>
    {
        var page = _account.ListNewest(FolderFor(SpecialUse.Sent), 0, CorrespondentsScanned);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<MailboxAddress>();
        foreach (var message in page.Messages)
        {
            foreach (var address in MailboxAddress.ParseList(message.Summary.To))
            {
                if (seen.Add(address.Address))
                    result.Add(address);
            }
        }
        return result;
    });

    // ---- Helpers ----

    /// <summary>RFC 5322 3.6.4: unique; the right side is the user's domain, as mail clients do.</summary>
    private string NewMessageId() => $"<{Guid.NewGuid():N}@{Address[(Address.LastIndexOf('@') + 1)..]}>";

    private MessageBuilder Build(ComposeForm form, bool includeBcc, DateTimeOffset date, string messageId, bool lenientAddresses = false)
    {
        var builder = new MessageBuilder(_time)
        {
            // A draft may hold a sender that is not (yet) an address; it is saved under the user's own.
            From = FromAddress(form) ?? Self,
            Subject = form.Subject,
            Date = date,
            MessageId = messageId,
            InReplyTo = string.IsNullOrWhiteSpace(form.InReplyTo) ? null : form.InReplyTo,
            TextBody = form.Body,
            HtmlBody = form.RichText ? SimpleRichText.ToHtml(form.Body) : null,
            Utf8Headers = false,
            WriteBcc = includeBcc,
        };
        AddAll(builder.To, form.To, lenientAddresses);
        AddAll(builder.Cc, form.Cc, lenientAddresses);
        AddAll(builder.Bcc, form.Bcc, lenientAddresses);
        foreach (string reference in form.References)
            builder.References.Add(reference);
        foreach (var attachment in form.Attachments)
        {
            if (attachment.IsMessage)
                builder.AddMessageAttachment(attachment.Content, attachment.FileName);
            else
                builder.AddAttachment(attachment.FileName, attachment.Content, attachment.MediaType);
        }
        return builder;
    }

    /// <summary>The sender the form names: the user's own address with their name when empty, else the one address given; null when that is not one address.</summary>
    private MailboxAddress? FromAddress(ComposeForm form)
    {
        if (string.IsNullOrWhiteSpace(form.From) || string.Equals(form.From.Trim(), Address, StringComparison.OrdinalIgnoreCase))
            return Self;
        var parsed = MailboxAddress.ParseList(form.From.Trim());
        return parsed.Count == 1 && parsed[0].Address.Contains('@', StringComparison.Ordinal)
            ? parsed[0] with { DisplayName = parsed[0].DisplayName ?? Self.DisplayName }
            : null;
    }

    private static void AddAll(IList<MailboxAddress> target, string value, bool lenient)
    {
        foreach (var piece in SplitAddresses(value))
        {
            var parsed = MailboxAddress.ParseList(piece);
            if (parsed.Count == 1 && parsed[0].Address.Contains('@', StringComparison.Ordinal))
                target.Add(parsed[0]);
            else if (!lenient)
                throw new WebmailException($"\"{piece}\" is not an e-mail address.");
        }
    }

    private static IReadOnlyList<MailboxAddress> Bcc(ComposeForm form) =>
        SplitAddresses(form.Bcc).SelectMany(MailboxAddress.ParseList).ToList();

    private static List<string> Recipients(ComposeForm form) =>
        new[] { form.To, form.Cc, form.Bcc }.SelectMany(SplitAddresses).SelectMany(MailboxAddress.ParseList)
            .Select(a => a.Address).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Splits a typed address list at commas and semicolons outside quotes and angle brackets.</summary>
    internal static IEnumerable<string> SplitAddresses(string value)
    {
        var current = new StringBuilder();
        bool quoted = false;
        int angle = 0;
        foreach (char c in value)
        {
            if (c == '"')
                quoted = !quoted;
            else if (!quoted && c == '<')
                angle++;
            else if (!quoted && c == '>' && angle > 0)
                angle--;
            if (!quoted && angle == 0 && c is ',' or ';')
            {
                if (current.ToString().Trim() is { Length: > 0 } piece)
                    yield return piece;
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        if (current.ToString().Trim() is { Length: > 0 } last)
            yield return last;
    }

    private static string JoinAddresses(IReadOnlyList<MailboxAddress> addresses) =>
        string.Join(", ", addresses.Select(a => string.IsNullOrEmpty(a.DisplayName) ? a.Address : $"\"{a.DisplayName.Replace("\"", "", StringComparison.Ordinal)}\" <{a.Address}>"));

    private ComposeForm FormFrom(MessageBuilder builder)
    {
        var form = new ComposeForm
        {
            To = JoinAddresses(builder.To.ToList()),
            Cc = JoinAddresses(builder.Cc.ToList()),
            Subject = builder.Subject ?? "",
            Body = builder.TextBody ?? "",
            InReplyTo = builder.InReplyTo,
        };
        form.References.AddRange(builder.References);
        foreach (var attachment in builder.Attachments)
            form.Attachments.Add(new ComposeAttachment(attachment.FileName, attachment.MediaType, attachment.Content, attachment.IsMessage));
        return form;
    }

    private void TryExpungeDraft(uint uid)
    {
        try
        {
            ExpungeNow(FolderFor(SpecialUse.Drafts), [uid]);
        }
        catch (MailStoreException)
        {
            // Deleted from another client meanwhile: nothing to replace.
        }
    }

    /// <summary>A body too big to show is replaced by a sentence; the user can still download the message.</summary>
    private static string ReadBounded(MimeEntity part, Stream raw)
    {
        if (part.BodyEnd - part.BodyStart > MaxDisplayBodyBytes)
            return part.MediaSubtype == "html"
                ? "<p>This message is too large to show here. Download it to read it.</p>"
                : "This message is too large to show here. Download it to read it.";
        return part.ReadText(raw);
    }

    /// <summary>
    /// cid: references to the message's own raster images become data: URLs, before the HTML is
    /// sanitized (issue 8: nothing rewrites the HTML after the sanitizer). The sandboxed frame has
    /// no origin, so it could not fetch the parts from us anyway.
    /// </summary>
    private static string InlineImages(MimeEntity message, Stream raw, string html)
    {
        if (!html.Contains("cid:", StringComparison.OrdinalIgnoreCase))
            return html;
        int budget = MaxInlineImageBytes;
        return CidReference().Replace(html, match =>
        {
            var part = MessageParts.FindByContentId(message, Uri.UnescapeDataString(match.Groups[1].Value));
            string type = part is null ? "" : $"{part.MediaType}/{part.MediaSubtype}";
            if (part is null || !WebmailMedia.IsRasterImage(type) || part.BodyEnd - part.BodyStart > budget)
                return match.Value; // left as cid:, which the browser cannot load: the image is simply missing
            using var content = part.OpenContentStream(raw);
            using var bytes = new MemoryStream();
            content.CopyTo(bytes);
            budget -= (int)bytes.Length;
            return $"data:{type};base64,{Convert.ToBase64String(bytes.GetBuffer(), 0, (int)bytes.Length)}";
        });
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"cid:([^""'\s>)]+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase)]
    private static partial System.Text.RegularExpressions.Regex CidReference();

    private static string FileNameOf(MimeEntity part) =>
        part.FileName is { Length: > 0 } name ? name.ReplaceLineEndings(" ")
        : part.IsMessage || (part.MediaType == "message" && part.MediaSubtype == "rfc822") ? "message.eml"
        : $"part-{part.PartNumber}";

    private static long DecodedSize(MimeEntity part)
    {
        long encoded = part.BodyEnd - part.BodyStart;
        return part.TransferEncoding == "base64" ? encoded * 57 / 78 : encoded;
    }

    /// <summary>Store refusals (no such folder, name taken, message gone) become sentences for the user.</summary>
    private static T Store<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (MailboxNotFoundException)
        {
            throw new WebmailException("That folder does not exist (any more).");
        }
        catch (MessageNotFoundException)
        {
            throw new WebmailException("That message is not there any more; it was moved or deleted.");
        }
        catch (MailboxExistsException)
        {
            throw new WebmailException("A folder with that name exists already.");
        }
        catch (MailboxNameException e)
        {
            throw new WebmailException(e.Message, e);
        }
        catch (MailboxOperationRefusedException e)
        {
            throw new WebmailException(e.Message, e);
        }
    }
}
