// Allow-list HTML sanitizing for displaying mail (issue 8 "Safety of displayed mail"): the HTML5
// parsing algorithm (WHATWG HTML 13.2, AngleSharp) builds the tree a browser would build, so what
// is checked is what the browser will see; only listed elements, attributes, URL schemes and CSS
// properties survive; the result is serialized by the same parser's serializer (13.3) and never
// rewritten afterwards. Remote resources are left out unless the user asked for them.
using System.Text;
using System.Text.RegularExpressions;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Appliance.Web.Webmail;

/// <summary>What a sanitized message still has, for the reader's "load remote content" button.</summary>
/// <param name="Html">The sanitized HTML (a body fragment).</param>
/// <param name="BlockedRemoteContent">Remote images or styles were left out; the user may ask for them.</param>
public sealed record SanitizedHtml(string Html, bool BlockedRemoteContent);

public static partial class HtmlSanitizer
{
    /// <summary>Elements kept with their allowed attributes. Everything else is unwrapped (its children kept) or dropped.</summary>
    private static readonly HashSet<string> AllowedElements = new(StringComparer.Ordinal)
    {
        "a", "abbr", "address", "article", "aside", "b", "bdi", "bdo", "big", "blockquote", "br", "caption", "center", "cite",
        "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "i", "img", "ins", "kbd", "li", "main", "mark", "nav",
        "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strike", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var", "wbr",
    };

    /// <summary>Elements dropped with everything inside: active content, other documents, forms, metadata, foreign content.</summary>
    private static readonly HashSet<string> DroppedElements = new(StringComparer.Ordinal)
    {
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button", "select",
        "textarea", "option", "optgroup", "datalist", "output", "keygen", "svg", "math", "link", "meta", "base", "title",
        "head", "noscript", "noembed", "noframes", "template", "audio", "video", "source", "track", "canvas", "portal",
        "dialog", "xmp", "plaintext", "listing", "param", "slot", "isindex", "marquee", "blink",
    };

    /// <summary>Attributes allowed on any kept element (presentational ones mail is full of).</summary>
    private static readonly HashSet<string> GlobalAttributes = new(StringComparer.Ordinal)
    {
        "title", "dir", "lang", "align", "valign", "width", "height", "bgcolor", "color", "border", "cellpadding",
        "cellspacing", "colspan", "rowspan", "nowrap", "style", "alt", "face", "size", "start", "type", "reversed", "span",
        "datetime", "cite", "abbr", "scope", "headers", "open",
    };

    /// <summary>CSS properties kept in style attributes: text, colour, box and table layout; never positioning or content.</summary>
    private static readonly HashSet<string> AllowedCssProperties = new(StringComparer.Ordinal)
    {
        "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight", "font-variant",
        "text-align", "text-decoration", "text-indent", "text-transform", "letter-spacing", "word-spacing", "line-height",
        "white-space", "vertical-align", "direction", "margin", "margin-top", "margin-right", "margin-bottom",
        "margin-left", "padding", "padding-top", "padding-right", "padding-bottom", "padding-left", "border",
        "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style", "border-width",
        "border-collapse", "border-spacing", "border-radius", "width", "height", "max-width", "min-width", "max-height",
        "min-height", "list-style-type", "table-layout", "word-break", "overflow-wrap", "word-wrap",
        "display",
    };

    /// <summary>display values that cannot hide content or lay it over the page.</summary>
    private static readonly HashSet<string> AllowedDisplayValues = new(StringComparer.Ordinal)
    {
        "block", "inline", "inline-block", "table", "table-row", "table-cell", "list-item",
    };

    /// <summary>Raster images a data: URL may carry (issue 8: "no data: URLs except data: images"; no SVG).</summary>
    private static readonly string[] DataImageTypes = ["data:image/png;", "data:image/gif;", "data:image/jpeg;", "data:image/webp;"];

    /// <param name="html">The message's HTML part, decoded to text.</param>
    /// <param name="allowRemoteImages">The user asked to load remote content for this message: http(s) images are kept.</param>
    public static SanitizedHtml Sanitize(string html, bool allowRemoteImages = false)
    {
        var parser = new HtmlParser(new HtmlParserOptions { IsScripting = false });
        var document = parser.ParseDocument(html ?? "");
        bool blocked = false;
        var body = document.Body;
        if (body is null)
            return new SanitizedHtml("", false);
        CleanChildren(body, allowRemoteImages, ref blocked);
        return new SanitizedHtml(body.InnerHtml, blocked);
    }

    private static void CleanChildren(INode parent, bool allowRemote, ref bool blocked)
    {
        // A copy: the loop removes and unwraps nodes.
        foreach (var node in parent.ChildNodes.ToArray())
        {
            switch (node)
            {
                case IElement element:
                    CleanElement(element, allowRemote, ref blocked);
                    break;
                case IText:
                    break;
                default:
                    // Comments (conditional comments, <!-- --> games), processing instructions, doctype.
                    node.RemoveFromParent();
                    break;
            }
        }
    }

