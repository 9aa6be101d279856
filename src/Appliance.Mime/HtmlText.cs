using System.Net;
using System.Text;

namespace Appliance.Mime;

/// <summary>Plain text out of HTML for a preview line: not a sanitizer, never rendered as HTML.</summary>
internal static class HtmlText
{
    // Elements whose content is never visible text.
    private static readonly string[] HiddenElements = ["head", "style", "script", "title", "template"];

    // Elements that break a line, so "<p>a</p><p>b</p>" reads "a b", not "ab".
    private static readonly HashSet<string> BlockElements = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "br", "div", "tr", "td", "th", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
        "blockquote", "pre", "hr", "section", "article", "header", "footer", "body", "html",
    };

    /// <summary>Markup removed, entities decoded; block elements become <paramref name="blockBreak"/> (a space for previews, a line break for quoting).</summary>
    public static string ToText(string html, string blockBreak = " ")
    {
        var text = new StringBuilder(html.Length);
        int i = 0;
        while (i < html.Length)
        {
            char c = html[i];
            if (c != '<')
            {
                int next = html.IndexOf('<', i);
                if (next < 0)
                {
                    next = html.Length;
                }
                text.Append(html.AsSpan(i, next - i));
                i = next;
                continue;
            }
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                int endComment = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = endComment < 0 ? html.Length : endComment + 3;
                continue;
            }
            // "a < b" is text: a tag starts with a letter, "/", "!" or "?" (HTML syntax, "tag open state").
            if (i + 1 >= html.Length || !(char.IsAsciiLetter(html[i + 1]) || html[i + 1] is '/' or '!' or '?'))
            {
                text.Append(c);
                i++;
                continue;
            }
            int close = html.IndexOf('>', i);
            if (close < 0)
            {
                break; // a tag cut off by the end of the prefix
            }
            bool closing = i + 1 < close && html[i + 1] == '/';
            ReadOnlySpan<char> tag = html.AsSpan(i + 1, close - i - 1).TrimStart('/');
            int nameEnd = tag.IndexOfAny(" \t\r\n/".AsSpan());
            string name = (nameEnd < 0 ? tag : tag[..nameEnd]).ToString().ToLowerInvariant();
            bool selfClosing = tag.EndsWith("/");
            i = close + 1;
            if (!closing && !selfClosing && Array.IndexOf(HiddenElements, name) >= 0)
            {
                int end = html.IndexOf("</" + name, i, StringComparison.OrdinalIgnoreCase);
                i = end < 0 ? html.Length : end;
                continue;
            }
            if (BlockElements.Contains(name))
            {
                text.Append(blockBreak);
            }
        }
        return WebUtility.HtmlDecode(text.ToString());
    }
}
