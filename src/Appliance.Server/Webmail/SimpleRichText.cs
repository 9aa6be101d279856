using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Appliance.Server.Webmail;

/// <summary>
/// The compose form's "simple rich text": the text the user typed, with *bold*, _italic_ and bare
/// http(s) links, written as an HTML alternative (RFC 2046 5.1.4) beside the plain text. Everything
/// is HTML-encoded first, so nothing the user types becomes markup of its own.
/// </summary>
public static partial class SimpleRichText
{
    public static string ToHtml(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var html = new StringBuilder("<div>");
        string normalized = text.ReplaceLineEndings("\n");
        foreach (string paragraph in normalized.Split("\n\n"))
        {
            html.Append("<p>");
            var lines = paragraph.Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (i > 0)
                    html.Append("<br>");
                html.Append(Inline(lines[i]));
            }
            html.Append("</p>");
        }
        return html.Append("</div>").ToString();
    }

    private static string Inline(string line)
    {
        string encoded = WebUtility.HtmlEncode(line);
        // Links first, on the encoded text: the URL pattern stops at characters the encoder produced (&, ;) only where a URL would.
        encoded = Link().Replace(encoded, m => $"<a href=\"{m.Value}\">{m.Value}</a>");
        encoded = Bold().Replace(encoded, "<b>$1</b>");
        encoded = Italic().Replace(encoded, "<i>$1</i>");
        return encoded;
    }

    [GeneratedRegex(@"https?://[^\s<>""']+")]
    private static partial Regex Link();

    [GeneratedRegex(@"(?<![\w*])\*(?=\S)([^*<>]+?)(?<=\S)\*(?![\w*])")]
    private static partial Regex Bold();

    [GeneratedRegex(@"(?<![\w_/])_(?=\S)([^_<>]+?)(?<=\S)_(?![\w_])")]
    private static partial Regex Italic();
}
