using System.Text;

namespace Appliance.Mime.Tests;

/// <summary>
/// One parser for every decision: the list view's attachment flag and preview must be what the part
/// tree says (the webmail reader's display body and attachment list), computed here the long way
/// through the public API: the whole tree, <see cref="MimeEntity.ReadText"/>, then collapse and cut.
/// </summary>
public sealed class SummaryTreeAgreementTests
{
    [Theory]
    [MemberData(nameof(CorpusTests.Messages), MemberType = typeof(CorpusTests))]
    public void Summary_says_what_the_tree_says(string message)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(CorpusTests.CorpusDirectory(), message));

        MessageSummary summary = MessageSummary.Read(new MemoryStream(bytes));

        (bool hasAttachment, string preview) = FromTree(bytes);
        Assert.Equal(hasAttachment, summary.HasAttachment);
        Assert.Equal(preview, summary.Preview);
    }

    [Fact]
    public void The_corpus_case_where_the_old_scanner_disagreed_now_previews_the_tree_body()
    {
        // "--inner--text" is not a close delimiter (RFC 2046 5.1.1: only whitespace may follow), so
        // the text part inside is a part; the shallow scanner took it as a close and showed nothing.
        MessageSummary summary = MessageSummary.Read(File.OpenRead(Path.Combine(CorpusTests.CorpusDirectory(), "malformed/boundary-in-preamble.eml")));

        Assert.Equal("inside", summary.Preview);
    }

    [Theory]
    [InlineData("utf-8", "base64")]
    [InlineData("utf-8", "quoted-printable")]
    [InlineData("utf-8", "8bit")]
    [InlineData("windows-1251", "base64")]
    [InlineData(null, "8bit")]
    public void Bounded_preview_decoding_equals_collapsing_the_whole_text(string? charset, string encoding)
    {
        // Multi-byte characters, a surrogate pair near the cut and whitespace runs across the
        // decoder's chunk edges: the preview stops decoding early and must still match.
        string text = charset == "windows-1251"
            ? string.Concat(Enumerable.Repeat("Привет,\r\n\t мир!  ", 300))
            : string.Concat(Enumerable.Repeat("Grüße 😀\r\n\r\n  x", 300));
        byte[] content = charset == "windows-1251" ? Legacy.Encode(charset, text) : Encoding.UTF8.GetBytes(text);
        string body = encoding switch
        {
            "base64" => Convert.ToBase64String(content, Base64FormattingOptions.InsertLineBreaks),
            "quoted-printable" => QuotedPrintable(content),
            _ => Encoding.Latin1.GetString(content),
        };
        byte[] message = Encoding.Latin1.GetBytes(
            "Content-Type: text/plain" + (charset is null ? "" : "; charset=" + charset) + "\r\n" +
            "Content-Transfer-Encoding: " + encoding + "\r\n\r\n" + body);

        MessageSummary summary = MessageSummary.Read(new MemoryStream(message));

        Assert.Equal(Cut(Text.Collapse(text)), summary.Preview);
        Assert.Equal(FromTree(message).Preview, summary.Preview);
    }

    [Fact]
    public void A_surrogate_pair_at_the_cut_is_not_split()
    {
        // 199 letters then an emoji: character 200 is the high surrogate, so the preview stops before it.
        string text = new string('a', 199) + "😀 and more";

        MessageSummary summary = MessageSummary.Read(new MemoryStream(Encoding.UTF8.GetBytes("Content-Type: text/plain; charset=utf-8\r\n\r\n" + text)));

        Assert.Equal(new string('a', 199), summary.Preview);
    }

    private static (bool HasAttachment, string Preview) FromTree(byte[] message)
    {
        using var raw = new MemoryStream(message);
        MimeEntity tree = MimeParser.Parse(raw);
        bool hasAttachment = MessageParts.FindAttachments(tree).Count > 0;
        MimeEntity? body = MessageParts.FindDisplayBody(tree, allowHtml: false) ?? MessageParts.FindDisplayBody(tree);
        if (body is null)
        {
            return (hasAttachment, "");
        }
        string text = body.ReadText(raw);
        return (hasAttachment, Cut(Text.Collapse(body.MediaSubtype == "html" ? HtmlText.ToText(text) : text)));
    }

    private static string Cut(string collapsed)
    {
        if (collapsed.Length <= MessageSummary.PreviewLength)
        {
            return collapsed;
        }
        int cut = char.IsHighSurrogate(collapsed[MessageSummary.PreviewLength - 1]) ? MessageSummary.PreviewLength - 1 : MessageSummary.PreviewLength;
        return collapsed[..cut].TrimEnd();
    }

    private static string QuotedPrintable(byte[] content)
    {
        var text = new StringBuilder();
        int line = 0;
        foreach (byte b in content)
        {
            string piece = b is >= 33 and <= 126 and not (byte)'=' ? ((char)b).ToString() : $"={b:X2}";
            if (line + piece.Length > 75)
            {
                text.Append("=\r\n");
                line = 0;
            }
            text.Append(piece);
            line += piece.Length;
        }
        return text.ToString();
    }
}
