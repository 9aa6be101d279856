// RFC 9051 7.5.2 (FETCH response BODYSTRUCTURE and BODY), 9 (formal syntax: body, body-type-1part,
// body-type-mpart, body-fields, body-ext-1part, body-ext-mpart).
using System.Text;

namespace Appliance.Mime;

/// <summary>
/// The IMAP BODYSTRUCTURE of an entity, computed from the parsed tree. Parameter values are as
/// written (RFC 2231 sections are not joined: clients that understand them join them).
/// </summary>
public sealed record ImapBodyStructure
{
    private static readonly KeyValuePair<string, string>[] DefaultTextParameters = [new("charset", "us-ascii")];

    public required string MediaType { get; init; }

    public required string MediaSubtype { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> Parameters { get; init; } = [];

    /// <summary>The parts of a multipart (never empty for one); empty for a single part.</summary>
    public IReadOnlyList<ImapBodyStructure> Parts { get; init; } = [];

    public string? Id { get; init; }

    public string? Description { get; init; }

    public string Encoding { get; init; } = "7bit";

    public long Size { get; init; }

    /// <summary>body-fld-lines: present for text/* and message/rfc822 (RFC 9051 7.5.2).</summary>
    public long? Lines { get; init; }

    /// <summary>For message/rfc822 and message/global: the encapsulated message's envelope and structure.</summary>
    public ImapEnvelope? Envelope { get; init; }

    public ImapBodyStructure? Message { get; init; }

    public string? Md5 { get; init; }

    public string? Disposition { get; init; }

    public IReadOnlyList<KeyValuePair<string, string>> DispositionParameters { get; init; } = [];

    public IReadOnlyList<string> Languages { get; init; } = [];

    public string? Location { get; init; }

    public bool IsMultipart => Parts.Count > 0;

    /// <summary>
    /// Builds the structure of <paramref name="entity"/> (the message itself or any part). Recursion
    /// follows the tree, whose depth <see cref="MimeLimits.MaxDepth"/> bounds.
    /// </summary>
    /// <param name="crlfSizes">
    /// Count each bare LF as CRLF in body-fld-octets, for a server that sends messages with line
    /// ends normalised to CRLF (RFC 9051 2.2); sizes must match what BODY[...] then returns.
    /// </param>
    public static ImapBodyStructure FromEntity(MimeEntity entity, bool crlfSizes = false)
    {
        ArgumentNullException.ThrowIfNull(entity);
        var common = new ImapBodyStructure
        {
            MediaType = entity.MediaType,
            MediaSubtype = entity.MediaSubtype,
            Parameters = TypeParameters(entity),
            Disposition = entity.Disposition,
            DispositionParameters = JoinSections(entity.DispositionParameters),
            Languages = entity.Languages,
            Location = entity.Location,
        };
        if (entity.IsMultipart)
        {
            IReadOnlyList<ImapBodyStructure> parts = entity.Children.Count > 0
                ? [.. entity.Children.Select(child => FromEntity(child, crlfSizes))]
                // body-type-mpart needs at least one body: a multipart whose delimiter never came
                // shows one empty text part, as if its whole content were the preamble.
                : [new ImapBodyStructure { MediaType = "text", MediaSubtype = "plain", Parameters = DefaultTextParameters, Lines = 0 }];
            // body-ext-mpart carries no md5 (RFC 9051 9).
            return common with { Parts = parts };
        }
        MimeEntity? message = entity.EncapsulatedMessage;
        return common with
        {
            Id = entity.ContentId,
            Description = entity.Header.Get("Content-Description")?.Value is { Length: > 0 } description ? description : null,
            Encoding = entity.TransferEncoding,
            Size = entity.BodySize + (crlfSizes ? entity.BodyBareLineFeeds : 0),
            Lines = entity.MediaType == "text" || message is not null ? entity.BodyLines : null,
            Envelope = message is null ? null : ImapEnvelope.FromHeader(message.Header),
            Message = message is null ? null : FromEntity(message, crlfSizes),
            Md5 = entity.Md5,
        };
    }

    /// <summary>
    /// RFC 2046 4.1.2: text without a charset parameter is US-ASCII; say so, as Dovecot does, so
    /// clients need not know the default.
    /// </summary>
    private static IReadOnlyList<KeyValuePair<string, string>> TypeParameters(MimeEntity entity)
    {
        IReadOnlyDictionary<string, string> parameters = entity.ContentTypeParameters;
        if (entity.MediaType != "text" || parameters.Keys.Any(k => k == "charset" || k.StartsWith("charset*", StringComparison.Ordinal)))
        {
            return JoinSections(parameters);
        }
        return [.. DefaultTextParameters, .. JoinSections(parameters)];
    }

    /// <summary>
    /// RFC 2231 3: "name*0", "name*1*" ... are one parameter cut into sections. They are joined in
    /// order into "name" (or "name*" when any section is extended, RFC 2231 4, with plain sections
    /// then %-escaped), as Dovecot does, so that clients see one parameter. Other parameters keep
    /// their order and values as written.
    /// </summary>
    private static IReadOnlyList<KeyValuePair<string, string>> JoinSections(IReadOnlyDictionary<string, string> parameters)
    {
        var result = new List<KeyValuePair<string, string>>(parameters.Count);
        var sections = new Dictionary<string, SortedDictionary<int, (string Value, bool Extended)>>(StringComparer.Ordinal);
        foreach ((string key, string value) in parameters)
        {
            if (TrySection(key, out string name, out int number, out bool extended))
            {
                if (!sections.TryGetValue(name, out SortedDictionary<int, (string, bool)>? parts))
                {
                    sections[name] = parts = [];
                    result.Add(new(name, "")); // placeholder: the joined value goes where the first section was
                }
                parts.TryAdd(number, (value, extended));
                continue;
            }
            result.Add(new(key, value));
        }
        for (int i = 0; i < result.Count; i++)
        {
            if (!sections.TryGetValue(result[i].Key, out SortedDictionary<int, (string Value, bool Extended)>? parts))
            {
                continue;
            }
            bool anyExtended = parts.Values.Any(p => p.Extended);
            var value = new StringBuilder();
            foreach ((string text, bool extended) in parts.Values)
            {
                value.Append(anyExtended && !extended ? Escape(text) : text);
            }
            result[i] = new(anyExtended ? result[i].Key + "*" : result[i].Key, value.ToString());
        }
        return result;
    }

    private static bool TrySection(string key, out string name, out int number, out bool extended)
    {
        extended = key.EndsWith('*');
        string bare = extended ? key[..^1] : key;
        int star = bare.LastIndexOf('*');
        name = star > 0 ? bare[..star] : "";
        string digits = star > 0 ? bare[(star + 1)..] : "";
        number = 0;
        // RFC 2231 3: decimal section numbers without leading zeros; three digits bound the junk.
        return digits.Length is > 0 and <= 3 && digits.All(char.IsAsciiDigit) && (digits == "0" || digits[0] != '0')
            && int.TryParse(digits, System.Globalization.CultureInfo.InvariantCulture, out number);
    }

    // RFC 2231 7: attribute-char is any token character except "*", "'" and "%".
    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (byte b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            if (b is > 0x20 and < 0x7F && "*'%()<>@,;:\\\"/[]?=".IndexOf((char)b, StringComparison.Ordinal) < 0)
            {
                escaped.Append((char)b);
            }
            else
            {
                escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return escaped.ToString();
    }

    /// <summary>The IMAP text: BODYSTRUCTURE when <paramref name="extended"/>, else the non-extensible BODY form.</summary>
    public string ToString(bool extended)
    {
        var writer = new ImapWriter();
        Write(writer, extended, adjacent: false);
        return writer.ToString();
    }

    public override string ToString() => ToString(extended: true);

    private void Write(ImapWriter writer, bool extended, bool adjacent)
    {
        writer.Open(adjacent);
        if (IsMultipart)
        {
            // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
            foreach (ImapBodyStructure part in Parts)
            {
                part.Write(writer, extended, adjacent: true);
            }
            writer.String(MediaSubtype);
            if (extended)
            {
                WriteParameters(writer, Parameters);
                WriteDispositionLanguageLocation(writer);
            }
            writer.Close();
            return;
        }
        // body-fields = body-fld-param SP body-fld-id SP body-fld-desc SP body-fld-enc SP body-fld-octets
        writer.String(MediaType).String(MediaSubtype);
        WriteParameters(writer, Parameters);
        writer.String(Id).String(Description).String(Encoding).Number(Size);
        if (Message is not null && Envelope is not null)
        {
            // body-type-msg: ... SP envelope SP body SP body-fld-lines
            Envelope.Write(writer);
            Message.Write(writer, extended, adjacent: false);
        }
        if (Lines is { } lines)
        {
            writer.Number(lines);
        }
        if (extended)
        {
            // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
            writer.String(Md5);
            WriteDispositionLanguageLocation(writer);
        }
        writer.Close();
    }

    private void WriteDispositionLanguageLocation(ImapWriter writer)
    {
        // body-fld-dsp = "(" string SP body-fld-param ")" / nil
        if (Disposition is null)
        {
            writer.Nil();
        }
        else
        {
            writer.Open().String(Disposition);
            WriteParameters(writer, DispositionParameters);
            writer.Close();
        }
        // body-fld-lang = nstring / "(" string *(SP string) ")": always the list form, as Dovecot does.
        if (Languages.Count == 0)
        {
            writer.Nil();
        }
        else
        {
            writer.Open();
            foreach (string language in Languages)
            {
                writer.String(language);
            }
            writer.Close();
        }
        writer.String(Location);
    }

    // body-fld-param = "(" string SP string *(SP string SP string) ")" / nil
    private static void WriteParameters(ImapWriter writer, IReadOnlyList<KeyValuePair<string, string>> parameters)
    {
        if (parameters.Count == 0)
        {
            writer.Nil();
            return;
        }
        writer.Open();
        foreach ((string name, string value) in parameters)
        {
            writer.String(name).String(value);
        }
        writer.Close();
    }
}