    private static void CleanElement(IElement element, bool allowRemote, ref bool blocked)
    {
        string name = element.LocalName;
        if (element.NamespaceUri is { } ns && ns != "http://www.w3.org/1999/xhtml" || DroppedElements.Contains(name))
        {
            element.RemoveFromParent();
            return;
        }
        if (!AllowedElements.Contains(name))
        {
            // Unknown or structural (html, body, custom elements): keep the content, lose the element.
            CleanChildren(element, allowRemote, ref blocked);
            var parent = element.Parent;
            if (parent is null)
                return;
            foreach (var child in element.ChildNodes.ToArray())
                parent.InsertBefore(child, element);
            element.RemoveFromParent();
            return;
        }
        foreach (var attribute in element.Attributes.ToArray())
        {
            string attributeName = attribute.Name.ToLowerInvariant();
            string? kept = attributeName switch
            {
                "href" when name == "a" => SafeLink(attribute.Value),
                "src" when name == "img" => SafeImage(attribute.Value, allowRemote, ref blocked),
                "style" => SafeStyle(attribute.Value, ref blocked),
                _ when attribute.NamespaceUri is not null => null,
                _ when GlobalAttributes.Contains(attributeName) && !LooksLikeUrl(attribute.Value) => attribute.Value,
                _ => null,
            };
            element.RemoveAttribute(attribute.Name);
            if (kept is not null)
                element.SetAttribute(attributeName, kept);
        }
        if (name == "a" && element.HasAttribute("href"))
        {
            // Links leave the sandboxed frame for a new tab, without telling the target where they came from.
            element.SetAttribute("target", "_blank");
            element.SetAttribute("rel", "noopener noreferrer nofollow");
        }
        CleanChildren(element, allowRemote, ref blocked);
    }

    /// <summary>http, https and mailto links only; the scheme is read after removing what browsers ignore in it.</summary>
    private static string? SafeLink(string value)
    {
        string url = Normalized(value);
        return url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || url.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) || url.StartsWith('#')
            ? value.Trim()
            : null;
    }

    /// <summary>cid: (the message's own parts), raster data: images, and http(s) only when allowed.</summary>
    private static string? SafeImage(string value, bool allowRemote, ref bool blocked)
    {
        string url = Normalized(value);
        if (url.StartsWith("cid:", StringComparison.OrdinalIgnoreCase))
            return value.Trim();
        if (DataImageTypes.Any(t => url.StartsWith(t, StringComparison.OrdinalIgnoreCase)) && url.Contains(";base64,", StringComparison.OrdinalIgnoreCase))
            return value.Trim();
        if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("//", StringComparison.Ordinal))
        {
            if (allowRemote && !url.StartsWith("//", StringComparison.Ordinal))
                return value.Trim();
            blocked = true;
        }
        return null;
    }

    /// <summary>
    /// Declarations of allowed properties whose values hold no function call, escape, at-rule,
    /// comment or markup: no url() (remote loads, scripts in old browsers), no expression(), no
    /// position (content laid over the reader's page).
    /// </summary>
    private static string? SafeStyle(string value, ref bool blocked)
    {
        var kept = new StringBuilder();
        foreach (string declaration in value.Split(';'))
        {
            int colon = declaration.IndexOf(':');
            if (colon <= 0)
                continue;
            string property = declaration[..colon].Trim().ToLowerInvariant();
            string propertyValue = declaration[(colon + 1)..].Trim();
            if (!AllowedCssProperties.Contains(property) || propertyValue.Length == 0)
                continue;
            if (propertyValue.Contains("url", StringComparison.OrdinalIgnoreCase))
                blocked = true;
            if (!SafeCssValue().IsMatch(propertyValue))
                continue;
            if (property == "display" && !AllowedDisplayValues.Contains(propertyValue.ToLowerInvariant()))
                continue;
            kept.Append(property).Append(": ").Append(propertyValue).Append("; ");
        }
        return kept.Length == 0 ? null : kept.ToString().TrimEnd();
    }

    /// <summary>Letters, digits, spaces and the punctuation of lengths, colours, font lists: no parentheses except rgb()/rgba()/hsl().</summary>
    [GeneratedRegex(@"^(?:[A-Za-z0-9#%.,\s'""!+-]|(?:rgba?|hsla?)\([0-9.,%\s]*\))*$")]
    private static partial Regex SafeCssValue();

    /// <summary>The URL as a browser reads its scheme: control characters and whitespace removed, entities already decoded by the parser.</summary>
    private static string Normalized(string value) => new(value.Where(c => c > ' ' && c != '\u007F').ToArray());

    /// <summary>A presentational attribute holding a URL (background="http://...") is a remote load: dropped.</summary>
    private static bool LooksLikeUrl(string value) => Normalized(value).Contains(':', StringComparison.Ordinal) && Normalized(value).Contains("/", StringComparison.Ordinal);
}
